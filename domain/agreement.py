"""Information-sharing agreements (ICO data sharing code): who may receive which case data.

An agency receives a data category only while an *active* agreement grants it; suspension or
termination stops sharing from that moment.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event
from pydantic import Field

from domain.base import Aggregate, EventMeta, Immutable
from domain.errors import AgreementRuleViolation

AGREEMENT_NAMESPACE = uuid5(NAMESPACE_URL, "https://rj-backbone/agreement")


class DataCategory(StrEnum):
    """Categories of case data an agreement can grant (each event type belongs to some)."""

    REFERRAL = "referral"
    VICTIM_IDENTITY = "victim_identity"
    VICTIM_CONTACT = "victim_contact"
    OFFENDER_IDENTITY = "offender_identity"
    CUSTODY = "custody"
    CONSENT = "consent"
    ASSESSMENT = "assessment"
    SUPPORT = "support"
    FACILITATION = "facilitation"
    ACTIVITY = "activity"
    PRISON_ACCESS = "prison_access"
    OUTCOME = "outcome"
    FEEDBACK = "feedback"
    COMPLAINT = "complaint"
    CASE_STATUS = "case_status"


class PartyRole(StrEnum):
    CONTROLLER = "controller"
    JOINT_CONTROLLER = "joint_controller"
    PROCESSOR = "processor"


class LawfulBasis(StrEnum):
    UK_GDPR_PUBLIC_TASK = "uk_gdpr_6_1_e_public_task"
    UK_GDPR_LEGAL_OBLIGATION = "uk_gdpr_6_1_c_legal_obligation"
    UK_GDPR_CONSENT = "uk_gdpr_6_1_a_consent"
    DPA_2018_PART_3 = "dpa_2018_part_3_law_enforcement"


class AgreementStatus(StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    SUSPENDED = "suspended"
    TERMINATED = "terminated"


class Party(Immutable):
    agency: str
    role: PartyRole


class Grant(Immutable):
    """``from_agency`` may share these categories with ``to_agency`` (``*`` = any agency)."""

    from_agency: str
    to_agency: str
    categories: frozenset[DataCategory] = Field(min_length=1)


class AgreementTerms(Immutable):
    title: str = Field(min_length=1)
    lead: str
    parties: tuple[Party, ...] = Field(min_length=2)
    purpose: str = Field(min_length=1)
    data_subject_groups: tuple[str, ...]
    grants: tuple[Grant, ...] = Field(min_length=1)
    special_category: bool
    criminal_offence_data: bool
    lawful_basis: LawfulBasis
    powers: str
    retention: str
    effective_from: date
    review_due: date


class SharingAgreement(Aggregate):
    @staticmethod
    def id_for(reference: str) -> UUID:
        return uuid5(AGREEMENT_NAMESPACE, reference)

    @staticmethod
    def create_id(reference: str, **_: object) -> UUID:
        return SharingAgreement.id_for(reference)

    @event("Drafted")
    def __init__(self, reference: str, terms: AgreementTerms, meta: EventMeta) -> None:
        self.reference = reference
        self.terms = terms
        self.status = AgreementStatus.DRAFT
        self.signed_by: dict[str, str] = {}
        self.changed_at: datetime = meta.occurred_at

    @property
    def party_agencies(self) -> set[str]:
        return {p.agency for p in self.terms.parties}

    def check_agreement_is_draft(self) -> None:
        if self.status is not AgreementStatus.DRAFT:
            raise AgreementRuleViolation(f"agreement {self.reference} is {self.status.value}")

    def check_every_party_signed_before_activation(self) -> None:
        missing = self.party_agencies - set(self.signed_by)
        if missing:
            raise AgreementRuleViolation(f"not signed off by {', '.join(sorted(missing))}")

    def sign(self, signatory: str, meta: EventMeta) -> None:
        """The acting agency signs for itself: no agency can sign on another's behalf."""
        self.check_agreement_is_draft()
        if meta.agency not in self.party_agencies:
            raise AgreementRuleViolation(f"{meta.agency} is not a party to {self.reference}")
        self._signed(agency=meta.agency, signatory=signatory, meta=meta)

    @event("SignedOff")
    def _signed(self, agency: str, signatory: str, meta: EventMeta) -> None:
        self.signed_by[agency] = signatory

    def activate(self, meta: EventMeta) -> None:
        self.check_agreement_is_draft()
        self.check_every_party_signed_before_activation()
        if meta.occurred_at.date() < self.terms.effective_from:
            raise AgreementRuleViolation(
                f"{self.reference} takes effect on {self.terms.effective_from}"
            )
        self._status_changed(status=AgreementStatus.ACTIVE, reason="activated", meta=meta)

    def suspend(self, reason: str, meta: EventMeta) -> None:
        if self.status is not AgreementStatus.ACTIVE:
            raise AgreementRuleViolation("only an active agreement can be suspended")
        self._status_changed(status=AgreementStatus.SUSPENDED, reason=reason, meta=meta)

    def resume(self, meta: EventMeta) -> None:
        if self.status is not AgreementStatus.SUSPENDED:
            raise AgreementRuleViolation("only a suspended agreement can resume")
        self._status_changed(status=AgreementStatus.ACTIVE, reason="resumed", meta=meta)

    def terminate(self, reason: str, meta: EventMeta) -> None:
        if self.status is AgreementStatus.TERMINATED:
            raise AgreementRuleViolation(f"{self.reference} is already terminated")
        self._status_changed(status=AgreementStatus.TERMINATED, reason=reason, meta=meta)

    @event("StatusChanged")
    def _status_changed(self, status: AgreementStatus, reason: str, meta: EventMeta) -> None:
        self.status = status
        self.changed_at = meta.occurred_at

    def record_review(self, next_review_due: date, meta: EventMeta) -> None:
        if self.status is AgreementStatus.TERMINATED:
            raise AgreementRuleViolation(f"{self.reference} is terminated")
        if next_review_due <= meta.occurred_at.date():
            raise AgreementRuleViolation("the next review must fall after the review itself")
        self._reviewed(next_review_due=next_review_due, meta=meta)

    @event("Reviewed")
    def _reviewed(self, next_review_due: date, meta: EventMeta) -> None:
        self.terms = self.terms.model_copy(update={"review_due": next_review_due})

    def categories_for(self, from_agency: str, to_agency: str) -> frozenset[DataCategory]:
        """What this agreement lets ``to_agency`` receive from ``from_agency`` right now."""
        if self.status is not AgreementStatus.ACTIVE:
            return frozenset()
        granted: set[DataCategory] = set()
        for g in self.terms.grants:
            if g.to_agency == to_agency and g.from_agency in (from_agency, "*"):
                granted |= g.categories
        return frozenset(granted)
