"""Agencies receive on their shared topic only what an active agreement grants; all recorded."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest

from adapters.cloudevents import attributes
from adapters.share_decisions import ShareDecisions
from services.bootstrap import build
from services.demo.runner import run_script
from services.demo.script import Script
from services.demo.stories import sharing_agreements
from services.identity import Forbidden, Identity
from services.personal_details import PersonalDetailsResolver
from tests.conftest import sqlite_settings
from tests.kafka_helpers import fast_kafka_settings, read_topic
from tests.servers import Broker

POLICE, HUB, PRISON = "police:west-yorkshire", "pcc:west-yorkshire", "prison:LEI"


def isa_story() -> Script:
    s = Script(
        "isa", "A case shared under the West Yorkshire ISA", datetime(2024, 3, 1, tzinfo=UTC)
    )
    s.send(
        POLICE,
        "refer_case",
        route="police",
        cjs_stage="custody",
        crime_type="robbery",
        pcc_area="west-yorkshire",
        crime_reported_on=None,
        summary="Street robbery",
    )
    s.send(
        POLICE,
        "add_participant",
        participant_id="v1",
        role="victim",
        name="Ms C.",
        contact="07700 900123",
    )
    s.send(
        POLICE,
        "add_participant",
        participant_id="o1",
        role="offender",
        name="Mr D.",
        prison_number="A7777AA",
    )
    s.send(HUB, "choose_activity_type", activity_type="face_to_face_conference", preferred_by="v1")
    s.send(
        HUB,
        "choose_activity_type",
        activity_type="letter",
        preferred_by="v1",
        reason="Ms C. is too anxious to meet",
    )
    s.send(HUB, "record_consent", participant_id="v1", form_reference="CF-1")
    s.send(HUB, "terminate_agreement", reference="ISA-WY-RJ-001", reason="replaced")
    s.send(HUB, "update_victim", participant_id="v1", reason_code="other", reason="letter sent")
    return s


async def test_shared_topics_carry_only_granted_data_and_stop_when_the_agreement_ends(
    kafka_broker: Broker, tmp_path: Path, topic_prefix: str
) -> None:
    bb = build(fast_kafka_settings(sqlite_settings(tmp_path), topic_prefix))
    try:
        run_script(bb.commands, sharing_agreements())
        story = isa_story()
        run_script(bb.commands, story)
        parts = bb.kafka(kafka_broker.bootstrap)
        relay = parts.sharing_relay()
        await relay.start()
        await relay.catch_up()
        await relay.stop()

        hub = await read_topic(parts.bootstrap, parts.topics.shared(HUB), 3)
        by_type = {attributes(r.headers)["type"]: orjson.loads(r.value) for r in hub}
        referral = by_type["uk.gov.rj.case.referred.v2"]
        assert referral["summary"]["$personal"] == str(story.case_id)  # granted, and sealed
        resolver = PersonalDetailsResolver(bb)
        hub_reader = Identity(HUB, "case-system", frozenset(), "test")
        with pytest.raises(Forbidden):  # entitlement is checked when read: the ISA has ended
            resolver.resolve(hub_reader, story.case_id, 1, "test")
        police = Identity(POLICE, "case-system", frozenset(), "test")
        assert resolver.resolve(police, story.case_id, 1, "test").fields == {
            "summary": "Street robbery"
        }
        assert all(attributes(r.headers)["recipient"] == HUB for r in hub)
        assert {attributes(r.headers)["source"] for r in hub} == {POLICE}

        prison = await read_topic(parts.bootstrap, parts.topics.shared(PRISON), 1)
        types = [attributes(r.headers)["type"] for r in prison]
        assert types == [
            "uk.gov.rj.case.activity_type_chosen.v1",
            "uk.gov.rj.case.activity_type_changed.v1",
        ]
        changed = orjson.loads(prison[1].value)
        assert "reason" not in changed and changed["activity_type"] == "letter"

        decisions = ShareDecisions(bb.store)
        to_prison = {
            (d.event_type.split(".")[-2], d.outcome, d.reason)
            for d in decisions.about(story.case_id)
            if d.recipient == PRISON
        }
        assert (
            "activity_type_changed",
            "redacted",
            "activity granted; removed reason (not granted)",
        ) in to_prison
        assert (
            "written_consent_recorded",
            "withheld",
            "no active agreement grants consent",
        ) in to_prison
        assert (
            "victim_updated",
            "withheld",
            "no active agreement grants case_status",
        ) in to_prison  # after termination
        received = decisions.received_by(PRISON, story.case_id)
        assert [d.outcome for d in received] == ["sent", "redacted"]
        assert received[0].agreements == "ISA-WY-RJ-001"
    finally:
        bb.close()
