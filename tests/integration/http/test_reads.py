"""Reads over HTTP: one's own shared feed, paged; the read models one's agency may see; each read
of personal data in the read log with who, what and why."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from adapters.kafka_config import Topics
from services.bootstrap import Backbone
from services.demo.runner import run_all
from services.sharing import SharingRouter
from tests.http_helpers import Issuer

HUB = "pcc:west-yorkshire"
PRISON = "prison:LEI"


def share_as_the_relay_would(backbone: Backbone) -> None:
    """The sharing relay's decisions over the whole log, without a broker (acked at once)."""
    router = SharingRouter(backbone.store, Topics.from_settings(backbone.settings))
    router.reset(0)
    start = 1
    while batch := backbone.store.recorder.select_notifications(start, 500):
        for n in batch:
            router.route(n.id, backbone.store.mapper.to_domain_event(n))
        start = batch[-1].id + 1
    router.acked(start)


@pytest.fixture
def demo(api_backbone: Backbone) -> Backbone:
    run_all(api_backbone.commands)
    share_as_the_relay_would(api_backbone)
    return api_backbone


def whole_feed(api: TestClient, headers: dict[str, str], limit: int) -> list[dict[str, object]]:
    events: list[dict[str, object]] = []
    after, pages = 0, 0
    while True:
        page = api.get(f"/v1/shared?after={after}&limit={limit}", headers=headers).json()
        events += page["events"]
        pages += 1
        if not page["more"]:
            break
        assert page["next_after"] > after
        after = page["next_after"]
    assert pages >= 2 or len(events) <= limit
    return events


def test_the_shared_feed_pages_through_what_was_shared_with_the_agency(
    api: TestClient, demo: Backbone, issuer: Issuer
) -> None:
    headers = issuer.headers(HUB)
    everything = api.get("/v1/shared?limit=500", headers=headers).json()
    assert everything["agency"] == HUB and not everything["more"]
    assert len(everything["events"]) > 5
    paged = whole_feed(api, headers, limit=3)
    assert paged == everything["events"]
    positions = [e["position"] for e in paged]  # type: ignore[index]
    assert positions == sorted(set(positions))
    first = paged[0]
    assert first["attributes"]["recipient"] == HUB  # type: ignore[index]
    assert first["attributes"]["type"].startswith("uk.gov.rj.")  # type: ignore[index]
    last = positions[-1]
    after_end = api.get(f"/v1/shared?after={last}", headers=headers).json()
    assert after_end["events"] == [] and after_end["next_after"] == last


def test_the_feed_carries_only_what_an_agreement_grants(
    api: TestClient, demo: Backbone, issuer: Issuer
) -> None:
    """The prison is granted activity, prison access, offender identity and case status by the
    hub, nothing from the police: no victim's name, no consent, but the venue set at LEI."""
    events = whole_feed(api, issuer.headers(PRISON), limit=50)
    assert events
    sources = {e["attributes"]["source"] for e in events}  # type: ignore[index]
    assert sources <= {HUB}
    types = {e["attributes"]["type"] for e in events}  # type: ignore[index]
    assert not any("consent" in t for t in types)
    added = [e for e in events if "participant_added" in str(e["attributes"])]
    assert not added  # victim identity is not granted to the prison
    assert any("venue_set" in t for t in types)


def test_an_agency_with_no_agreement_has_an_empty_feed(
    api: TestClient, demo: Backbone, issuer: Issuer
) -> None:
    page = api.get("/v1/shared", headers=issuer.headers("police:kent")).json()
    assert page["events"] == [] and page["next_after"] == 0


def test_feed_paging_parameters_are_validated(api: TestClient, issuer: Issuer) -> None:
    answer = api.get("/v1/shared?after=-1&limit=100000", headers=issuer.headers(HUB))
    assert answer.status_code == 422
    where = {e["location"] for e in answer.json()["errors"]}
    assert where == {"query.after", "query.limit"}


def test_each_feed_page_read_is_in_the_read_log(
    api: TestClient, demo: Backbone, issuer: Issuer
) -> None:
    headers = {**issuer.headers(HUB), "RJB-Purpose": "weekly case review"}
    api.get("/v1/shared?limit=2", headers=headers)
    (read,) = [r for r in demo.audit("test").reads() if r.action == "http:shared"]
    assert read.reader == f"{HUB}/client-{HUB}" and read.subject == HUB
    assert "why: weekly case review" in read.detail and "positions" in read.detail


def test_a_prison_sees_moves_at_its_own_prison_only(
    api: TestClient, demo: Backbone, issuer: Issuer
) -> None:
    moves = api.get("/v1/read-models/moves", headers=issuer.headers(PRISON))
    assert moves.status_code == 200, moves.text
    found = moves.json()
    assert found["cases"]
    for move in found["moves"]:
        assert "LEI" in (move["from_prison"], move["to_prison"])
    logged = [r for r in demo.audit("test").reads() if r.action == "http:moves"]
    assert [r.subject for r in logged] == ["prison LEI"]
    assert logged[0].detail.startswith("why: ")


def test_moves_are_not_for_the_police(api: TestClient, demo: Backbone, issuer: Issuer) -> None:
    answer = api.get("/v1/read-models/moves", headers=issuer.headers("police:west-yorkshire"))
    assert answer.status_code == 403
    assert "prisons" in answer.json()["detail"]


def test_a_hub_sees_delays_and_performance_of_its_own_area_only(
    api: TestClient, demo: Backbone, issuer: Issuer
) -> None:
    delays = api.get("/v1/read-models/delays", headers=issuer.headers(HUB)).json()
    assert delays["pcc_area"] == "west-yorkshire"
    assert {b["pcc_area"] for b in delays["breaches"]} <= {"west-yorkshire"}
    performance = api.get(
        "/v1/read-models/performance?period=quarter", headers=issuer.headers(HUB)
    ).json()
    assert performance["measures"] and performance["pcc_area"] == "west-yorkshire"
    kent = api.get("/v1/read-models/delays", headers=issuer.headers("pcc:kent")).json()
    assert all(b["pcc_area"] == "kent" for b in kent["breaches"])
    for path in ("/v1/read-models/delays", "/v1/read-models/performance"):
        prison = api.get(path, headers=issuer.headers(PRISON))
        assert prison.status_code == 403 and "PCC hubs" in prison.json()["detail"]


def test_any_agency_reads_the_agreements_register_and_its_own_flows(
    api: TestClient, demo: Backbone, issuer: Issuer
) -> None:
    register = api.get("/v1/read-models/agreements", headers=issuer.headers(PRISON)).json()
    assert {a["reference"] for a in register["agreements"]} >= {"ISA-WY-RJ-001"}
    flows = register["my_permitted_flows"]
    assert flows and all(PRISON in (f["from_agency"], f["to_agency"]) for f in flows)


def test_an_unknown_path_is_a_problem_too(api: TestClient, issuer: Issuer) -> None:
    answer = api.get("/v1/nothing-here", headers=issuer.headers(HUB))
    assert answer.status_code == 404
    assert answer.headers["content-type"] == "application/problem+json"
