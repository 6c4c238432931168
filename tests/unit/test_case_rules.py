"""Each rule of the Case aggregate, named as the rule."""

from __future__ import annotations

import pytest

from domain.case.aggregate import Case
from domain.case.values import (
    ActivityStatus,
    ActivityType,
    AssessmentLevel,
    AssessmentOutcome,
    ClosureReason,
    CrimeType,
    DelayReason,
    FeedbackElement,
    FeedbackStage,
    ParticipantRole,
    ParticipantStatus,
    PrisonAccessStatus,
    VenueKind,
)
from domain.errors import (
    ActivityPrerequisiteMissing,
    CaseClosed,
    EnhancedAssessmentRequired,
    InvalidTransition,
    ReasonRequired,
    UnknownParticipant,
)
from tests.unit.case_builders import START, meta, ready_case, referred_case

WHEN = START.replace(month=3)


def schedule(case: Case, activity_id: str = "a1", who: tuple[str, ...] = ("v1", "o1")) -> None:
    case.schedule_activity(activity_id, who, WHEN, meta())


def test_no_activity_without_the_offender_accepting_responsibility() -> None:
    case = referred_case()
    for pid in ("v1", "o1"):
        case.record_consent(pid, f"form-{pid}", meta())
        case.record_assessment(pid, AssessmentLevel.STANDARD, AssessmentOutcome.SUITABLE, meta())
    case.choose_activity_type(ActivityType.LETTER, "v1", meta())
    with pytest.raises(ActivityPrerequisiteMissing, match="accepted responsibility"):
        schedule(case)


def test_no_activity_without_written_consent_of_every_participant_in_it() -> None:
    case = referred_case()
    case.accept_responsibility("o1", meta())
    case.record_consent("v1", "form-v1", meta())
    for pid in ("v1", "o1"):
        case.record_assessment(pid, AssessmentLevel.STANDARD, AssessmentOutcome.SUITABLE, meta())
    case.choose_activity_type(ActivityType.LETTER, "v1", meta())
    with pytest.raises(ActivityPrerequisiteMissing, match="no written consent from o1"):
        schedule(case)


def test_written_consent_needs_the_signed_form_reference() -> None:
    case = referred_case()
    with pytest.raises(ReasonRequired):
        case.record_consent("v1", "  ", meta())


def test_no_activity_without_a_completed_assessment() -> None:
    case = referred_case()
    case.accept_responsibility("o1", meta())
    for pid in ("v1", "o1"):
        case.record_consent(pid, f"form-{pid}", meta())
    case.record_assessment("o1", AssessmentLevel.STANDARD, AssessmentOutcome.SUITABLE, meta())
    case.choose_activity_type(ActivityType.LETTER, "v1", meta())
    with pytest.raises(ActivityPrerequisiteMissing, match="assessment finding v1"):
        schedule(case)


def test_a_participant_assessed_not_suitable_cannot_take_part() -> None:
    case = ready_case()
    case.record_assessment(
        "o1", AssessmentLevel.STANDARD, AssessmentOutcome.NOT_SUITABLE, meta(), reasons=("risk",)
    )
    with pytest.raises(ActivityPrerequisiteMissing):
        schedule(case)


def test_an_activity_goes_ahead_once_every_prerequisite_is_met() -> None:
    case = ready_case()
    schedule(case)
    case.record_activity_held("a1", meta())
    assert case.activities["a1"].status is ActivityStatus.HELD


@pytest.mark.parametrize(
    "crime", [CrimeType.DOMESTIC_ABUSE, CrimeType.SEXUAL_VIOLENCE, CrimeType.HATE_CRIME]
)
def test_sensitive_crime_cases_require_an_enhanced_assessment(crime: CrimeType) -> None:
    case = referred_case(crime)
    with pytest.raises(EnhancedAssessmentRequired):
        case.record_assessment("v1", AssessmentLevel.STANDARD, AssessmentOutcome.SUITABLE, meta())
    case.record_assessment("v1", AssessmentLevel.ENHANCED, AssessmentOutcome.SUITABLE, meta())


@pytest.mark.parametrize(
    "crime", [CrimeType.DOMESTIC_ABUSE, CrimeType.SEXUAL_VIOLENCE, CrimeType.HATE_CRIME]
)
def test_sensitive_crime_cases_are_never_refused_outright_because_of_crime_type(
    crime: CrimeType,
) -> None:
    case = referred_case(crime)
    with pytest.raises(InvalidTransition, match="never because of its crime type"):
        case.close(ClosureReason.NOT_SUITABLE, "domestic abuse", meta())
    case.record_assessment(
        "o1",
        AssessmentLevel.ENHANCED,
        AssessmentOutcome.NOT_SUITABLE,
        meta(),
        reasons=("continuing coercive control",),
    )
    case.close(ClosureReason.NOT_SUITABLE, "enhanced assessment found it unsafe", meta())
    assert case.is_closed


def test_sensitive_crime_cases_can_go_ahead_after_an_enhanced_assessment() -> None:
    case = ready_case(CrimeType.DOMESTIC_ABUSE)
    schedule(case)
    assert "a1" in case.activities


def test_not_suitable_needs_reasons() -> None:
    case = referred_case()
    with pytest.raises(ReasonRequired):
        case.record_assessment(
            "o1", AssessmentLevel.STANDARD, AssessmentOutcome.NOT_SUITABLE, meta()
        )


