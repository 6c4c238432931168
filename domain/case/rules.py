"""Guards of the Case aggregate, each named as the rule it enforces."""

from __future__ import annotations

from typing import TYPE_CHECKING

from domain.agencies import areas_of
from domain.case.values import (
    ActivityStatus,
    ActivityType,
    AssessmentLevel,
    AssessmentOutcome,
    ClosureReason,
    ParticipantRole,
    ParticipantStatus,
    PrisonAccessStatus,
    VenueKind,
)
from domain.errors import (
    ActivityPrerequisiteMissing,
    AgencyNotOnCase,
    CaseClosed,
    ConsentOrAssessmentLapsed,
    EnhancedAssessmentRequired,
    InvalidTransition,
    ReasonRequired,
    UnknownParticipant,
    WrongParticipantRole,
)

if TYPE_CHECKING:
    from uuid import UUID

    from domain.case.state import Activity, Participant, PrisonAccess, Venue
    from domain.case.values import CrimeType


def _refusal_for(step: str) -> type[ActivityPrerequisiteMissing]:
    """Before scheduling, the prerequisite rule; afterwards, the rule that they hold until then."""
    return ActivityPrerequisiteMissing if step == "scheduled" else ConsentOrAssessmentLapsed


class CaseRules:
    """Mixed into :class:`Case`; every method raises a :class:`DomainError` or returns."""

    if TYPE_CHECKING:
        id: UUID
        closed_reason: ClosureReason | None
        participants: dict[str, Participant]
        responsibility_accepted: bool
        crime_type: CrimeType
        venue: Venue | None
        activity_type: ActivityType | None
        facilitators: tuple[str, ...]
        prison_access: PrisonAccess | None
        activities: dict[str, Activity]
        outcome_terms: tuple[str, ...]
        follow_ups: int
        pcc_area: str
        agencies_on_case: set[str]

    def check_agency_acts_in_the_case_area_or_is_on_the_case(self, agency: str) -> None:
        """On the case: the referrer, an agency given the victim's details, the venue's prison."""
        if agency in self.agencies_on_case or self.pcc_area in areas_of(agency):
            return
        raise AgencyNotOnCase(
            f"{agency} does not work in {self.pcc_area} and is not on case {self.id} (not the "
            "referrer, not given the victim's details, not the venue's prison)"
        )

    def check_case_is_open(self) -> None:
        if self.closed_reason is not None:
            raise CaseClosed(
                f"case {self.id} is closed ({self.closed_reason}); only complaints and "
                "feedback can be recorded"
            )

    def check_participant_on_case(self, participant_id: str) -> Participant:
        try:
            return self.participants[participant_id]
        except KeyError:
            raise UnknownParticipant(
                f"participant {participant_id!r} is not on case {self.id}"
            ) from None

    def check_participant_has_role(
        self, participant_id: str, *roles: ParticipantRole
    ) -> Participant:
        participant = self.check_participant_on_case(participant_id)
        if participant.role not in roles:
            wanted = " or ".join(r.value for r in roles)
            raise WrongParticipantRole(
                f"participant {participant_id!r} is the {participant.role.value}; this step is for "
                f"the {wanted}"
            )
        return participant

    def check_reason_given(self, reason: str, what: str) -> None:
        if not reason.strip():
            raise ReasonRequired(f"{what} needs a reason")

    def check_responsibility_accepted_before_activity(self) -> None:
        if not self.responsibility_accepted:
            raise ActivityPrerequisiteMissing(
                "the offender has not accepted responsibility: no RJ activity can be scheduled"
            )

    def check_written_consent_before_activity(
        self, participant_ids: tuple[str, ...], step: str = "scheduled"
    ) -> None:
        missing = [p for p in participant_ids if not self.participants[p].has_written_consent]
        if missing:
            error = _refusal_for(step)
            raise error(
                f"no written consent from {', '.join(missing)} now: no RJ activity can be {step}"
            )

    def check_assessment_completed_before_activity(
        self, participant_ids: tuple[str, ...], step: str = "scheduled"
    ) -> None:
        """The enhanced-assessment rule is named first: it is the more specific one."""
        if self.crime_type.is_sensitive:
            standard = [p for p in participant_ids if not self.has_enhanced_assessment(p)]
            if standard:
                raise EnhancedAssessmentRequired(
                    f"{self.crime_type.value} cases need an enhanced risk and needs assessment: "
                    f"there is none of {', '.join(standard)}, so no RJ activity can be {step}"
                )
        missing = [p for p in participant_ids if not self.participants[p].is_assessed_suitable]
        if missing:
            error = _refusal_for(step)
            raise error(
                f"no completed assessment finding {', '.join(missing)} suitable: "
                f"no RJ activity can be {step}"
            )

    def has_enhanced_assessment(self, participant_id: str) -> bool:
        assessment = self.participants[participant_id].assessment
        return assessment is not None and assessment.level is AssessmentLevel.ENHANCED

    def check_consent_and_assessment_hold_until_the_activity(
        self, activity: Activity, step: str = "held"
    ) -> None:
        """Re-checked when the activity is held or its outcome recorded: consent may have been
        withdrawn, or a new assessment found someone not suitable, since it was scheduled."""
        self.check_written_consent_before_activity(activity.participant_ids, step)
        self.check_assessment_completed_before_activity(activity.participant_ids, step)

    def check_enhanced_assessment_for_sensitive_crime(self, level: AssessmentLevel) -> None:
        if self.crime_type.is_sensitive and level is not AssessmentLevel.ENHANCED:
            raise EnhancedAssessmentRequired(
                f"{self.crime_type.value} cases need an enhanced risk and needs assessment"
            )

    def check_not_suitable_has_reasons(
        self, outcome: AssessmentOutcome, reasons: tuple[str, ...]
    ) -> None:
        if outcome is AssessmentOutcome.NOT_SUITABLE and not any(r.strip() for r in reasons):
            raise ReasonRequired("an assessment finding a participant not suitable needs reasons")

    def check_never_refused_for_crime_type_alone(self, reason: ClosureReason) -> None:
        """Closing as not suitable needs an assessment that found someone not suitable."""
        if reason is not ClosureReason.NOT_SUITABLE:
            return
        found = [
            p.assessment
            for p in self.participants.values()
            if p.assessment and p.assessment.outcome is AssessmentOutcome.NOT_SUITABLE
        ]
        if not found:
            raise InvalidTransition(
                "a case is closed as not suitable only after an assessment found a participant "
                "not suitable, never because of its crime type"
            )
        if self.crime_type.is_sensitive and not any(
            a.level is AssessmentLevel.ENHANCED for a in found
        ):
            raise EnhancedAssessmentRequired(
                f"a {self.crime_type.value} case is closed as not suitable only after an "
                "enhanced assessment"
            )

    def check_withdrawn_participant_can_re_engage(self, participant: Participant) -> None:
        if participant.status not in (ParticipantStatus.WITHDRAWN, ParticipantStatus.DECLINED):
            raise InvalidTransition(
                f"participant {participant.participant_id!r} has not withdrawn or declined "
                f"(status {participant.status.value}), so there is nothing to re-engage"
            )

    def check_prison_access_granted_for_prison_venue(self, activity: ActivityType) -> None:
        if not activity.needs_venue:
            return
        if self.venue is None:
            raise ActivityPrerequisiteMissing("a face-to-face conference needs a venue")
        if self.venue.kind is VenueKind.PRISON and (
            self.prison_access is None
            or self.prison_access.status is not PrisonAccessStatus.GRANTED
        ):
            raise ActivityPrerequisiteMissing(
                f"prison access to {self.venue.prison_code} has not been granted"
            )

    def check_activity_is_scheduled(self, activity_id: str) -> Activity:
        activity = self.activities.get(activity_id)
        if activity is None:
            raise InvalidTransition(f"no activity {activity_id!r} on case {self.id}")
        if activity.status is not ActivityStatus.SCHEDULED:
            raise InvalidTransition(f"activity {activity_id!r} is already {activity.status.value}")
        return activity

    def check_facilitators_form_a_pair(self, facilitators: tuple[str, ...]) -> None:
        if len(set(facilitators)) != 2 or len(facilitators) != 2:
            raise InvalidTransition("facilitators are assigned as a pair of two different people")
