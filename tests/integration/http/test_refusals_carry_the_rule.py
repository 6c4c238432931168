"""Every refusal by a rule carries the rule id in the HTTP problem detail (issue 13, item 3)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.http_helpers import Issuer
from tests.integration.http.test_commands import KENT, referral


def test_a_code_not_in_the_reference_data_is_refused_naming_the_rule(
    api: TestClient, issuer: Issuer
) -> None:
    answer = api.post(
        "/v1/commands", json=referral(pcc_area="narnia"), headers=issuer.headers(KENT)
    )
    assert answer.status_code == 422
    problem = answer.json()
    assert problem["rule"] == "every_code_in_a_command_names_reference_data"
    assert "unknown PCC area 'narnia'" in problem["detail"]
    assert problem["errors"][0]["location"].endswith("pcc_area")


def test_a_domain_refusal_carries_the_rule(api: TestClient, issuer: Issuer) -> None:
    consent = {
        "type": "record_consent",
        "command_id": "c-1",
        "user": "u",
        "occurred_at": "2025-03-01T09:00:00Z",
        "case_id": "6f1c4d38-0d5e-4a34-9d0e-000000000001",
        "participant_id": "v1",
        "form_reference": "CF-1",
    }
    answer = api.post("/v1/commands", json=consent, headers=issuer.headers(KENT))
    assert answer.status_code == 404
    assert answer.json()["rule"] == "commands_name_an_existing_aggregate"


def test_impersonation_carries_the_rule(api: TestClient, issuer: Issuer) -> None:
    body = referral(agency="pcc:essex")
    answer = api.post("/v1/commands", json=body, headers=issuer.headers(KENT))
    assert answer.status_code == 403
    assert answer.json()["rule"] == "an_agency_acts_only_as_itself"


def test_malformed_json_is_called_malformed_json(api: TestClient, issuer: Issuer) -> None:
    answer = api.post("/v1/commands", content=b'{"type": ', headers=issuer.headers(KENT))
    assert answer.status_code == 422 and answer.json()["detail"].startswith("malformed JSON")
