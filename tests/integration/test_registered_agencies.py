"""An agency an administrator registered is known wherever commands are validated, once the
registration is stored (and not before)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from services.bootstrap import Backbone

ADMIN = "admin:backbone"
HUB = "provider:kent-rj-hub"
WHEN = "2025-01-02T10:00:00+00:00"


def complaint(agency: str) -> dict[str, object]:
    return {
        "type": "sign_agreement",
        "command_id": "c-sign",
        "agency": agency,
        "user": "u",
        "occurred_at": WHEN,
        "reference": "ISA-KENT-9",
        "signatory": "Jo Bloggs",
    }


def test_a_registered_provider_is_a_known_agency_once_the_registration_is_stored(
    backbone: Backbone,
) -> None:
    with pytest.raises(ValidationError, match="unknown agency provider:kent-rj-hub"):
        backbone.commands.parse(complaint(HUB))
    registration = backbone.commands.parse(
        {
            "type": "register_agency",
            "command_id": "c-reg",
            "agency": ADMIN,
            "user": "ops",
            "occurred_at": WHEN,
            "code": HUB,
            "name": "Kent RJ Hub",
            "reason": "commissioned by the Kent PCC",
            "pcc_areas": ["kent"],
        }
    )
    backbone.commands.handle(registration)
    assert backbone.commands.parse(complaint(HUB)).agency == HUB
    assert backbone.commands.registered_agencies() == {HUB: frozenset({"kent"})}


def test_only_an_administrator_may_register_and_nothing_is_stored_when_refused(
    backbone: Backbone,
) -> None:
    from domain.errors import DomainError

    attempt = backbone.commands.parse(
        {
            "type": "register_agency",
            "command_id": "c-reg",
            "agency": "pcc:kent",
            "user": "x",
            "occurred_at": WHEN,
            "code": "police:evil",
            "name": "Evil",
            "reason": "why not",
        }
    )
    with pytest.raises(DomainError, match="may not send register_agency"):
        backbone.commands.handle(attempt)
    assert backbone.commands.registered_agencies() == {}
