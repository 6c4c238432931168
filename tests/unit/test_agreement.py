"""Information-sharing agreements: sign-off, activation and what they let agencies receive."""

from __future__ import annotations

from datetime import date

import pytest

from domain.agreement import (
    AgreementStatus,
    AgreementTerms,
    DataCategory,
    Grant,
    LawfulBasis,
    Party,
    PartyRole,
    SharingAgreement,
)
from domain.errors import AgreementRuleViolation
from tests.unit.case_builders import meta

POLICE, HUB = "police:west-yorkshire", "pcc:west-yorkshire"


def drafted() -> SharingAgreement:
    terms = AgreementTerms(
        title="WY RJ", lead=HUB,
        parties=(Party(agency=POLICE, role=PartyRole.CONTROLLER),
                 Party(agency=HUB, role=PartyRole.JOINT_CONTROLLER)),
        purpose="RJ", data_subject_groups=("victims",),
        grants=(Grant(from_agency=POLICE, to_agency=HUB,
                      categories=frozenset({DataCategory.REFERRAL, DataCategory.VICTIM_CONTACT})),),
        special_category=False, criminal_offence_data=True,
        lawful_basis=LawfulBasis.UK_GDPR_PUBLIC_TASK, powers="CDA 1998 s115",
        retention="6 years", effective_from=date(2025, 1, 1), review_due=date(2026, 1, 1),
    )  # fmt: skip
    return SharingAgreement(reference="ISA-1", terms=terms, meta=meta(HUB))


def test_an_agreement_is_active_only_after_every_party_signed_off() -> None:
    isa = drafted()
    isa.sign("DPO", meta(POLICE))
    with pytest.raises(AgreementRuleViolation, match="not signed off by pcc:west-yorkshire"):
        isa.activate(meta(HUB))
    isa.sign("DPO", meta(HUB))
    isa.activate(meta(HUB))
    assert isa.status is AgreementStatus.ACTIVE


def test_only_parties_sign_an_agreement() -> None:
    with pytest.raises(AgreementRuleViolation):
        drafted().sign("governor", meta("prison:LEI"))


def test_an_agreement_grants_categories_only_while_active() -> None:
    isa = drafted()
    assert isa.categories_for(POLICE, HUB) == frozenset()
    isa.sign("DPO", meta(POLICE))
    isa.sign("DPO", meta(HUB))
    isa.activate(meta())
    assert isa.categories_for(POLICE, HUB) == {DataCategory.REFERRAL, DataCategory.VICTIM_CONTACT}
    assert isa.categories_for(HUB, POLICE) == frozenset()
    isa.suspend("breach under investigation", meta())
    assert isa.categories_for(POLICE, HUB) == frozenset()
    isa.resume(meta())
    isa.terminate("replaced", meta())
    assert isa.status is AgreementStatus.TERMINATED
    assert isa.categories_for(POLICE, HUB) == frozenset()


def test_an_agreement_is_not_activated_before_its_effective_date() -> None:
    isa = drafted()
    isa.sign("DPO", meta(POLICE))
    isa.sign("DPO", meta(HUB))
    early = meta().model_copy(update={"occurred_at": meta().occurred_at.replace(year=2024)})
    with pytest.raises(AgreementRuleViolation, match="takes effect"):
        isa.activate(early)


def test_a_review_sets_the_next_review_date() -> None:
    isa = drafted()
    isa.record_review(date(2027, 1, 1), meta())
    assert isa.terms.review_due == date(2027, 1, 1)
    with pytest.raises(AgreementRuleViolation):
        isa.record_review(date(2020, 1, 1), meta())
