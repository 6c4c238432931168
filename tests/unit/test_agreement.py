"""Information-sharing agreements: sign-off, activation and what they let agencies receive."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from pydantic import ValidationError

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
from domain.errors import (
    AgreementRuleViolation,
    GrantOutsideParties,
    NotAParty,
    UnknownAgency,
)
from tests.unit.case_builders import meta

POLICE, HUB = "police:west-yorkshire", "pcc:west-yorkshire"


def grant(sender: str = POLICE, recipient: str = HUB) -> Grant:
    categories = frozenset({DataCategory.REFERRAL, DataCategory.VICTIM_CONTACT})
    return Grant(from_agency=sender, to_agency=recipient, categories=categories)


def terms(parties: tuple[str, ...] = (POLICE, HUB), **changes: Any) -> AgreementTerms:
    return AgreementTerms(
        **{
            "title": "WY RJ",
            "lead": HUB,
            "parties": tuple(Party(agency=a, role=PartyRole.JOINT_CONTROLLER) for a in parties),
            "purpose": "RJ",
            "data_subject_groups": ("victims",),
            "grants": (grant(),),
            "special_category": False,
            "criminal_offence_data": True,
            "lawful_basis": LawfulBasis.UK_GDPR_PUBLIC_TASK,
            "powers": "CDA 1998 s115",
            "retention": "6 years",
            "effective_from": date(2025, 1, 1),
            "review_due": date(2026, 1, 1),
            **changes,
        }
    )


def drafted(by: str = HUB, **changes: Any) -> SharingAgreement:
    return SharingAgreement(reference="ISA-1", terms=terms(**changes), meta=meta(by))


def signed() -> SharingAgreement:
    isa = drafted()
    isa.sign("DPO", meta(POLICE))
    isa.sign("DPO", meta(HUB))
    return isa


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


def test_only_a_party_drafts_an_agreement() -> None:
    with pytest.raises(NotAParty, match="police:kent drafts only agreements it is a party to"):
        drafted(by="police:kent")


def test_every_party_to_an_agreement_is_a_known_agency() -> None:
    with pytest.raises(UnknownAgency, match="unknown agency pcc:evil"):
        drafted(parties=(POLICE, HUB, "pcc:evil"))


@pytest.mark.parametrize(("sender", "recipient"), [("police:kent", HUB), (POLICE, "pcc:kent")])
def test_a_grant_sender_and_recipient_must_both_be_parties(sender: str, recipient: str) -> None:
    with pytest.raises(GrantOutsideParties, match="not a party"):
        drafted(grants=(grant(), grant(sender, recipient)))


def test_the_lead_of_an_agreement_is_a_party() -> None:
    with pytest.raises(GrantOutsideParties, match="the lead pcc:kent is not a party"):
        drafted(lead="pcc:kent")


@pytest.mark.parametrize("end", ["from_agency", "to_agency"])
def test_a_wildcard_grant_is_refused(end: str) -> None:
    with pytest.raises(ValidationError, match="the wildcard \\* is not allowed"):
        Grant.model_validate(
            {"from_agency": POLICE, "to_agency": HUB, **{end: "*"}, "categories": ["referral"]}
        )


def test_an_agency_cannot_sign_an_agreement_for_another_party() -> None:
    isa = drafted()
    isa.sign("the hub's DPO, says the police", meta(POLICE))
    assert isa.signed_by == {POLICE: "the hub's DPO, says the police"}
    with pytest.raises(AgreementRuleViolation, match="not signed off by pcc:west-yorkshire"):
        isa.activate(meta(POLICE))


@pytest.mark.parametrize(
    "step",
    [
        lambda isa, m: isa.activate(m),
        lambda isa, m: isa.suspend("no reason", m),
        lambda isa, m: isa.resume(m),
        lambda isa, m: isa.terminate("no reason", m),
        lambda isa, m: isa.record_review(date(2027, 1, 1), m),
    ],
    ids=["activate", "suspend", "resume", "terminate", "review"],
)
def test_only_a_party_activates_suspends_resumes_terminates_or_reviews(step: Any) -> None:
    isa = signed()
    if step.__code__.co_names[0] != "activate":
        isa.activate(meta(HUB))
    if "resume" in step.__code__.co_names:
        isa.suspend("breach", meta(HUB))
    before = isa.version
    with pytest.raises(NotAParty, match="police:kent is not a party to ISA-1"):
        step(isa, meta("police:kent"))
    assert isa.version == before
