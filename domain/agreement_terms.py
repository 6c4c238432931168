"""The terms of an information-sharing agreement (ICO data sharing code): parties, grants, basis."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated

from pydantic import Field, field_validator

from domain.agencies import AgencyCode
from domain.base import Immutable
from domain.text import MAX_ITEMS, FreeText, Name, Names


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
    agency: AgencyCode
    role: PartyRole


class Grant(Immutable):
    """``from_agency`` may share these categories with ``to_agency``; both are parties."""

    from_agency: AgencyCode
    to_agency: AgencyCode
    categories: frozenset[DataCategory] = Field(min_length=1)

    @field_validator("from_agency", "to_agency", mode="before")
    @classmethod
    def names_one_agency(cls, value: object) -> object:
        if value == "*":
            raise ValueError(
                "a grant names one sending and one receiving party: the wildcard * is not "
                "allowed (an agency that never signed cannot be made to share)"
            )
        return value


class AgreementTerms(Immutable):
    title: Annotated[Name, Field(min_length=1)]
    lead: AgencyCode
    parties: tuple[Party, ...] = Field(min_length=2, max_length=MAX_ITEMS)
    purpose: Annotated[FreeText, Field(min_length=1)]
    data_subject_groups: Names
    grants: tuple[Grant, ...] = Field(min_length=1, max_length=MAX_ITEMS)
    special_category: bool
    criminal_offence_data: bool
    lawful_basis: LawfulBasis
    powers: FreeText
    retention: FreeText
    effective_from: date
    review_due: date

    @property
    def party_agencies(self) -> set[str]:
        return {p.agency for p in self.parties}
