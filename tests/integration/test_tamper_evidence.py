"""Tampering with stored rows directly in SQLite and PostgreSQL is detected and located."""

from __future__ import annotations

from uuid import UUID

import pytest

from services.audit.verify import Finding, verify_aggregate, verify_log
from services.bootstrap import Backbone
from services.demo.runner import run_script
from services.demo.stories import STORIES
from tests.integration.tamper import RawRows


@pytest.fixture
def two_cases(backbone: Backbone) -> tuple[UUID, UUID]:
    first, second = (run_script(backbone.commands, story()) for story in STORIES[:2])
    return first.script.case_id, second.script.case_id


def located(findings: list[Finding]) -> set[tuple[str, str | None, int | None]]:
    return {(f.kind, f.originator_id, f.version) for f in findings}


def test_an_untouched_store_verifies(backbone: Backbone, two_cases: tuple[UUID, UUID]) -> None:
    report = verify_log(backbone.store.recorder)
    assert report.ok, report.findings
    assert report.events_checked == backbone.store.recorder.max_notification_id()
    for case_id in two_cases:
        assert verify_aggregate(backbone.store.recorder, case_id).ok


def test_an_altered_event_is_named_by_aggregate_and_version(
    backbone: Backbone, two_cases: tuple[UUID, UUID], rows: RawRows
) -> None:
    case_id = two_cases[0]
    rows.alter_state(case_id, 3)
    expected = {("altered", str(case_id), 3)}
    assert located(verify_log(backbone.store.recorder).findings) == expected
    assert located(verify_aggregate(backbone.store.recorder, case_id).findings) == expected
    assert verify_aggregate(backbone.store.recorder, two_cases[1]).ok


def test_a_deleted_event_is_named_even_when_its_chain_record_goes_too(
    backbone: Backbone, two_cases: tuple[UUID, UUID], rows: RawRows
) -> None:
    first, second = two_cases
    rows.delete_event(first, 4)
    rows.delete_event(second, 2, with_chain=True)
    expected = {("removed", str(first), 4), ("removed", str(second), 2)}
    assert located(verify_log(backbone.store.recorder).findings) == expected
    assert located(verify_aggregate(backbone.store.recorder, second).findings) == {
        ("removed", str(second), 2)
    }


def test_removing_an_aggregates_last_event_is_caught_by_the_log_chain(
    backbone: Backbone, two_cases: tuple[UUID, UUID], rows: RawRows
) -> None:
    first = two_cases[0]
    last = backbone.commands.load(first).version
    rows.delete_event(first, last, with_chain=True)
    expected = {("removed", str(first), last)}
    assert located(verify_log(backbone.store.recorder).findings) == expected
    assert located(verify_aggregate(backbone.store.recorder, first).findings) == expected


def test_reordering_the_log_names_both_moved_events(
    backbone: Backbone, two_cases: tuple[UUID, UUID], rows: RawRows
) -> None:
    first, second = two_cases
    a, b = rows.notification_id(first, 5), rows.notification_id(second, 1)
    rows.swap_positions(a, b)
    assert {("reordered", str(first), 5), ("reordered", str(second), 1)} <= located(
        verify_log(backbone.store.recorder).findings
    )


def test_an_inserted_event_is_named(
    backbone: Backbone, two_cases: tuple[UUID, UUID], rows: RawRows
) -> None:
    first = two_cases[0]
    forged_version = backbone.commands.load(first).version + 1
    rows.insert_copy(first, 2, forged_version)
    expected = {("inserted", str(first), forged_version)}
    assert located(verify_log(backbone.store.recorder).findings) == expected
    assert located(verify_aggregate(backbone.store.recorder, first).findings) == expected


def test_cutting_the_tail_of_the_log_is_caught_against_a_kept_head(
    backbone: Backbone, two_cases: tuple[UUID, UUID], rows: RawRows
) -> None:
    kept = verify_log(backbone.store.recorder).head
    assert kept is not None
    second = two_cases[1]
    last = backbone.commands.load(second).version
    rows.delete_event(second, last, with_chain=True)
    assert verify_log(backbone.store.recorder).ok  # the chains alone cannot see a cut tail
    report = verify_log(backbone.store.recorder, anchor=kept)
    assert located(report.findings) == {("removed", str(second), last)}
