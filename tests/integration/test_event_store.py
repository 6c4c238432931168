"""The same cases on the embedded SQLite store and on PostgreSQL."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest

from domain.case.aggregate import Case
from domain.case.values import ClosureReason, ParticipantStatus
from domain.custody import Custody, CustodyStatus
from domain.errors import ActivityPrerequisiteMissing, AlreadyExists, UnknownAggregate
from services.bootstrap import Backbone, build
from services.case_queries import CaseQueries
from services.commands import parse_command
from services.demo import stories
from services.demo.runner import all_scripts, run_all
from services.settings import Settings

NOW = "2025-02-01T10:00:00Z"


def command(type_: str, command_id: str, **fields: Any) -> Any:
    return parse_command(
        {
            "type": type_,
            "command_id": command_id,
            "agency": "pcc:kent",
            "user": "tester",
            "occurred_at": NOW,
            **fields,
        }
    )


def refer(backbone: Backbone, case_id: str) -> None:
    backbone.commands.handle(
        command(
            "refer_case",
            f"refer-{case_id}",
            case_id=case_id,
            route="pcc_hub",
            cjs_stage="pre_sentence",
            crime_type="theft",
            pcc_area="kent",
            crime_reported_on="2025-01-30",
            summary="theft",
        )
    )


def test_the_six_stories_run_end_to_end(backbone: Backbone) -> None:
    run_all(backbone.commands)
    queries = CaseQueries(backbone.store)
    head = queries.case(stories.head_teacher().case_id)
    assert head.closed_reason is ClosureReason.COMPLETED
    assert [a.status.value for a in head.activities.values()] == ["cancelled", "held"]
    fifteen = queries.case(stories.fifteen_victims().case_id)
    statuses = [p.status for p in fifteen.participants.values() if p.role.value == "victim"]
    assert statuses.count(ParticipantStatus.UNCONTACTABLE) == 9
    assert statuses.count(ParticipantStatus.CONSENTED) == 4  # 3 accepted, 1 changed her mind
    assert statuses.count(ParticipantStatus.DECLINED) == 2
    unsuitable = queries.case(stories.learning_difficulties().case_id)
    assert unsuitable.closed_reason is ClosureReason.NOT_SUITABLE
    custody = backbone.commands.load(Custody.id_for(stories.HEAD_TEACHER_PRISON_NUMBER))
    assert custody.status is CustodyStatus.RELEASED
    assert [(t.from_prison, t.to_prison) for t in custody.transfers()] == [("LEI", "DAI")]
    assert len(queries.case_ids()) == 6


def test_replaying_every_story_again_has_no_effect(backbone: Backbone) -> None:
    run_all(backbone.commands)
    before = backbone.store.recorder.max_notification_id()
    again = run_all(backbone.commands)
    assert all(r.duplicate or r.new_events == 0 for run in again for r in run.results)
    assert backbone.store.recorder.max_notification_id() == before


def test_cases_survive_a_restart_of_the_backbone(store_settings: Settings) -> None:
    first = build(store_settings)
    run_all(first.commands, all_scripts()[:2])
    case_id = stories.head_teacher().case_id
    version = first.commands.load(case_id).version
    first.close()
    second = build(store_settings)
    try:
        case = second.commands.load(case_id)
        assert isinstance(case, Case) and case.version == version
        assert second.commands.load(case_id, version=3).version == 3
    finally:
        second.close()


def test_a_refused_command_stores_nothing(backbone: Backbone) -> None:
    case_id = "6f1d2c9e-0000-4000-8000-000000000001"
    refer(backbone, case_id)
    backbone.commands.handle(
        command(
            "add_participant",
            "p1",
            case_id=case_id,
            participant_id="v1",
            role="victim",
            name="V",
        )
    )
    version = backbone.commands.load(UUID(case_id)).version
    with pytest.raises(ActivityPrerequisiteMissing):
        backbone.commands.handle(
            command(
                "schedule_activity",
                "s1",
                case_id=case_id,
                activity_id="a1",
                participant_ids=["v1"],
                scheduled_for=NOW,
            )
        )
    with pytest.raises(AlreadyExists):
        backbone.commands.handle(
            command(
                "refer_case",
                "refer-again",
                case_id=case_id,
                route="pcc_hub",
                cjs_stage="pre_sentence",
                crime_type="theft",
                pcc_area="kent",
                crime_reported_on=None,
                summary="again",
            )
        )
    with pytest.raises(UnknownAggregate):
        backbone.commands.handle(
            command(
                "inform_victim",
                "i1",
                case_id="6f1d2c9e-0000-4000-8000-0000000000ff",
                participant_id="v1",
            )
        )
    assert backbone.commands.load(UUID(case_id)).version == version


def test_a_referral_without_a_case_id_gets_one_derived_from_its_command(backbone: Backbone) -> None:
    args = {
        "route": "victim_self_referral",
        "cjs_stage": "after_release",
        "crime_type": "robbery",
        "pcc_area": "kent",
        "crime_reported_on": None,
        "summary": "asked for RJ",
    }
    first = backbone.commands.handle(command("refer_case", "self-1", **args))
    retry = backbone.commands.handle(command("refer_case", "self-1", **args))
    assert retry.duplicate and retry.aggregate_id == first.aggregate_id
