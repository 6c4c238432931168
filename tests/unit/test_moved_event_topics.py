"""Events whose declaration moved out of ``Case`` (into ``CaseActivities``) are still read under the
topic they were stored with: history is never rewritten."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from adapters.mapper import OrjsonTranscoder, PydanticMapper
from domain.case.aggregate import Case
from domain.sharing import event_name
from projections.registry import all_projections
from tests.unit.case_builders import START, meta, ready_case

mapper = PydanticMapper(transcoder=OrjsonTranscoder())
MOVED = (
    "ActivityScheduled",
    "ActivityHeld",
    "ActivityCancelled",
    "ActivityRescheduled",
    "OutcomeAgreed",
    "FollowUpRecorded",
)


def test_events_stored_under_their_old_case_topic_are_read_back() -> None:
    case = ready_case()
    case.schedule_activity("a1", ("v1", "o1"), START.replace(month=3), meta())
    case.record_activity_held("a1", meta())
    events: list[Any] = list(case.collect_events())[-2:]
    for event in events:
        stored = mapper.to_stored_event(event)
        name = type(event).__name__
        assert stored.topic == f"domain.case.activities:CaseActivities.{name}"
        old = replace(stored, topic=f"domain.case.aggregate:Case.{name}")
        again = mapper.to_domain_event(old)
        assert again.model_dump() == event.model_dump()
        assert isinstance(again, getattr(Case, name))
        assert event_name(type(again)) == event_name(type(event)) == f"Case.{name}"


def test_projections_read_moved_events_under_both_topics() -> None:
    topics = {t for p in all_projections() for t in p.topics}
    for name in MOVED[:4]:
        assert f"domain.case.aggregate:Case.{name}" in topics
        assert f"domain.case.activities:CaseActivities.{name}" in topics
