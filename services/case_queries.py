"""Read side straight from the event store: case summaries, timelines, the list of cases."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.utils import get_topic

from adapters.event_store import EventStore
from domain.case.aggregate import Case

_REFERRED_TOPIC = get_topic(Case.Referred)
_POSITION_FIELDS = {"originator_id", "originator_version", "timestamp", "meta", "originator_topic"}


@dataclass(frozen=True)
class TimelineEntry:
    version: int
    event: str
    occurred_at: datetime
    recorded_at: datetime
    agency: str
    user: str
    details: dict[str, Any]


def timeline_entry(event: Any) -> TimelineEntry:
    details = event.model_dump(mode="json", exclude=_POSITION_FIELDS)
    return TimelineEntry(
        version=event.originator_version,
        event=type(event).__name__,
        occurred_at=event.meta.occurred_at,
        recorded_at=event.timestamp,
        agency=event.meta.agency,
        user=event.meta.user,
        details=details,
    )


def case_summary(case: Case) -> dict[str, Any]:
    """What a manager wants to see of a case at a glance."""
    return {
        "case_id": str(case.id),
        "version": case.version,
        "route": case.route.value,
        "cjs_stage": case.cjs_stage.value,
        "crime_type": case.crime_type.value,
        "pcc_area": case.pcc_area,
        "status": case.closed_reason.value if case.closed_reason else "open",
        "responsibility_accepted": case.responsibility_accepted,
        "participants": {
            p.participant_id: {
                "role": p.role.value,
                "status": p.status.value,
                "written_consent": p.has_written_consent,
                "assessment": (
                    f"{p.assessment.level.value}: {p.assessment.outcome.value}"
                    if p.assessment
                    else None
                ),
            }
            for p in case.participants.values()
        },
        "facilitators": list(case.facilitators),
        "activity_type": case.activity_type.value if case.activity_type else None,
        "venue": case.venue.name if case.venue else None,
        "prison_access": case.prison_access.status.value if case.prison_access else None,
        "activities": {
            a.activity_id: f"{a.activity_type.value} {a.status.value} {a.scheduled_for:%Y-%m-%d}"
            for a in case.activities.values()
        },
        "victim_updates": len(case.victim_updates),
        "complaints": len(case.complaints),
    }


class CaseQueries:
    def __init__(self, store: EventStore) -> None:
        self.store = store

    def case(self, case_id: UUID, version: int | None = None) -> Case:
        case: Case = self.store.repository.get(case_id, version=version)
        return case

    def timeline(self, case_id: UUID) -> list[TimelineEntry]:
        return [timeline_entry(e) for e in self.store.repository.event_store.get(case_id)]

    def case_ids(self, batch: int = 500) -> list[UUID]:
        """Every referred case, in referral order, read from the notification log."""
        ids: list[UUID] = []
        start = 1
        while True:
            page = self.store.recorder.select_notifications(
                start=start, limit=batch, topics=[_REFERRED_TOPIC]
            )
            ids.extend(UUID(str(n.originator_id)) for n in page)
            if len(page) < batch:
                return ids
            start = page[-1].id + 1
