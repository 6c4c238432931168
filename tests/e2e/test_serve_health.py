"""`rjb serve` answers its probes and Prometheus over TCP: ready once its parts run, and a
command sent to the HTTP API shows in the metrics, published."""

from __future__ import annotations

import time
from pathlib import Path

import httpx2
from prometheus_client.parser import text_string_to_metric_families

from adapters.local_broker import free_port
from tests.e2e.test_http_serve import dev_token, kent_referral, start, stop

REFERRAL = kent_referral("health-1")


def samples(base: str) -> dict[tuple[str, tuple[str, ...]], float]:
    text = httpx2.get(f"{base}/metrics", timeout=10).text
    return {
        (s.name, tuple(s.labels.values())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_rjb_serve_is_ready_and_its_metrics_follow_a_command(tmp_path: Path) -> None:
    http_port, kafka_port = free_port(), free_port()
    token = dev_token(tmp_path, "pcc:kent")
    proc, lines = start(
        tmp_path,
        "serve",
        "--port",
        str(kafka_port),
        RJB_HTTP_PORT=str(http_port),
        RJB_HEALTH_KAFKA_INTERVAL="0.5",
    )
    base = f"http://127.0.0.1:{http_port}"
    try:
        assert httpx2.get(f"{base}/health/live").status_code == 200
        deadline = time.monotonic() + 30
        while (ready := httpx2.get(f"{base}/health/ready", timeout=10)).status_code != 200:
            assert time.monotonic() < deadline, ready.text
            time.sleep(0.2)
        stored = httpx2.post(
            f"{base}/v1/commands",
            json=REFERRAL,
            timeout=30,
            headers={"Authorization": f"Bearer {token}"},
        )
        assert stored.status_code == 200, stored.text
        while True:
            found = samples(base)
            if found.get(("rjb_relay_lag_notifications", ("case-events",))) == 0 and found.get(
                ("rjb_store_log_head", ())
            ):
                break
            assert time.monotonic() < deadline + 30, found
            time.sleep(0.2)
        assert found[("rjb_commands_stored_total", ())] == 1
        assert found[("rjb_relay_leader", ())] == 1
    finally:
        text = stop(proc, lines)
    assert "stopped" in text
