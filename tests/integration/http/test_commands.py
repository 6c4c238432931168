"""``POST /v1/commands``: an agency acts only as itself, once per command id, within limits."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi.testclient import TestClient

from services.bootstrap import Backbone
from tests.http_helpers import Issuer

KENT = "pcc:kent"


def referral(**fields: Any) -> dict[str, Any]:
    return {
        "type": "refer_case",
        "command_id": "kent-ref-1",
        "user": "caseworker-1",
        "occurred_at": "2025-03-01T09:00:00Z",
        "route": "victim_self_referral",
        "cjs_stage": "post_sentence_community",
        "crime_type": "burglary",
        "pcc_area": "kent",
        "crime_reported_on": "2025-02-20",
        "summary": "burglary at the victim's home",
        **fields,
    }


def stored(backbone: Backbone) -> int:
    return backbone.store.recorder.max_notification_id() or 0


def test_a_referral_from_the_token_agency_is_applied_once(
    api: TestClient, api_backbone: Backbone, issuer: Issuer
) -> None:
    first = api.post("/v1/commands", json=referral(), headers=issuer.headers(KENT))
    assert first.status_code == 200, first.text
    result = first.json()
    assert result["command_type"] == "refer_case" and result["repeat"] is False
    assert result["version"] == 1 and result["new_events"] == 1
    case = api_backbone.commands.load(UUID(result["aggregate_id"]))
    assert case.pcc_area == "kent"
    before = stored(api_backbone)
    again = api.post("/v1/commands", json=referral(), headers=issuer.headers(KENT))
    assert again.json() == {**result, "new_events": 0, "repeat": True}
    assert stored(api_backbone) == before


def test_the_idempotency_key_is_the_command_id(
    api: TestClient, api_backbone: Backbone, issuer: Issuer
) -> None:
    body = referral()
    del body["command_id"]
    headers = {**issuer.headers(KENT), "Idempotency-Key": "kent-ref-42"}
    first = api.post("/v1/commands", json=body, headers=headers)
    assert first.status_code == 200, first.text
    assert first.json()["command_id"] == "kent-ref-42"
    before = stored(api_backbone)
    repeat = api.post("/v1/commands", json=body, headers=headers)
    assert repeat.json()["repeat"] is True and stored(api_backbone) == before
    same = api.post("/v1/commands", json={**body, "command_id": "kent-ref-42"}, headers=headers)
    assert same.json()["repeat"] is True


def test_an_idempotency_key_differing_from_the_command_id_is_refused(
    api: TestClient, api_backbone: Backbone, issuer: Issuer
) -> None:
    headers = {**issuer.headers(KENT), "Idempotency-Key": "other-key"}
    answer = api.post("/v1/commands", json=referral(), headers=headers)
    assert answer.status_code == 422
    problem = answer.json()
    assert problem["type"] == "urn:rjb:problem:idempotency-key-mismatch"
    locations = {e["location"] for e in problem["errors"]}
    assert locations == {"header.Idempotency-Key", "body.command_id"}
    assert stored(api_backbone) == 0


def test_a_command_without_any_command_id_is_invalid(api: TestClient, issuer: Issuer) -> None:
    body = referral()
    del body["command_id"]
    answer = api.post("/v1/commands", json=body, headers=issuer.headers(KENT))
    assert answer.status_code == 422
    assert any(e["location"].endswith("command_id") for e in answer.json()["errors"])


def test_a_body_claiming_another_agency_is_refused_as_impersonation(
    api: TestClient, api_backbone: Backbone, issuer: Issuer
) -> None:
    body = referral(agency="pcc:west-yorkshire", pcc_area="west-yorkshire")
    answer = api.post("/v1/commands", json=body, headers=issuer.headers(KENT))
    assert answer.status_code == 403
    assert answer.headers["content-type"] == "application/problem+json"
    problem = answer.json()
    assert problem["type"] == "urn:rjb:problem:impersonation"
    assert "pcc:west-yorkshire" in problem["detail"] and KENT in problem["detail"]
    assert stored(api_backbone) == 0


def test_a_body_naming_its_own_agency_is_accepted(api: TestClient, issuer: Issuer) -> None:
    answer = api.post("/v1/commands", json=referral(agency=KENT), headers=issuer.headers(KENT))
    assert answer.status_code == 200, answer.text


def test_a_one_megabyte_body_is_refused_with_413(
    api: TestClient, api_backbone: Backbone, issuer: Issuer
) -> None:
    body = referral(summary="x" * 1_000_000)
    answer = api.post("/v1/commands", json=body, headers=issuer.headers(KENT))
    assert answer.status_code == 413
    assert answer.headers["content-type"] == "application/problem+json"
    assert "larger than" in answer.json()["detail"]
    assert stored(api_backbone) == 0


def test_a_streamed_body_over_the_limit_is_refused_with_413(
    api: TestClient, issuer: Issuer
) -> None:
    def chunks() -> Any:
        for _ in range(20):
            yield b"x" * 65536

    answer = api.post("/v1/commands", content=chunks(), headers=issuer.headers(KENT))
    assert answer.status_code == 413, answer.text


def test_wrong_types_at_depth_are_422_with_each_field(
    api: TestClient, api_backbone: Backbone, issuer: Issuer
) -> None:
    body = {
        "type": "draft_agreement",
        "command_id": "d-1",
        "user": "ig-lead",
        "occurred_at": "2025-03-01T09:00:00Z",
        "reference": "ISA-KENT-9",
        "terms": {
            "title": "t",
            "lead": KENT,
            "parties": [{"agency": KENT, "role": 7}],
            "grants": [
                {"from_agency": KENT, "to_agency": "police:kent", "categories": "everything"}
            ],
            "effective_from": "not a date",
        },
    }
    answer = api.post("/v1/commands", json=body, headers=issuer.headers(KENT))
    assert answer.status_code == 422
    problem = answer.json()
    assert problem["type"] == "urn:rjb:problem:invalid-command"
    where = {e["location"] for e in problem["errors"]}
    assert any("terms.parties.0.role" in w for w in where), where
    assert any("terms.grants.0.categories" in w for w in where), where
    assert any("terms.effective_from" in w for w in where), where
    assert stored(api_backbone) == 0


def test_malformed_json_is_422(api: TestClient, issuer: Issuer) -> None:
    answer = api.post("/v1/commands", content=b"{nope", headers=issuer.headers(KENT))
    assert answer.status_code == 422 and answer.json()["type"] == "urn:rjb:problem:invalid-json"
    listed = api.post("/v1/commands", json=[referral()], headers=issuer.headers(KENT))
    assert listed.status_code == 422


def test_a_rule_refusal_is_a_problem_naming_the_rule(api: TestClient, issuer: Issuer) -> None:
    prison = issuer.headers("prison:LEI")
    ok = api.post("/v1/commands", json=referral(), headers=issuer.headers(KENT))
    case_id = ok.json()["aggregate_id"]
    consent = {
        "type": "record_consent",
        "command_id": "c-1",
        "user": "u",
        "case_id": case_id,
        "occurred_at": "2025-03-02T09:00:00Z",
        "participant_id": "v1",
        "form_reference": "CF-1",
    }
    refused = api.post("/v1/commands", json=consent, headers=prison)
    assert refused.status_code == 403
    assert refused.json()["rule"] == "an_agency_sends_only_the_commands_its_role_allows"


def test_registering_an_agency_needs_the_administrator_role(
    api: TestClient, api_backbone: Backbone, issuer: Issuer
) -> None:
    register = {
        "type": "register_agency",
        "command_id": "reg-1",
        "user": "ops",
        "occurred_at": "2025-03-01T09:00:00Z",
        "code": "provider:new-rj-service",
        "name": "New RJ service",
        "pcc_areas": ["kent"],
        "reason": "commissioned by Kent",
    }
    without = api.post("/v1/commands", json=register, headers=issuer.headers("admin:backbone"))
    assert without.status_code == 403
    assert "needs the administrator role" in without.json()["detail"]
    assert stored(api_backbone) == 0
    hub_admin = api.post(
        "/v1/commands", json=register, headers=issuer.headers(KENT, "administrator")
    )
    assert hub_admin.status_code == 403  # the role alone does not make a hub an administrator
    done = api.post(
        "/v1/commands", json=register, headers=issuer.headers("admin:backbone", "administrator")
    )
    assert done.status_code == 200, done.text
    registered = issuer.headers("provider:new-rj-service")
    assert api.get("/v1/read-models/agreements", headers=registered).status_code == 200
