"""``POST /v1/commands`` takes an HMPPS domain event as published, bare or SNS-wrapped, as the
token's agency (issue 13, item 5)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from tests.http_helpers import Issuer

SAMPLES = Path(__file__).resolve().parents[2] / "fixtures" / "hmpps"


def sample(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((SAMPLES / name).read_text())
    return loaded


def test_a_prison_posts_its_own_movement_in_either_form_once(
    api: TestClient, issuer: Issuer
) -> None:
    wrapped = api.post(
        "/v1/commands", json=sample("received.sns.json"), headers=issuer.headers("prison:SWI")
    )
    assert wrapped.status_code == 200, wrapped.text
    assert wrapped.json()["command_type"] == "record_movement"
    bare = api.post(
        "/v1/commands", json=sample("received.json"), headers=issuer.headers("prison:SWI")
    )
    assert bare.json()["repeat"] is True


def test_another_prison_cannot_post_a_movement_at_swansea(api: TestClient, issuer: Issuer) -> None:
    answer = api.post(
        "/v1/commands", json=sample("received.sns.json"), headers=issuer.headers("prison:LEI")
    )
    assert answer.status_code == 403
    assert answer.json()["rule"] == "an_agency_sends_only_the_commands_its_role_allows"


def test_only_an_administrator_posts_a_prisoner_merge(api: TestClient, issuer: Issuer) -> None:
    answer = api.post(
        "/v1/commands", json=sample("merged.sns.json"), headers=issuer.headers("prison:SWI")
    )
    assert answer.status_code == 403 and answer.json()["rule"]
