"""Plain mutable state of a case, rebuilt from its events (never stored directly)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from domain.case.values import (
    ActivityStatus,
    ActivityType,
    AssessmentLevel,
    AssessmentOutcome,
    DelayReason,
    FeedbackElement,
    FeedbackStage,
    ParticipantRole,
    ParticipantStatus,
    PrisonAccessStatus,
    SupportNeed,
    VenueKind,
    Vulnerability,
)


@dataclass
class Assessment:
    level: AssessmentLevel
    outcome: AssessmentOutcome
    conditions: tuple[str, ...]
    reasons: tuple[str, ...]
    completed_at: datetime


@dataclass
class Participant:
    participant_id: str
    role: ParticipantRole
    name: str
    contact: str | None
    is_child: bool
    supports: str | None
    prison_number: str | None
    status: ParticipantStatus = ParticipantStatus.ADDED
    informed: bool = False
    details_passed_at: datetime | None = None
    contacted: bool = False
    consent_form: str | None = None
    assessment: Assessment | None = None
    vulnerabilities: list[Vulnerability] = field(default_factory=list)
    support_referrals: list[SupportNeed] = field(default_factory=list)
    pre_visit_done: bool = False

    @property
    def has_written_consent(self) -> bool:
        return self.consent_form is not None and self.status is ParticipantStatus.CONSENTED

    @property
    def is_assessed_suitable(self) -> bool:
        return (
            self.assessment is not None
            and self.assessment.outcome is not AssessmentOutcome.NOT_SUITABLE
        )


@dataclass
class Activity:
    activity_id: str
    activity_type: ActivityType
    participant_ids: tuple[str, ...]
    scheduled_for: datetime
    status: ActivityStatus = ActivityStatus.SCHEDULED
    reschedules: list[tuple[datetime, DelayReason, str]] = field(default_factory=list)


@dataclass
class Venue:
    kind: VenueKind
    prison_code: str | None
    name: str


@dataclass
class PrisonAccess:
    prison_code: str
    status: PrisonAccessStatus
    reason: str | None = None


@dataclass
class Feedback:
    participant_id: str
    stage: FeedbackStage
    ratings: dict[FeedbackElement, int]
    felt_empowered: bool | None


@dataclass
class Complaint:
    complaint_id: str
    about: str
    resolved: bool = False


@dataclass
class VictimUpdate:
    participant_id: str
    reason: DelayReason
    at: datetime


@dataclass
class CaseDates:
    crime_reported_on: date | None
    referred_at: datetime
