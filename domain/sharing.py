"""What a recipient agency may see of an event, given the data categories an ISA grants it.

Each event type belongs to one data category; a recipient without that category gets nothing
(withheld). Fields marked personal (:func:`domain.personal.personal_fields`) are sent only when
a category they are mapped to here is granted; an unmapped personal field (free-text reasons,
notes) is never shared, so a new personal field is private until someone decides otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pydantic import BaseModel

from domain.agreement import DataCategory as C
from domain.personal import personal_fields

EVENT_CATEGORIES: dict[str, C] = {
    "Case.Referred": C.REFERRAL,
    "Case.VictimInformed": C.REFERRAL,
    "Case.VictimDetailsPassed": C.VICTIM_CONTACT,
    "Case.ContactAttempted": C.FACILITATION,
    **dict.fromkeys(
        [
            "Case.ResponsibilityAccepted",
            "Case.WrittenConsentRecorded",
            "Case.ParticipantDeclined",
            "Case.ParticipantWithdrew",
            "Case.ParticipantReEngaged",
        ],
        C.CONSENT,
    ),
    **dict.fromkeys(["Case.AssessmentCompleted", "Case.VulnerabilityRecorded"], C.ASSESSMENT),
    "Case.SupportReferralMade": C.SUPPORT,
    **dict.fromkeys(["Case.FacilitatorsAssigned", "Case.FacilitatorReplaced"], C.FACILITATION),
    **dict.fromkeys(
        [
            "Case.ActivityTypeChosen",
            "Case.ActivityTypeChanged",
            "Case.VenueSet",
            "Case.PreVisitHeld",
            "Case.ActivityScheduled",
            "Case.ActivityRescheduled",
            "Case.ActivityHeld",
            "Case.ActivityCancelled",
        ],
        C.ACTIVITY,
    ),
    **dict.fromkeys(
        ["Case.PrisonAccessRequested", "Case.PrisonAccessGranted", "Case.PrisonAccessRefused"],
        C.PRISON_ACCESS,
    ),
    **dict.fromkeys(["Case.OutcomeAgreed", "Case.FollowUpRecorded"], C.OUTCOME),
    "Case.FeedbackRecorded": C.FEEDBACK,
    **dict.fromkeys(["Case.ComplaintReceived", "Case.ComplaintResolved"], C.COMPLAINT),
    **dict.fromkeys(["Case.VictimUpdated", "Case.CaseClosed"], C.CASE_STATUS),
    **dict.fromkeys(
        [
            "Custody.Opened",
            "Custody.MovementRecorded",
            "Custody.PrisonerMerged",
            "Custody.MergedAway",
        ],
        C.CUSTODY,
    ),
    "Case.OffenderPrisonNumberChanged": C.OFFENDER_IDENTITY,
}

# Personal (or identifying) fields and the category that lets a recipient see them.
FIELD_CATEGORIES: dict[tuple[str, str], C] = {
    ("Case.Referred", "summary"): C.REFERRAL,
    ("Case.ParticipantAdded", "contact"): C.VICTIM_CONTACT,
    ("Case.ParticipantAdded", "prison_number"): C.OFFENDER_IDENTITY,
    # Free text a recipient of the category needs to act on (sealed; resolved at read time):
    ("Case.PrisonAccessRefused", "reason"): C.PRISON_ACCESS,
    ("Case.ComplaintReceived", "about"): C.COMPLAINT,
}

_IDENTITY_BY_ROLE = {"offender": C.OFFENDER_IDENTITY}


class Outcome(StrEnum):
    SENT = "sent"
    REDACTED = "redacted"
    WITHHELD = "withheld"


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    category: C | None
    removed: tuple[str, ...]
    reason: str
    data: dict[str, Any] | None  # what the recipient receives; None when withheld


# The Case aggregate is split over mixins; their events belong to the Case.
_AGGREGATE_OF_MIXIN = {
    "CaseParticipation": "Case",
    "CasePreparation": "Case",
    "CaseActivities": "Case",
    "CaseOffenderIdentity": "Case",
}


def event_name(event_class: type[BaseModel]) -> str:
    """``Aggregate.Event`` as the outside world knows it, e.g. ``Case.ParticipantAdded``."""
    owner, _, name = event_class.__qualname__.rpartition(".")
    return f"{_AGGREGATE_OF_MIXIN.get(owner, owner)}.{name}"


def category_of(name: str, data: dict[str, Any]) -> C | None:
    """The event's category; a participant's identity depends on the participant's role."""
    if name == "Case.ParticipantAdded":
        return _IDENTITY_BY_ROLE.get(data.get("role", ""), C.VICTIM_IDENTITY)
    return EVENT_CATEGORIES.get(name)


def field_category(name: str, field: str, data: dict[str, Any]) -> C | None:
    if name == "Case.ParticipantAdded" and field == "name":
        return category_of(name, data)
    return FIELD_CATEGORIES.get((name, field))


def decide(event_class: type[BaseModel], data: dict[str, Any], granted: frozenset[C]) -> Decision:
    """What to send of one event (as JSON data) to a recipient holding ``granted``."""
    name = event_name(event_class)
    category = category_of(name, data)
    if category is None:
        return Decision(Outcome.WITHHELD, None, (), f"{name} is not shareable", None)
    if category not in granted:
        reason = f"no active agreement grants {category.value}"
        return Decision(Outcome.WITHHELD, category, (), reason, None)
    removed = tuple(
        sorted(
            f
            for f in personal_fields(event_class) | set(FIELD_CATEGORIES_FOR.get(name, ()))
            if f in data and data[f] is not None and field_category(name, f, data) not in granted
        )
    )
    if not removed:
        return Decision(Outcome.SENT, category, (), f"{category.value} granted", dict(data))
    kept = {k: v for k, v in data.items() if k not in removed}
    reason = f"{category.value} granted; removed {', '.join(removed)} (not granted)"
    return Decision(Outcome.REDACTED, category, removed, reason, kept)


FIELD_CATEGORIES_FOR: dict[str, tuple[str, ...]] = {}
for _event, _field in FIELD_CATEGORIES:
    FIELD_CATEGORIES_FOR[_event] = (*FIELD_CATEGORIES_FOR.get(_event, ()), _field)
