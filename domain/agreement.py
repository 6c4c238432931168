"""Information-sharing agreements (ICO data sharing code): who may receive which case data.

An agency receives a data category only while an *active* agreement grants it; suspension or
termination stops sharing from that moment.

Agreements cannot be self-granted: only a party drafts, signs (for itself only), activates,
suspends, resumes, terminates or reviews; every party is a known agency; every grant names one
sending party and one receiving party (no ``*`` wildcard: an agency that never signed cannot be
made to share); activation needs every party's sign-off. The drafting checks run when the
agreement is drafted (:meth:`SharingAgreement._create`), not when its history is replayed.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Self
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import CanInitAggregate, event

from domain.agencies import unknown_agency
from domain.agreement_terms import (
    AgreementStatus,
    AgreementTerms,
    DataCategory,
    Grant,
    LawfulBasis,
    Party,
    PartyRole,
)
from domain.base import Aggregate, EventMeta
from domain.errors import AgreementRuleViolation, GrantOutsideParties, NotAParty, UnknownAgency
from domain.text import FreeText, Identifier, Name

__all__ = [
    "AgreementStatus",
    "AgreementTerms",
    "DataCategory",
    "Grant",
    "LawfulBasis",
    "Party",
    "PartyRole",
    "SharingAgreement",
]

AGREEMENT_NAMESPACE = uuid5(NAMESPACE_URL, "https://rj-backbone/agreement")


class SharingAgreement(Aggregate):
    @staticmethod
    def id_for(reference: str) -> UUID:
        return uuid5(AGREEMENT_NAMESPACE, reference)

    @staticmethod
    def create_id(reference: str, **_: object) -> UUID:
        return SharingAgreement.id_for(reference)

    @classmethod
    def _create(
        cls,
        event_class: type[CanInitAggregate[UUID]],
        *,
        id: UUID | None = None,
        **kwargs: Any,
    ) -> Self:
        """Drafting checks, run only when an agreement is drafted (never on replay)."""
        terms = AgreementTerms.model_validate(kwargs["terms"])
        cls.check_every_party_is_a_known_agency(terms)
        cls.check_only_a_party_drafts(terms, kwargs["meta"])
        cls.check_grants_are_between_two_parties(terms)
        return super()._create(event_class, id=id, **kwargs)

    @staticmethod
    def check_every_party_is_a_known_agency(terms: AgreementTerms) -> None:
        for agency in sorted(terms.party_agencies):
            problem = unknown_agency(agency)
            if problem:
                raise UnknownAgency(f"party {problem}")

    @staticmethod
    def check_only_a_party_drafts(terms: AgreementTerms, meta: EventMeta) -> None:
        if meta.agency not in terms.party_agencies:
            raise NotAParty(f"{meta.agency} drafts only agreements it is a party to")

    @staticmethod
    def check_grants_are_between_two_parties(terms: AgreementTerms) -> None:
        parties = terms.party_agencies
        if len(parties) != len(terms.parties):
            raise AgreementRuleViolation("each party is listed once")
        if terms.lead not in parties:
            raise GrantOutsideParties(f"the lead {terms.lead} is not a party")
        for g in terms.grants:
            outside = sorted({g.from_agency, g.to_agency} - parties)
            if outside:
                raise GrantOutsideParties(
                    f"grant {g.from_agency} → {g.to_agency} names {', '.join(outside)}, "
                    "not a party: both ends of a grant must be parties that sign"
                )
            if g.from_agency == g.to_agency:
                raise GrantOutsideParties(f"grant {g.from_agency} → itself shares nothing")

    @event("Drafted")
    def __init__(self, reference: Identifier, terms: AgreementTerms, meta: EventMeta) -> None:
        self.reference = reference
        self.terms = terms
        self.status = AgreementStatus.DRAFT
        self.signed_by: dict[str, str] = {}
        self.changed_at: datetime = meta.occurred_at

    @property
    def party_agencies(self) -> set[str]:
        return self.terms.party_agencies

    def check_acting_agency_is_a_party(self, meta: EventMeta) -> None:
        if meta.agency not in self.party_agencies:
            raise NotAParty(f"{meta.agency} is not a party to {self.reference}")

    def check_agreement_is_draft(self) -> None:
        if self.status is not AgreementStatus.DRAFT:
            raise AgreementRuleViolation(f"agreement {self.reference} is {self.status.value}")

    def check_every_party_signed_before_activation(self) -> None:
        missing = self.party_agencies - set(self.signed_by)
        if missing:
            raise AgreementRuleViolation(f"not signed off by {', '.join(sorted(missing))}")

    def sign(self, signatory: Name, meta: EventMeta) -> None:
        """The acting agency signs for itself: no agency can sign on another's behalf."""
        self.check_acting_agency_is_a_party(meta)
        self.check_agreement_is_draft()
        self._signed(agency=meta.agency, signatory=signatory, meta=meta)

    @event("SignedOff")
    def _signed(self, agency: str, signatory: str, meta: EventMeta) -> None:
        self.signed_by[agency] = signatory

    def activate(self, meta: EventMeta) -> None:
        self.check_acting_agency_is_a_party(meta)
        self.check_agreement_is_draft()
        self.check_every_party_signed_before_activation()
        if meta.occurred_at.date() < self.terms.effective_from:
            raise AgreementRuleViolation(
                f"{self.reference} takes effect on {self.terms.effective_from}"
            )
        self._status_changed(status=AgreementStatus.ACTIVE, reason="activated", meta=meta)

    def suspend(self, reason: FreeText, meta: EventMeta) -> None:
        self.check_acting_agency_is_a_party(meta)
        if self.status is not AgreementStatus.ACTIVE:
            raise AgreementRuleViolation("only an active agreement can be suspended")
        self._status_changed(status=AgreementStatus.SUSPENDED, reason=reason, meta=meta)

    def resume(self, meta: EventMeta) -> None:
        self.check_acting_agency_is_a_party(meta)
        if self.status is not AgreementStatus.SUSPENDED:
            raise AgreementRuleViolation("only a suspended agreement can resume")
        self._status_changed(status=AgreementStatus.ACTIVE, reason="resumed", meta=meta)

    def terminate(self, reason: FreeText, meta: EventMeta) -> None:
        self.check_acting_agency_is_a_party(meta)
        if self.status is AgreementStatus.TERMINATED:
            raise AgreementRuleViolation(f"{self.reference} is already terminated")
        self._status_changed(status=AgreementStatus.TERMINATED, reason=reason, meta=meta)

    @event("StatusChanged")
    def _status_changed(self, status: AgreementStatus, reason: str, meta: EventMeta) -> None:
        self.status = status
        self.changed_at = meta.occurred_at

    def record_review(self, next_review_due: date, meta: EventMeta) -> None:
        self.check_acting_agency_is_a_party(meta)
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
            if g.to_agency == to_agency and g.from_agency == from_agency:
                granted |= g.categories
        return frozenset(granted)
