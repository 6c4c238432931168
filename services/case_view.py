"""One case for a person's screen (the web case page of issue 15): state, participants, timeline
and delays with their reasons. Who may look is who may read it with ``rjb show``: an auditor, or
an agency acting in the case's area or on the case. Personal data (names, contact details and
event details) only for an auditor or an agency of the case's area; an agency only on the case
(say the venue's prison) sees the case's shape with personal data withheld. Every view, and
every refusal, is in the read log with what was shown."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from domain.agencies import areas_of
from domain.errors import DomainError
from projections.delay_results import Breach
from projections.queries import ReadModels
from services.bootstrap import Backbone
from services.case_queries import CaseQueries, TimelineEntry, case_summary
from services.identity import Forbidden, Identity, Role

WITHHELD = "[withheld]"


class NoSuchCase(LookupError):
    pass


@dataclass(frozen=True)
class CaseView:
    case_id: str
    summary: dict[str, Any]
    personal: bool
    participants: list[dict[str, Any]]
    timeline: list[TimelineEntry]
    delays: list[Breach] = field(default_factory=list)


def case_view(
    backbone: Backbone, models: ReadModels, caller: Identity, case_id: UUID, why: str
) -> CaseView:
    audit = backbone.audit(caller.reader)
    case = backbone.commands.load(case_id)
    if case is None:
        raise NoSuchCase(f"there is no case {case_id}")
    auditor = caller.has(Role.AUDITOR)
    if not auditor:
        try:
            case.check_agency_acts_in_the_case_area_or_is_on_the_case(caller.agency)
        except DomainError as error:
            audit.log_read("refused:web:case", str(case_id), f"why: {why}")
            raise Forbidden(error.message) from None
    personal = auditor or case.pcc_area in areas_of(caller.agency)
    shown = "with personal data" if personal else "personal data withheld"
    audit.log_read("web:case", str(case_id), f"{shown}; why: {why}")
    summary = case_summary(case)
    participants = [
        {
            "participant_id": pid,
            "name": p.name if personal else WITHHELD,
            "contact": (p.contact or "") if personal else WITHHELD,
            **summary["participants"][pid],
        }
        for pid, p in case.participants.items()
    ]
    timeline = CaseQueries(backbone.store).timeline(case_id)
    if not personal:
        timeline = [_withheld(e) for e in timeline]
    delays = [b for b in models.delays.breaches() if b.case_id == str(case_id)]
    return CaseView(str(case_id), summary, personal, participants, timeline, delays)


def _withheld(entry: TimelineEntry) -> TimelineEntry:
    return TimelineEntry(
        entry.version,
        entry.event,
        entry.occurred_at,
        entry.recorded_at,
        entry.agency,
        entry.user,
        {"details": WITHHELD},
    )
