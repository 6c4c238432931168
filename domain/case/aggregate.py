"""The RJ case aggregate: referral to closure, with several victims, supporters and one offender.

Public methods are commands: they check the rules (see :mod:`domain.case.rules`) and then call a
private ``@event`` method, whose body is the only code that changes state (and so also runs when
the case is replayed from its events).
"""

from __future__ import annotations

from datetime import date
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.domain import event

from domain.agencies import PccAreaCode
from domain.base import Aggregate, EventMeta
from domain.case.offender_identity import CaseOffenderIdentity
from domain.case.participation import VICTIM
from domain.case.state import (
    Activity,
    Complaint,
    Feedback,
    Participant,
    PrisonAccess,
    Venue,
    VictimUpdate,
)
from domain.case.values import (
    ActivityStatus,
    ActivityType,
    CjsStage,
    ClosureReason,
    CrimeType,
    DelayReason,
    FeedbackElement,
    FeedbackStage,
    ReferralRoute,
)
from domain.errors import DuplicateEntity, InvalidTransition
from domain.personal import PersonalText
from domain.text import FreeText, Identifier, Name


class Case(CaseOffenderIdentity):
    class Referred(Aggregate.Created):
        """v2 renamed ``area`` to ``pcc_area`` and added ``crime_reported_on``."""

        class_version: ClassVar[int] = 2
        route: ReferralRoute
        cjs_stage: CjsStage
        crime_type: CrimeType
        pcc_area: str
        crime_reported_on: date | None
        summary: PersonalText

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["pcc_area"] = state.pop("area")
            state.setdefault("crime_reported_on", None)

    @event(Referred)
    def __init__(
        self,
        id: UUID,
        route: ReferralRoute,
        cjs_stage: CjsStage,
        crime_type: CrimeType,
        pcc_area: PccAreaCode,
        crime_reported_on: date | None,
        summary: FreeText,
        meta: EventMeta,
    ) -> None:
        self.route = route
        self.cjs_stage = cjs_stage
        self.crime_type = crime_type
        self.pcc_area = pcc_area
        self.crime_reported_on = crime_reported_on
        self.summary = summary
        self.referred_by = meta.agency
        self.agencies_on_case = {meta.agency}
        self.referred_at = meta.occurred_at
        self.participants: dict[str, Participant] = {}
        self.responsibility_accepted = False
        self.facilitators: tuple[str, ...] = ()
        self.activity_type: ActivityType | None = None
        self.venue: Venue | None = None
        self.prison_access: PrisonAccess | None = None
        self.activities: dict[str, Activity] = {}
        self.outcome_terms: tuple[str, ...] = ()
        self.follow_ups = 0
        self.feedback: list[Feedback] = []
        self.complaints: dict[str, Complaint] = {}
        self.victim_updates: list[VictimUpdate] = []
        self.closed_reason: ClosureReason | None = None

    @property
    def is_closed(self) -> bool:
        return self.closed_reason is not None

    # --- after the activity -------------------------------------------------------------------
    def record_feedback(
        self,
        participant_id: Identifier,
        stage: FeedbackStage,
        ratings: dict[FeedbackElement, int],
        meta: EventMeta,
        felt_empowered: bool | None = None,
    ) -> None:
        """Allowed on a closed case: feedback after the activity often comes after closure."""
        self.check_participant_on_case(participant_id)
        if any(not 1 <= score <= 5 for score in ratings.values()):
            raise InvalidTransition("feedback ratings run from 1 (poor) to 5 (excellent)")
        self._feedback_recorded(
            participant_id=participant_id,
            stage=stage,
            ratings=ratings,
            felt_empowered=felt_empowered,
            meta=meta,
        )

    @event("FeedbackRecorded")
    def _feedback_recorded(
        self,
        participant_id: str,
        stage: FeedbackStage,
        ratings: dict[FeedbackElement, int],
        felt_empowered: bool | None,
        meta: EventMeta,
    ) -> None:
        self.feedback.append(Feedback(participant_id, stage, dict(ratings), felt_empowered))

    def record_complaint(
        self,
        complaint_id: Identifier,
        about: Name,
        summary: FreeText,
        meta: EventMeta,
        participant_id: Identifier | None = None,
    ) -> None:
        """Allowed at any point, including on a closed case."""
        if complaint_id in self.complaints:
            raise DuplicateEntity(f"complaint {complaint_id!r} already recorded")
        if participant_id is not None:
            self.check_participant_on_case(participant_id)
        self._complaint_received(
            complaint_id=complaint_id,
            about=about,
            summary=summary,
            participant_id=participant_id,
            meta=meta,
        )

    @event("ComplaintReceived")
    def _complaint_received(
        self,
        complaint_id: str,
        about: PersonalText,
        summary: PersonalText,
        participant_id: str | None,
        meta: EventMeta,
    ) -> None:
        self.complaints[complaint_id] = Complaint(complaint_id, about)

    def resolve_complaint(
        self, complaint_id: Identifier, resolution: FreeText, meta: EventMeta
    ) -> None:
        complaint = self.complaints.get(complaint_id)
        if complaint is None or complaint.resolved:
            raise InvalidTransition(f"no open complaint {complaint_id!r}")
        self._complaint_resolved(complaint_id=complaint_id, resolution=resolution, meta=meta)

    @event("ComplaintResolved")
    def _complaint_resolved(
        self, complaint_id: str, resolution: PersonalText, meta: EventMeta
    ) -> None:
        self.complaints[complaint_id].resolved = True

    def update_victim(
        self,
        participant_id: Identifier,
        reason_code: DelayReason,
        reason: FreeText,
        meta: EventMeta,
    ) -> None:
        """The victim was kept informed of a delay and its reason (Victims' Code)."""
        self.check_case_is_open()
        self.check_participant_has_role(participant_id, VICTIM)
        self.check_reason_given(reason, "an update to the victim")
        self._victim_updated(
            participant_id=participant_id, reason_code=reason_code, reason=reason, meta=meta
        )

    @event("VictimUpdated")
    def _victim_updated(
        self, participant_id: str, reason_code: DelayReason, reason: PersonalText, meta: EventMeta
    ) -> None:
        self.victim_updates.append(VictimUpdate(participant_id, reason_code, meta.occurred_at))

    def close(self, reason: ClosureReason, detail: FreeText, meta: EventMeta) -> None:
        self.check_case_is_open()
        self.check_never_refused_for_crime_type_alone(reason)
        if reason is ClosureReason.COMPLETED and not any(
            a.status is ActivityStatus.HELD for a in self.activities.values()
        ):
            raise InvalidTransition("a case is completed only after an activity was held")
        self._closed(reason=reason, detail=detail, meta=meta)

    @event("CaseClosed")
    def _closed(self, reason: ClosureReason, detail: PersonalText, meta: EventMeta) -> None:
        self.closed_reason = reason
