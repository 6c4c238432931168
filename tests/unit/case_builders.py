"""Builders that make aggregate tests read like the domain."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import count
from uuid import uuid4

from domain.base import EventMeta
from domain.case.aggregate import Case
from domain.case.values import (
    ActivityType,
    AssessmentLevel,
    AssessmentOutcome,
    CjsStage,
    CrimeType,
    ParticipantRole,
    ReferralRoute,
)

_ids = count(1)
START = datetime(2025, 1, 6, 9, tzinfo=UTC)


def meta(agency: str = "pcc:west-yorkshire", days: float = 0) -> EventMeta:
    return EventMeta(
        agency=agency,
        user="tester",
        occurred_at=START + timedelta(days=days),
        command_id=f"cmd-{next(_ids)}",
    )


def referred_case(crime_type: CrimeType = CrimeType.BURGLARY) -> Case:
    case = Case(
        id=uuid4(),
        route=ReferralRoute.POLICE,
        cjs_stage=CjsStage.POST_SENTENCE_COMMUNITY,
        crime_type=crime_type,
        pcc_area="west-yorkshire",
        crime_reported_on=START.date(),
        summary="a burglary",
        meta=meta("police:west-yorkshire"),
    )
    case.add_participant("v1", ParticipantRole.VICTIM, "Victim One", meta())
    case.add_participant("o1", ParticipantRole.OFFENDER, "Offender One", meta())
    return case


def ready_case(crime_type: CrimeType = CrimeType.BURGLARY) -> Case:
    """Responsibility accepted, both consented and assessed suitable, letter chosen."""
    case = referred_case(crime_type)
    level = AssessmentLevel.ENHANCED if crime_type.is_sensitive else AssessmentLevel.STANDARD
    case.accept_responsibility("o1", meta())
    for pid in ("v1", "o1"):
        case.record_consent(pid, f"form-{pid}", meta())
        case.record_assessment(pid, level, AssessmentOutcome.SUITABLE, meta())
    case.choose_activity_type(ActivityType.LETTER, "v1", meta())
    return case
