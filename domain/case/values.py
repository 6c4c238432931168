"""Vocabulary of an RJ case: routes, stages, crime types, outcomes (from DOMAIN.md)."""

from __future__ import annotations

from enum import StrEnum


class ReferralRoute(StrEnum):
    POLICE = "police"
    PROBATION = "probation"
    PRISON = "prison"
    PCC_HUB = "pcc_hub"
    VICTIM_SELF_REFERRAL = "victim_self_referral"
    OFFENDER_INITIATED = "offender_initiated"


class CjsStage(StrEnum):
    PRE_CHARGE = "pre_charge"
    PRE_SENTENCE = "pre_sentence"
    POST_SENTENCE_COMMUNITY = "post_sentence_community"
    CUSTODY = "custody"
    AFTER_RELEASE = "after_release"


class CrimeType(StrEnum):
    VIOLENCE = "violence"
    BURGLARY = "burglary"
    ROBBERY = "robbery"
    THEFT = "theft"
    CRIMINAL_DAMAGE = "criminal_damage"
    FRAUD = "fraud"
    DRIVING = "driving"
    HOMICIDE = "homicide"
    DOMESTIC_ABUSE = "domestic_abuse"
    SEXUAL_VIOLENCE = "sexual_violence"
    HATE_CRIME = "hate_crime"
    OTHER = "other"

    @property
    def is_sensitive(self) -> bool:
        """Crime types the report says must get an enhanced, case-by-case assessment."""
        return self in SENSITIVE_CRIME_TYPES


SENSITIVE_CRIME_TYPES = frozenset(
    {CrimeType.DOMESTIC_ABUSE, CrimeType.SEXUAL_VIOLENCE, CrimeType.HATE_CRIME}
)


class ParticipantRole(StrEnum):
    VICTIM = "victim"
    OFFENDER = "offender"
    SUPPORTER = "supporter"


class ParticipantStatus(StrEnum):
    ADDED = "added"
    INFORMED = "informed"
    CONTACTED = "contacted"
    UNCONTACTABLE = "uncontactable"
    CONSENTED = "consented"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"


class AssessmentLevel(StrEnum):
    STANDARD = "standard"
    ENHANCED = "enhanced"


class AssessmentOutcome(StrEnum):
    SUITABLE = "suitable"
    SUITABLE_WITH_CONDITIONS = "suitable_with_conditions"
    NOT_SUITABLE = "not_suitable"


class Vulnerability(StrEnum):
    LEARNING_DIFFICULTY = "learning_difficulty"
    MENTAL_HEALTH = "mental_health"
    AGE = "age"
    BEREAVEMENT = "bereavement"
    LANGUAGE = "language"
    PHYSICAL_DISABILITY = "physical_disability"
    OTHER = "other"


class SupportNeed(StrEnum):
    HOUSING = "housing"
    SUBSTANCE_MISUSE = "substance_misuse"
    MENTAL_HEALTH = "mental_health"
    CRIME_SPECIFIC = "crime_specific"
    DISABILITY = "disability"
    YOUTH = "youth"
    OTHER = "other"


class ActivityType(StrEnum):
    FACE_TO_FACE_CONFERENCE = "face_to_face_conference"
    LETTER = "letter"
    SHUTTLE = "shuttle"
    VIDEO = "video"
    RECORDED_MESSAGE = "recorded_message"

    @property
    def needs_venue(self) -> bool:
        return self is ActivityType.FACE_TO_FACE_CONFERENCE


class VenueKind(StrEnum):
    PRISON = "prison"
    COMMUNITY = "community"


class PrisonAccessStatus(StrEnum):
    REQUESTED = "requested"
    GRANTED = "granted"
    REFUSED = "refused"


class ActivityStatus(StrEnum):
    SCHEDULED = "scheduled"
    HELD = "held"
    CANCELLED = "cancelled"


class DelayReason(StrEnum):
    """Why an activity moved or a case waits: the report's recurring causes."""

    PRISONER_MOVED = "prisoner_moved"
    AWAITING_RELEASE = "awaiting_release"
    PRISON_ACCESS = "prison_access"
    PARTICIPANT_UNAVAILABLE = "participant_unavailable"
    FACILITATOR_UNAVAILABLE = "facilitator_unavailable"
    PARTICIPANT_CHOICE = "participant_choice"
    ASSESSMENT = "assessment"
    CONSENT_WITHDRAWN = "consent_withdrawn"  # a participant in it withdrew or declined
    OTHER = "other"


class FeedbackStage(StrEnum):
    BEFORE = "before"
    AFTER = "after"


class FeedbackElement(StrEnum):
    FACILITATOR = "facilitator"
    TIMELINESS = "timeliness"
    VENUE = "venue"
    INFORMATION = "information"
    OVERALL = "overall"


class ClosureReason(StrEnum):
    COMPLETED = "completed"
    WITHDRAWN_BY_VICTIM = "withdrawn_by_victim"
    WITHDRAWN_BY_OFFENDER = "withdrawn_by_offender"
    NOT_SUITABLE = "not_suitable"
    UNCONTACTABLE = "uncontactable"
    DECLINED = "declined"
    OTHER = "other"
