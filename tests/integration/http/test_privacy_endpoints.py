"""Resolving sealed personal fields and subject access over HTTP, with the roles they need."""

from __future__ import annotations

from fastapi.testclient import TestClient

from services.bootstrap import Backbone
from services.demo.runner import run_script
from services.demo.stories import HUB_WY, head_teacher, sharing_agreements
from tests.http_helpers import Issuer

VICTIM = "Mrs A. (head teacher)"


def bearer(issuer: Issuer, agency: str, *roles: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {issuer.token(agency, *roles)}", "RJB-Purpose": "a test"}


def victim_added_version(backbone: Backbone) -> int:
    case_id = head_teacher().case_id
    for event in backbone.store.repository.event_store.get(case_id):
        if getattr(event, "participant_id", None) == "v1" and hasattr(event, "role"):
            return int(event.originator_version)
    raise AssertionError("no victim added")


def test_the_entitled_hub_resolves_the_victims_name_and_an_agency_without_an_agreement_is_refused(
    api: TestClient, api_backbone: Backbone, issuer: Issuer
) -> None:
    run_script(api_backbone.commands, sharing_agreements())
    run_script(api_backbone.commands, head_teacher())
    url = f"/v1/events/{head_teacher().case_id}/{victim_added_version(api_backbone)}/personal"
    ok = api.get(url, headers=bearer(issuer, HUB_WY))
    assert ok.status_code == 200, ok.text
    assert ok.json()["fields"]["name"] == VICTIM and ok.json()["erased"] == []
    refused = api.get(url, headers=bearer(issuer, "pcc:kent"))
    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/problem+json"
    reads = api_backbone.audit("test").reads()
    assert [r.reader for r in reads if r.action == "refused:personal"][-1].startswith("pcc:kent/")
    assert api.get(url).status_code == 401


def test_a_subject_access_request_needs_the_privacy_officer_role_and_returns_the_persons_events(
    api: TestClient, api_backbone: Backbone, issuer: Issuer
) -> None:
    run_script(api_backbone.commands, sharing_agreements())
    run_script(api_backbone.commands, head_teacher())
    person = f"{head_teacher().case_id}/v1"
    denied = api.get("/subject-access", params={"person": person}, headers=bearer(issuer, HUB_WY))
    assert denied.status_code == 403
    found = api.get(
        "/subject-access",
        params={"person": person},
        headers=bearer(issuer, "admin:backbone", "privacy-officer"),
    )
    assert found.status_code == 200, found.text
    body = found.json()
    assert body["person"] == person and body["erased"] is False
    assert any(e["data"].get("name") == VICTIM for e in body["events"])
    assert all(e["data"].get("participant_id", "v1") == "v1" for e in body["events"])
    assert any(r.action == "subject-access" for r in api_backbone.audit("test").reads())
    bad = api.get(
        "/subject-access",
        params={"person": "not-a-case/v1"},
        headers=bearer(issuer, "admin:backbone", "privacy-officer"),
    )
    assert bad.status_code in (404, 422)
