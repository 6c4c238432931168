"""The attacks of the trust issue, tried through the command service: each refused, none stored."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from domain.errors import AgencyNotOnCase, DomainError, NotAParty, UnknownAgency
from services.bootstrap import Backbone, build
from services.commands import parse_command
from services.demo.runner import run_script
from services.demo.stories import fifteen_victims, sharing_agreements
from tests.conftest import sqlite_settings

SOUTH_YORKSHIRE_CASE = str(fifteen_victims().case_id)
WY_AGREEMENT = "ISA-WY-RJ-001"


@pytest.fixture
def backbone(tmp_path: Path) -> Iterator[Backbone]:
    bb = build(sqlite_settings(tmp_path))
    run_script(bb.commands, sharing_agreements())
    run_script(bb.commands, fifteen_victims())
    try:
        yield bb
    finally:
        bb.close()


def command(agency: str, type_: str, **fields: Any) -> dict[str, Any]:
    return {
        "type": type_,
        "command_id": f"attack-{type_}",
        "agency": agency,
        "user": "mallory",
        "occurred_at": "2025-06-01T10:00:00Z",
        **fields,
    }


def refused(bb: Backbone, data: dict[str, Any], error: type[Exception], match: str) -> None:
    """The command is refused with ``error`` and the store holds nothing more than before."""
    before = bb.store.recorder.max_notification_id()
    with pytest.raises(error, match=match):
        bb.commands.handle(parse_command(data))
    assert bb.store.recorder.max_notification_id() == before


def test_an_agency_cannot_record_a_consent_on_another_areas_case(backbone: Backbone) -> None:
    consent = command(
        "pcc:west-yorkshire",
        "record_consent",
        case_id=SOUTH_YORKSHIRE_CASE,
        participant_id="v01",
        form_reference="CF-forged",
    )
    refused(backbone, consent, AgencyNotOnCase, "does not work in south-yorkshire")


def test_an_invented_agency_cannot_close_a_case(backbone: Backbone) -> None:
    close = command(
        "pcc:nowhere",
        "close_case",
        case_id=SOUTH_YORKSHIRE_CASE,
        reason="other",
        detail="closed by nobody",
    )
    refused(backbone, close, ValidationError, "unknown agency pcc:nowhere")
    kent = {**close, "agency": "pcc:kent"}
    refused(backbone, kent, AgencyNotOnCase, "pcc:kent does not work in south-yorkshire")


@pytest.mark.parametrize("step", ["suspend_agreement", "resume_agreement", "terminate_agreement"])
def test_an_agency_that_is_no_party_cannot_suspend_or_resume_an_agreement(
    backbone: Backbone, step: str
) -> None:
    reason = {} if step == "resume_agreement" else {"reason": "because I can"}
    attack = command("police:kent", step, reference=WY_AGREEMENT, **reason)
    refused(backbone, attack, NotAParty, f"police:kent is not a party to {WY_AGREEMENT}")


def evil_terms(grants: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "title": "Everything for us",
        "lead": "police:evil",
        "parties": [
            {"agency": "police:evil", "role": "controller"},
            {"agency": "pcc:evil", "role": "controller"},
        ],
        "purpose": "exfiltration",
        "data_subject_groups": ["victims"],
        "grants": grants,
        "special_category": True,
        "criminal_offence_data": True,
        "lawful_basis": "uk_gdpr_6_1_e_public_task",
        "powers": "none",
        "retention": "forever",
        "effective_from": "2025-01-01",
        "review_due": "2030-01-01",
    }


EVERYTHING = [
    "referral",
    "victim_identity",
    "victim_contact",
    "offender_identity",
    "custody",
    "consent",
    "assessment",
    "support",
    "facilitation",
    "activity",
    "prison_access",
    "outcome",
    "feedback",
    "complaint",
    "case_status",
]


def test_an_invented_agency_cannot_draft_sign_or_activate_an_agreement_with_itself(
    backbone: Backbone,
) -> None:
    wildcard = evil_terms(
        [{"from_agency": "*", "to_agency": "police:evil", "categories": EVERYTHING}]
    )
    ref = {"reference": "ISA-EVIL-1"}
    draft = command("police:evil", "draft_agreement", terms=wildcard, **ref)
    refused(backbone, draft, ValidationError, "unknown agency police:evil")
    for agency in ("police:evil", "pcc:evil"):
        sign = command(agency, "sign_agreement", signatory="me", **ref)
        refused(backbone, sign, ValidationError, f"unknown agency {agency}")
    activate = command("police:evil", "activate_agreement", **ref)
    refused(backbone, activate, ValidationError, "unknown agency police:evil")
    # A known agency fares no better: no wildcard grants, and every party must be known.
    as_kent = {**draft, "agency": "police:kent"}
    refused(backbone, as_kent, ValidationError, "the wildcard \\* is not allowed")
    named = evil_terms(
        [{"from_agency": "pcc:evil", "to_agency": "police:evil", "categories": EVERYTHING}]
    )
    named["parties"].append({"agency": "police:kent", "role": "controller"})
    refused(backbone, {**as_kent, "terms": named}, UnknownAgency, "unknown agency pcc:evil")


def test_every_refusal_names_its_rule(backbone: Backbone) -> None:
    consent = command(
        "pcc:kent",
        "record_consent",
        case_id=SOUTH_YORKSHIRE_CASE,
        participant_id="v01",
        form_reference="CF-forged",
    )
    with pytest.raises(DomainError) as error:
        backbone.commands.handle(parse_command(consent))
    assert error.value.rule == "an_agency_acts_on_a_case_only_in_its_area_or_when_it_is_on_the_case"