def test_a_withdrawn_participant_can_re_engage() -> None:
    case = ready_case()
    case.withdraw("v1", "needs time", meta())
    assert case.participants["v1"].status is ParticipantStatus.WITHDRAWN
    with pytest.raises(ActivityPrerequisiteMissing, match="no written consent from v1"):
        schedule(case)
    with pytest.raises(InvalidTransition, match="re-engage them first"):
        case.record_consent("v1", "form-v1b", meta())
    case.re_engage("v1", meta())
    case.record_consent("v1", "form-v1b", meta())
    schedule(case)


def test_a_declined_victim_may_change_their_mind() -> None:
    case = referred_case()
    case.decline("v1", "not now", meta())
    case.re_engage("v1", meta())
    assert case.participants["v1"].status is ParticipantStatus.CONTACTED


def test_only_a_withdrawn_or_declined_participant_re_engages() -> None:
    case = referred_case()
    with pytest.raises(InvalidTransition):
        case.re_engage("v1", meta())


def test_nothing_happens_on_a_closed_case_except_complaints_and_feedback() -> None:
    case = ready_case()
    schedule(case)
    case.record_activity_held("a1", meta())
    case.close(ClosureReason.COMPLETED, "done", meta())
    with pytest.raises(CaseClosed):
        case.update_victim("v1", DelayReason.OTHER, "late news", meta())
    with pytest.raises(CaseClosed):
        case.add_participant("v2", ParticipantRole.VICTIM, "Another", meta())
    case.record_complaint("c1", "timeliness", "it took too long", meta(), participant_id="v1")
    case.record_feedback(
        "v1", FeedbackStage.AFTER, {FeedbackElement.OVERALL: 4}, meta(), felt_empowered=True
    )
    case.resolve_complaint("c1", "apology given", meta())
    assert case.complaints["c1"].resolved and len(case.feedback) == 1


def test_facilitator_replacements_need_a_reason() -> None:
    case = referred_case()
    case.assign_facilitators(("fac-a", "fac-b"), ("locality",), meta())
    with pytest.raises(ReasonRequired):
        case.replace_facilitator("fac-a", "fac-c", "", meta())
    case.replace_facilitator("fac-a", "fac-c", "long-term sick leave", meta())
    assert case.facilitators == ("fac-c", "fac-b")


def test_facilitators_are_assigned_as_a_pair() -> None:
    case = referred_case()
    with pytest.raises(InvalidTransition):
        case.assign_facilitators(("fac-a", "fac-a"), (), meta())


def test_changing_the_activity_type_needs_a_reason_and_the_old_activity_cannot_be_held() -> None:
    case = ready_case()
    case.choose_activity_type(ActivityType.FACE_TO_FACE_CONFERENCE, "v1", meta(), reason="v1 asks")
    case.set_venue(VenueKind.COMMUNITY, "Hall", meta())
    schedule(case)
    with pytest.raises(ReasonRequired):
        case.choose_activity_type(ActivityType.LETTER, "o1", meta())
    case.choose_activity_type(ActivityType.LETTER, "o1", meta(), reason="too anxious to meet")
    with pytest.raises(InvalidTransition, match="activity type changed"):
        case.record_activity_held("a1", meta())


def test_a_prison_conference_needs_prison_access_granted() -> None:
    case = ready_case()
    case.choose_activity_type(ActivityType.FACE_TO_FACE_CONFERENCE, "v1", meta(), reason="wish")
    case.set_venue(VenueKind.PRISON, "HMP Leeds", meta(), prison_code="LEI")
    case.request_prison_access("LEI", meta())
    with pytest.raises(ActivityPrerequisiteMissing, match="prison access"):
        schedule(case)
    with pytest.raises(ReasonRequired):
        case.decide_prison_access(False, meta())
    case.decide_prison_access(True, meta("prison:LEI"))
    assert case.prison_access is not None
    assert case.prison_access.status is PrisonAccessStatus.GRANTED
    schedule(case)


def test_rescheduling_needs_a_reason_and_keeps_the_history() -> None:
    case = ready_case()
    schedule(case)
    with pytest.raises(ReasonRequired):
        case.reschedule_activity("a1", WHEN, DelayReason.PRISONER_MOVED, "", meta())
    case.reschedule_activity(
        "a1", WHEN.replace(month=5), DelayReason.PRISONER_MOVED, "moved", meta()
    )
    assert case.activities["a1"].reschedules[0][1] is DelayReason.PRISONER_MOVED


def test_steps_name_participants_on_the_case() -> None:
    case = referred_case()
    with pytest.raises(UnknownParticipant):
        case.record_consent("nobody", "form", meta())


def test_a_case_is_completed_only_after_an_activity_was_held() -> None:
    case = ready_case()
    with pytest.raises(InvalidTransition):
        case.close(ClosureReason.COMPLETED, "done", meta())


def test_feedback_ratings_run_from_one_to_five() -> None:
    case = referred_case()
    with pytest.raises(InvalidTransition):
        case.record_feedback("v1", FeedbackStage.BEFORE, {FeedbackElement.VENUE: 9}, meta())


def test_a_case_rebuilt_from_its_events_equals_the_case_that_made_them() -> None:
    case = ready_case()
    schedule(case)
    events = case.collect_events()
    replayed = None
    for e in events:
        replayed = e.mutate(replayed)
    assert replayed is not None
    assert vars(replayed) == vars(case)
    assert replayed.has_applied(events[-1].meta.command_id)
