"""Preparation commands of a case: facilitator pair, activity type, venue, prison access.

Split from :mod:`domain.case.aggregate` to keep modules readable; :class:`Case` inherits these.
"""

from __future__ import annotations

from eventsourcing.domain import event

from domain.agencies import PrisonCode
from domain.base import EventMeta
from domain.case.participation import OFFENDER, VICTIM, CaseParticipation
from domain.case.state import PrisonAccess, Venue
from domain.case.values import ActivityType, PrisonAccessStatus, VenueKind
from domain.errors import InvalidTransition
from domain.personal import PersonalText
from domain.text import FreeText, Identifier, Identifiers, Name, Names


class CasePreparation(CaseParticipation):
    """Commands that get a case ready for an activity. State is created in ``Case.__init__``."""

    # --- facilitators -------------------------------------------------------------------------
    def assign_facilitators(
        self, facilitators: Identifiers, matched_on: Names, meta: EventMeta
    ) -> None:
        self.check_case_is_open()
        self.check_facilitators_form_a_pair(facilitators)
        if self.facilitators:
            raise InvalidTransition("facilitators are kept from start to end: replace one instead")
        self._facilitators_assigned(facilitators=facilitators, matched_on=matched_on, meta=meta)

    @event("FacilitatorsAssigned")
    def _facilitators_assigned(
        self, facilitators: tuple[str, ...], matched_on: tuple[str, ...], meta: EventMeta
    ) -> None:
        self.facilitators = tuple(facilitators)

    def replace_facilitator(
        self, outgoing: Identifier, incoming: Identifier, reason: FreeText, meta: EventMeta
    ) -> None:
        self.check_case_is_open()
        self.check_reason_given(reason, "replacing a facilitator")
        if outgoing not in self.facilitators:
            raise InvalidTransition(f"{outgoing!r} is not a facilitator on this case")
        if incoming in self.facilitators:
            raise InvalidTransition(f"{incoming!r} is already a facilitator on this case")
        self._facilitator_replaced(outgoing=outgoing, incoming=incoming, reason=reason, meta=meta)

    @event("FacilitatorReplaced")
    def _facilitator_replaced(
        self, outgoing: str, incoming: str, reason: PersonalText, meta: EventMeta
    ) -> None:
        self.facilitators = tuple(incoming if f == outgoing else f for f in self.facilitators)

    # --- activity type, venue and prison access -----------------------------------------------
    def choose_activity_type(
        self,
        activity_type: ActivityType,
        preferred_by: Identifier,
        meta: EventMeta,
        reason: FreeText = "",
    ) -> None:
        """First choice emits ActivityTypeChosen; a later change needs a reason."""
        self.check_case_is_open()
        self.check_participant_has_role(preferred_by, VICTIM, OFFENDER)
        if self.activity_type is None:
            self._activity_type_chosen(
                activity_type=activity_type, preferred_by=preferred_by, meta=meta
            )
            return
        if activity_type is self.activity_type:
            raise InvalidTransition(f"the activity type is already {activity_type.value}")
        self.check_reason_given(reason, "changing the activity type")
        self._activity_type_changed(
            previous=self.activity_type,
            activity_type=activity_type,
            preferred_by=preferred_by,
            reason=reason,
            meta=meta,
        )

    @event("ActivityTypeChosen")
    def _activity_type_chosen(
        self, activity_type: ActivityType, preferred_by: str, meta: EventMeta
    ) -> None:
        self.activity_type = activity_type

    @event("ActivityTypeChanged")
    def _activity_type_changed(
        self,
        previous: ActivityType,
        activity_type: ActivityType,
        preferred_by: str,
        reason: PersonalText,
        meta: EventMeta,
    ) -> None:
        self.activity_type = activity_type

    def set_venue(
        self, kind: VenueKind, name: Name, meta: EventMeta, prison_code: PrisonCode | None = None
    ) -> None:
        self.check_case_is_open()
        if (kind is VenueKind.PRISON) != (prison_code is not None):
            raise InvalidTransition("a prison venue, and only a prison venue, has a prison code")
        self._venue_set(kind=kind, name=name, prison_code=prison_code, meta=meta)

    @event("VenueSet")
    def _venue_set(
        self, kind: VenueKind, name: str, prison_code: str | None, meta: EventMeta
    ) -> None:
        self.venue = Venue(kind, prison_code, name)
        if prison_code is not None:
            self.agencies_on_case.add(f"prison:{prison_code}")
        if self.prison_access and self.prison_access.prison_code != prison_code:
            self.prison_access = None

    def request_prison_access(self, prison_code: PrisonCode, meta: EventMeta) -> None:
        self.check_case_is_open()
        if self.venue is None or self.venue.prison_code != prison_code:
            raise InvalidTransition(f"set the venue to prison {prison_code} before asking access")
        self._prison_access_requested(prison_code=prison_code, meta=meta)

    @event("PrisonAccessRequested")
    def _prison_access_requested(self, prison_code: str, meta: EventMeta) -> None:
        self.prison_access = PrisonAccess(prison_code, PrisonAccessStatus.REQUESTED)

    def decide_prison_access(self, granted: bool, meta: EventMeta, reason: FreeText = "") -> None:
        self.check_case_is_open()
        if self.prison_access is None:
            raise InvalidTransition("no prison access request is pending")
        if granted:
            self._prison_access_granted(prison_code=self.prison_access.prison_code, meta=meta)
        else:
            self.check_reason_given(reason, "refusing prison access")
            code = self.prison_access.prison_code
            self._prison_access_refused(prison_code=code, reason=reason, meta=meta)

    @event("PrisonAccessGranted")
    def _prison_access_granted(self, prison_code: str, meta: EventMeta) -> None:
        self.prison_access = PrisonAccess(prison_code, PrisonAccessStatus.GRANTED)

    @event("PrisonAccessRefused")
    def _prison_access_refused(
        self, prison_code: str, reason: PersonalText, meta: EventMeta
    ) -> None:
        self.prison_access = PrisonAccess(prison_code, PrisonAccessStatus.REFUSED, reason)

    def record_pre_visit(self, participant_id: Identifier, meta: EventMeta) -> None:
        self.check_case_is_open()
        self.check_participant_on_case(participant_id)
        self._pre_visit_held(participant_id=participant_id, meta=meta)

    @event("PreVisitHeld")
    def _pre_visit_held(self, participant_id: str, meta: EventMeta) -> None:
        self.participants[participant_id].pre_visit_done = True
