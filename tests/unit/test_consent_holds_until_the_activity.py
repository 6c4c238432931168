"""Consent and assessment hold until the activity (issue 13, item 1), and the most specific rule
is the one named (item 3). Tests named as the rules."""

from __future__ import annotations

from typing import Any

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
)
from domain.errors import (
    ActivityPrerequisiteMissing,
    ConsentOrAssessmentLapsed,
    EnhancedAssessmentRequired,
    InvalidTransition,
)
from tests.unit.case_builders import START, meta, ready_case, referred_case

WHEN = START.replace(month=3)


def scheduled(crime: CrimeType = CrimeType.BURGLARY) -> Case:
    case = ready_case(crime)
    case.schedule_activity("a1", ("v1", "o1"), WHEN, meta())
    return case


def test_holding_an_activity_rechecks_the_consent_of_every_participant_in_it() -> None:
    case = scheduled()
    # History stored before withdrawals cancelled activities: the activity is still scheduled.
    case._withdrew(participant_id="v1", reason="no longer wants to meet", meta=meta())
    assert case.activities["a1"].status is ActivityStatus.SCHEDULED
    with pytest.raises(ConsentOrAssessmentLapsed, match="no written consent from v1 now") as e:
        case.record_activity_held("a1", meta())
    assert e.value.rule == "consent_and_assessment_hold_until_the_activity"


def test_holding_an_activity_rechecks_the_assessment_of_every_participant_in_it() -> None:
    case = scheduled()
    case.record_assessment(
        "o1",
        AssessmentLevel.STANDARD,
        AssessmentOutcome.NOT_SUITABLE,
        meta(),
        reasons=("new risk information",),
    )
    with pytest.raises(ConsentOrAssessmentLapsed, match="assessment finding o1 suitable"):
        case.record_activity_held("a1", meta())
    assert case.activities["a1"].status is ActivityStatus.SCHEDULED


def test_an_activity_cannot_be_held_after_a_participant_withdrew() -> None:
    case = scheduled()
    case.withdraw("v1", "changed their mind", meta())
    with pytest.raises(InvalidTransition, match="already cancelled"):
        case.record_activity_held("a1", meta())
    with pytest.raises(InvalidTransition, match="only after an activity was held"):
        case.close(ClosureReason.COMPLETED, "done", meta())


def test_a_withdrawal_cancels_the_scheduled_activities_it_affects_with_a_reason() -> None:
    case = scheduled()
    case.schedule_activity("a2", ("v1",), WHEN.replace(day=20), meta())
    case.withdraw("o1", "will not take part", meta())
    assert case.activities["a1"].status is ActivityStatus.CANCELLED
    assert case.activities["a2"].status is ActivityStatus.SCHEDULED  # o1 is not in it
    cancelled: list[Any] = [
        e for e in case.collect_events() if type(e).__name__ == "ActivityCancelled"
    ]
    assert len(cancelled) == 1
    assert cancelled[0].activity_id == "a1"
    assert cancelled[0].reason_code is DelayReason.CONSENT_WITHDRAWN
    assert "o1 withdrew their consent" in cancelled[0].reason


def test_a_decline_after_consent_cancels_the_scheduled_activities_it_affects() -> None:
    case = scheduled()
    case.decline("v1", "does not want RJ after all", meta())
    assert case.activities["a1"].status is ActivityStatus.CANCELLED


def test_a_participant_who_re_engages_and_consents_again_can_take_part_in_a_new_activity() -> None:
    case = scheduled()
    case.withdraw("v1", "needs time", meta())
    case.re_engage("v1", meta())
    case.record_consent("v1", "form-v1-again", meta())
    case.schedule_activity("a2", ("v1", "o1"), WHEN.replace(day=28), meta())
    case.record_activity_held("a2", meta())
    assert case.activities["a2"].status is ActivityStatus.HELD


def test_recording_the_outcome_rechecks_consent_and_assessment_of_the_activity_participants() -> (
    None
):
    case = scheduled()
    case.record_activity_held("a1", meta())
    case.withdraw("v1", "wants no further part", meta())
    with pytest.raises(ConsentOrAssessmentLapsed, match="can be given an outcome"):
        case.record_outcome_agreement(("letter of apology",), meta())


def test_sensitive_crime_activities_name_the_enhanced_assessment_rule_before_the_generic_one() -> (
    None
):
    case = referred_case(CrimeType.DOMESTIC_ABUSE)
    case.accept_responsibility("o1", meta())
    for pid in ("v1", "o1"):
        case.record_consent(pid, f"form-{pid}", meta())
    case.record_assessment("o1", AssessmentLevel.ENHANCED, AssessmentOutcome.SUITABLE, meta())
    case.choose_activity_type(ActivityType.LETTER, "v1", meta())
    with pytest.raises(EnhancedAssessmentRequired, match="none of v1") as e:
        case.schedule_activity("a1", ("v1", "o1"), WHEN, meta())
    assert e.value.rule == "sensitive_crime_cases_need_an_enhanced_assessment"


def test_other_cases_without_an_assessment_name_the_generic_prerequisite_rule() -> None:
    case = referred_case()
    case.accept_responsibility("o1", meta())
    for pid in ("v1", "o1"):
        case.record_consent(pid, f"form-{pid}", meta())
    with pytest.raises(ActivityPrerequisiteMissing) as e:
        case.check_assessment_completed_before_activity(("v1",))
    assert e.value.rule == "no_activity_without_responsibility_consent_and_assessment"
