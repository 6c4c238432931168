"""Participant-side commands of a case: contact, responsibility, consent, withdrawal, assessment.

Split from :mod:`domain.case.aggregate` to keep modules readable; :class:`Case` inherits these.
"""

from __future__ import annotations

from typing import Any, ClassVar

from eventsourcing.domain import event

from domain.agencies import KnownAgencyCode, NomsNumber
from domain.base import Aggregate, EventMeta
from domain.case.rules import CaseRules
from domain.case.state import Assessment, Participant
from domain.case.values import (
    AssessmentLevel,
    AssessmentOutcome,
    ParticipantRole,
    ParticipantStatus,
    SupportNeed,
    Vulnerability,
)
from domain.errors import DuplicateEntity, InvalidTransition
from domain.personal import PersonalText
from domain.text import FreeText, FreeTexts, Identifier, Name

VICTIM = ParticipantRole.VICTIM
OFFENDER = ParticipantRole.OFFENDER
SUPPORTER = ParticipantRole.SUPPORTER


class CaseParticipation(CaseRules, Aggregate):
    """Commands about the people on a case. State is created in ``Case.__init__``."""

    beyond_the_area_rule: ClassVar[frozenset[str]] = frozenset()  # events with a rule of their own

    def trigger_event(self, event_class: type[Any], **kwargs: Any) -> None:
        """Every command on an existing case passes the area rule before its event is made."""
        meta = kwargs.get("meta")
        if isinstance(meta, EventMeta) and event_class.__name__ not in self.beyond_the_area_rule:
            self.check_agency_acts_in_the_case_area_or_is_on_the_case(meta.agency)
        super().trigger_event(event_class, **kwargs)

    def role_ids(self, role: ParticipantRole) -> list[str]:
        return [p.participant_id for p in self.participants.values() if p.role is role]

    # --- participants -------------------------------------------------------------------------
    def add_participant(
        self,
        participant_id: Identifier,
        role: ParticipantRole,
        name: Name,
        meta: EventMeta,
        contact: Name | None = None,
        is_child: bool = False,
        supports: Identifier | None = None,
        prison_number: NomsNumber | None = None,
    ) -> None:
        self.check_case_is_open()
        if participant_id in self.participants:
            raise DuplicateEntity(f"participant {participant_id!r} is already on the case")
        if role is OFFENDER and self.role_ids(OFFENDER):
            raise InvalidTransition("a case has one offender")
        if role is SUPPORTER:
            if supports is None:
                raise InvalidTransition("a supporter supports a named participant")
            self.check_participant_on_case(supports)
        self._participant_added(
            participant_id=participant_id,
            role=role,
            name=name,
            contact=contact,
            is_child=is_child,
            supports=supports,
            prison_number=prison_number,
            meta=meta,
        )

    @event("ParticipantAdded")
    def _participant_added(
        self,
        participant_id: str,
        role: ParticipantRole,
        name: PersonalText,
        contact: PersonalText | None,
        is_child: bool,
        supports: str | None,
        prison_number: str | None,
        meta: EventMeta,
    ) -> None:
        self.participants[participant_id] = Participant(
            participant_id, role, name, contact, is_child, supports, prison_number
        )

    def inform_victim(self, participant_id: Identifier, meta: EventMeta) -> None:
        self.check_case_is_open()
        self.check_participant_has_role(participant_id, VICTIM)
        self._victim_informed(participant_id=participant_id, meta=meta)

    @event("VictimInformed")
    def _victim_informed(self, participant_id: str, meta: EventMeta) -> None:
        p = self.participants[participant_id]
        p.informed = True
        if p.status is ParticipantStatus.ADDED:
            p.status = ParticipantStatus.INFORMED

    def pass_victim_details(
        self, participant_id: Identifier, to_agency: KnownAgencyCode, meta: EventMeta
    ) -> None:
        self.check_case_is_open()
        self.check_participant_has_role(participant_id, VICTIM)
        self._victim_details_passed(participant_id=participant_id, to_agency=to_agency, meta=meta)

    @event("VictimDetailsPassed")
    def _victim_details_passed(self, participant_id: str, to_agency: str, meta: EventMeta) -> None:
        self.participants[participant_id].details_passed_at = meta.occurred_at
        self.agencies_on_case.add(to_agency)

    def record_contact(
        self, participant_id: Identifier, method: Name, reached: bool, meta: EventMeta
    ) -> None:
        self.check_case_is_open()
        self.check_participant_on_case(participant_id)
        self._contact_attempted(
            participant_id=participant_id, method=method, reached=reached, meta=meta
        )

    @event("ContactAttempted")
    def _contact_attempted(
        self, participant_id: str, method: str, reached: bool, meta: EventMeta
    ) -> None:
        p = self.participants[participant_id]
        if reached:
            p.contacted = True
            if p.status in (
                ParticipantStatus.ADDED,
                ParticipantStatus.INFORMED,
                ParticipantStatus.UNCONTACTABLE,
            ):
                p.status = ParticipantStatus.CONTACTED
        elif not p.contacted:
            p.status = ParticipantStatus.UNCONTACTABLE

    def accept_responsibility(self, participant_id: Identifier, meta: EventMeta) -> None:
        self.check_case_is_open()
        self.check_participant_has_role(participant_id, OFFENDER)
        self._responsibility_accepted(participant_id=participant_id, meta=meta)

    @event("ResponsibilityAccepted")
    def _responsibility_accepted(self, participant_id: str, meta: EventMeta) -> None:
        self.responsibility_accepted = True

    def record_consent(
        self, participant_id: Identifier, form_reference: Identifier, meta: EventMeta
    ) -> None:
        self.check_case_is_open()
        p = self.check_participant_on_case(participant_id)
        if p.status in (ParticipantStatus.WITHDRAWN, ParticipantStatus.DECLINED):
            raise InvalidTransition(
                f"participant {participant_id!r} has {p.status.value}: re-engage them first"
            )
        self.check_reason_given(form_reference, "written consent (the signed form's reference)")
        self._consent_recorded(
            participant_id=participant_id, form_reference=form_reference, meta=meta
        )

    @event("WrittenConsentRecorded")
    def _consent_recorded(self, participant_id: str, form_reference: str, meta: EventMeta) -> None:
        p = self.participants[participant_id]
        p.consent_form = form_reference
        p.status = ParticipantStatus.CONSENTED

    def decline(self, participant_id: Identifier, reason: FreeText, meta: EventMeta) -> None:
        self.check_case_is_open()
        self.check_participant_on_case(participant_id)
        self._declined(participant_id=participant_id, reason=reason, meta=meta)

    @event("ParticipantDeclined")
    def _declined(self, participant_id: str, reason: PersonalText, meta: EventMeta) -> None:
        self.participants[participant_id].status = ParticipantStatus.DECLINED
        self.participants[participant_id].consent_form = None

    def withdraw(self, participant_id: Identifier, reason: FreeText, meta: EventMeta) -> None:
        self.check_case_is_open()
        self.check_participant_on_case(participant_id)
        self._withdrew(participant_id=participant_id, reason=reason, meta=meta)

    @event("ParticipantWithdrew")
    def _withdrew(self, participant_id: str, reason: PersonalText, meta: EventMeta) -> None:
        self.participants[participant_id].status = ParticipantStatus.WITHDRAWN
        self.participants[participant_id].consent_form = None

    def re_engage(self, participant_id: Identifier, meta: EventMeta) -> None:
        self.check_case_is_open()
        self.check_withdrawn_participant_can_re_engage(
            self.check_participant_on_case(participant_id)
        )
        self._re_engaged(participant_id=participant_id, meta=meta)

    @event("ParticipantReEngaged")
    def _re_engaged(self, participant_id: str, meta: EventMeta) -> None:
        self.participants[participant_id].status = ParticipantStatus.CONTACTED

    # --- assessment and support ---------------------------------------------------------------
    def record_assessment(
        self,
        participant_id: Identifier,
        level: AssessmentLevel,
        outcome: AssessmentOutcome,
        meta: EventMeta,
        conditions: FreeTexts = (),
        reasons: FreeTexts = (),
    ) -> None:
        self.check_case_is_open()
        self.check_participant_on_case(participant_id)
        self.check_enhanced_assessment_for_sensitive_crime(level)
        self.check_not_suitable_has_reasons(outcome, reasons)
        self._assessed(
            participant_id=participant_id,
            level=level,
            outcome=outcome,
            conditions=conditions,
            reasons=reasons,
            meta=meta,
        )

    @event("AssessmentCompleted")
    def _assessed(
        self,
        participant_id: str,
        level: AssessmentLevel,
        outcome: AssessmentOutcome,
        conditions: tuple[PersonalText, ...],
        reasons: tuple[PersonalText, ...],
        meta: EventMeta,
    ) -> None:
        self.participants[participant_id].assessment = Assessment(
            level, outcome, tuple(conditions), tuple(reasons), meta.occurred_at
        )

    def record_vulnerability(
        self,
        participant_id: Identifier,
        vulnerability: Vulnerability,
        notes: FreeText,
        meta: EventMeta,
    ) -> None:
        self.check_case_is_open()
        self.check_participant_on_case(participant_id)
        self._vulnerability_recorded(
            participant_id=participant_id, vulnerability=vulnerability, notes=notes, meta=meta
        )

    @event("VulnerabilityRecorded")
    def _vulnerability_recorded(
        self,
        participant_id: str,
        vulnerability: Vulnerability,
        notes: PersonalText,
        meta: EventMeta,
    ) -> None:
        self.participants[participant_id].vulnerabilities.append(vulnerability)

    def refer_for_support(
        self, participant_id: Identifier, need: SupportNeed, provider: Name, meta: EventMeta
    ) -> None:
        self.check_case_is_open()
        self.check_participant_on_case(participant_id)
        self._support_referred(
            participant_id=participant_id, need=need, provider=provider, meta=meta
        )

    @event("SupportReferralMade")
    def _support_referred(
        self, participant_id: str, need: SupportNeed, provider: str, meta: EventMeta
    ) -> None:
        self.participants[participant_id].support_referrals.append(need)
