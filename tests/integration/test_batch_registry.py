"""``handle_batch`` reads the agency registry in the same query as the batch's aggregates: a
registered agency's areas count in the rules, as in ``handle``."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

from domain.errors import AgencyNotOnCase
from services.bootstrap import Backbone
from services.command_apply import CommandResult
from tests.integration.test_command_batch import refer as referral

ADMIN = "admin:backbone"
HUB = "provider:kent-rj-hub"
WHEN = "2025-01-02T10:00:00+00:00"


def _command(backbone: Backbone, **fields: Any) -> Any:
    return backbone.commands.parse({"user": "u", "occurred_at": WHEN, **fields})


def _register(backbone: Backbone, pcc_areas: list[str]) -> None:
    backbone.commands.handle(
        _command(
            backbone,
            type="register_agency",
            command_id="c-reg",
            agency=ADMIN,
            code=HUB,
            name="Kent RJ Hub",
            reason="commissioned",
            pcc_areas=pcc_areas,
        )
    )


def _hub_adds_victim(backbone: Backbone, case_id: str) -> Any:
    return _command(
        backbone,
        type="add_participant",
        command_id=f"add-{case_id}",
        agency=HUB,
        case_id=case_id,
        participant_id="v1",
        role="victim",
        name="Victim",
    )


def test_a_registered_agency_works_in_its_areas_within_a_batch(backbone: Backbone) -> None:
    _register(backbone, ["kent"])
    case_id = str(uuid4())
    results = backbone.commands.handle_batch(
        [referral(case_id), _hub_adds_victim(backbone, case_id)]
    )
    assert all(isinstance(r, CommandResult) and r.new_events == 1 for r in results), results


def test_outside_its_registered_areas_the_batch_refuses_it_alone(backbone: Backbone) -> None:
    _register(backbone, ["essex"])
    case_id = str(uuid4())
    refer, add = backbone.commands.handle_batch(
        [referral(case_id), _hub_adds_victim(backbone, case_id)]
    )
    assert isinstance(refer, CommandResult) and refer.new_events == 1
    assert isinstance(add, AgencyNotOnCase)
