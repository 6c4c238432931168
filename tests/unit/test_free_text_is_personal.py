"""Free text is personal data (issue 12, item 2): every free-text field of a Case event that can
name a person is ``PersonalText``, sealed under the key of the person the event names, else the
case's. Tests named as the rules."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

from pydantic import BaseModel

from adapters.personal_cipher import subject_for
from domain.agreement import DataCategory as C
from domain.case.aggregate import Case
from domain.personal import personal_fields
from domain.sharing import Outcome, decide, event_name

PERSONAL_FREE_TEXT = {
    "Case.Referred": {"summary"},
    "Case.ParticipantAdded": {"name", "contact"},
    "Case.ParticipantDeclined": {"reason"},
    "Case.ParticipantWithdrew": {"reason"},
    "Case.AssessmentCompleted": {"conditions", "reasons"},
    "Case.VulnerabilityRecorded": {"notes"},
    "Case.FacilitatorReplaced": {"reason"},
    "Case.ActivityTypeChanged": {"reason"},
    "Case.PrisonAccessRefused": {"reason"},
    "Case.ActivityRescheduled": {"reason"},
    "Case.ActivityCancelled": {"reason"},
    "Case.OutcomeAgreed": {"terms"},
    "Case.FollowUpRecorded": {"notes"},
    "Case.ComplaintReceived": {"about", "summary"},
    "Case.ComplaintResolved": {"resolution"},
    "Case.VictimUpdated": {"reason"},
    "Case.CaseClosed": {"detail"},
}

# Text fields of Case events left in clear, each decided: ids and codes, and short labels that
# agencies need for logistics and that do not describe a person.
NOT_PERSONAL = {
    "activity_id",
    "complaint_id",
    "participant_id",
    "participant_ids",
    "preferred_by",
    "outgoing",
    "incoming",
    "facilitators",
    "form_reference",
    "prison_code",
    "prison_number",
    "previous_prison_number",
    "supports",
    "to_agency",
    "pcc_area",
    "originator_topic",
    "method",  # how contact was attempted: "phone", "letter", "prison visit"
    "provider",  # the support service referred to: "IDVA", "youth service"
    "matched_on",  # what the facilitator pair was matched on: "locality", "bereavement"
    "name",  # of the venue (VenueSet): where the activity is held, needed by every party
}


def case_events() -> list[type[BaseModel]]:
    found = [getattr(Case, n) for n in dir(Case)]
    events = {c for c in found if isinstance(c, type) and issubclass(c, BaseModel)}
    return sorted(events, key=event_name)


def text_fields(cls: type[BaseModel]) -> set[str]:
    return {n for n, f in cls.model_fields.items() if "str" in repr(f.annotation)}


def test_every_free_text_field_of_a_case_event_is_personal() -> None:
    marked = {event_name(c): set(personal_fields(c)) for c in case_events()}
    assert {name: fields for name, fields in marked.items() if fields} == PERSONAL_FREE_TEXT


def test_a_new_text_field_on_a_case_event_must_be_decided_personal_or_not() -> None:
    undecided = {
        (event_name(c), f)
        for c in case_events()
        for f in text_fields(c) - personal_fields(c) - NOT_PERSONAL
    }
    assert not undecided, f"decide: PersonalText, or add to NOT_PERSONAL with why: {undecided}"


def test_free_text_is_sealed_under_the_person_the_event_names_else_under_the_case() -> None:
    case = uuid4()
    assert subject_for({"participant_id": "v1", "reason": "x"}, case) == f"{case}/v1"
    assert subject_for({"preferred_by": "o1", "reason": "x"}, case) == f"{case}/o1"
    for case_level in ({"activity_id": "a1", "reason": "x"}, {"detail": "x"}, {"terms": ["x"]}):
        assert subject_for(case_level, case) == str(case)
    no_participant = {"complaint_id": "c1", "about": "x", "participant_id": None}
    assert subject_for(no_participant, case) == str(case)


def shared(name: str, data: dict[str, Any], *granted: C) -> Any:
    cls = next(c for c in case_events() if event_name(c) == name)
    return decide(cls, data, frozenset(granted))


def test_reasons_travel_as_codes_and_their_free_text_stays_with_the_writer() -> None:
    moved = {"activity_id": "a1", "reason_code": "prisoner_moved", "reason": "to HMP Dartmoor"}
    rescheduled = shared("Case.ActivityRescheduled", moved, C.ACTIVITY)
    assert rescheduled.outcome is Outcome.REDACTED and rescheduled.removed == ("reason",)
    assert rescheduled.data == {"activity_id": "a1", "reason_code": "prisoner_moved"}
    update = {"participant_id": "v1", "reason_code": "other", "reason": "Priya told by phone"}
    assert shared("Case.VictimUpdated", update, C.CASE_STATUS).removed == ("reason",)
    closed = {"reason": "completed", "detail": "conference held"}
    assert shared("Case.CaseClosed", closed, C.CASE_STATUS).removed == ("detail",)


def test_a_prison_refusal_reason_and_a_complaint_subject_go_to_the_category_recipient() -> None:
    refused = {"prison_code": "LEI", "reason": "no room for a conference"}
    assert shared("Case.PrisonAccessRefused", refused, C.PRISON_ACCESS).outcome is Outcome.SENT
    complaint = {"complaint_id": "c1", "about": "timeliness", "summary": "nobody called"}
    to_hub = shared("Case.ComplaintReceived", complaint, C.COMPLAINT)
    assert to_hub.removed == ("summary",) and to_hub.data == {
        "complaint_id": "c1",
        "about": "timeliness",
    }
