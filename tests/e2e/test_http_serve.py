"""The HTTP API served for real: `rjb api` alone (no Kafka) and beside the Kafka parts in
`rjb serve`, each answering a token from `rjb dev token` over TCP and stopping on Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx2

from adapters.local_broker import free_port


def start(tmp_path: Path, *args: str, **env: str) -> tuple[subprocess.Popen[str], list[str]]:
    environment = {
        **os.environ,
        "RJB_SQLITE_PATH": str(tmp_path / "rjb.sqlite3"),
        "RJB_STORE": "sqlite",
        "RJB_KAFKA_SESSION_TIMEOUT_MS": "1000",
        "RJB_KAFKA_BOOTSTRAP_SERVERS": "",
        **env,
    }
    for name in ("RJB_TOKEN", "RJB_OAUTH_ISSUER", "RJB_DEV_ISSUER"):
        environment.pop(name, None)
    rjb = Path(sys.executable).with_name("rjb")
    proc = subprocess.Popen(
        [str(rjb), *args],
        env=environment,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    deadline = time.monotonic() + 40
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        lines.append(line)
        if "ready" in line or not line:
            break
    return proc, lines


def stop(proc: subprocess.Popen[str], lines: list[str]) -> str:
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=30)
    text = "".join(lines) + out
    assert proc.returncode == 0, text
    return text


def dev_token(tmp_path: Path, agency: str) -> str:
    env = {**os.environ, "RJB_SQLITE_PATH": str(tmp_path / "rjb.sqlite3"), "RJB_STORE": "sqlite"}
    rjb = Path(sys.executable).with_name("rjb")
    done = subprocess.run(
        [str(rjb), "dev", "token", "--agency", agency],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout.strip()


def kent_referral(command_id: str) -> dict[str, Any]:
    """A Kent victim self-referral, as a caseworker sends it to the HTTP API."""
    return {
        "type": "refer_case",
        "command_id": command_id,
        "user": "cw",
        "occurred_at": "2025-03-01T09:00:00Z",
        "route": "victim_self_referral",
        "cjs_stage": "post_sentence_community",
        "crime_type": "burglary",
        "pcc_area": "kent",
        "crime_reported_on": "2025-02-20",
        "summary": "burglary",
    }


def test_rjb_api_serves_the_http_api_without_kafka(tmp_path: Path) -> None:
    port = free_port()
    token = dev_token(tmp_path, "pcc:kent")
    proc, lines = start(tmp_path, "api", "--port", str(port))
    try:
        base = f"http://127.0.0.1:{port}"
        assert f"HTTP API: {base}" in "".join(lines), lines
        anonymous = httpx2.get(f"{base}/v1/read-models/agreements")
        assert anonymous.status_code == 401
        assert anonymous.headers["content-type"] == "application/problem+json"
        answer = httpx2.get(
            f"{base}/v1/read-models/agreements", headers={"Authorization": f"Bearer {token}"}
        )
        assert answer.status_code == 200, answer.text
        assert httpx2.get(f"{base}/dev/jwks.json").json()["keys"][0]["alg"] == "ES256"
    finally:
        text = stop(proc, lines)
    assert "stopped" in text


def test_rjb_serve_runs_the_http_api_beside_the_kafka_parts(tmp_path: Path) -> None:
    http_port, kafka_port = free_port(), free_port()
    token = dev_token(tmp_path, "pcc:kent")
    proc, lines = start(tmp_path, "serve", "--port", str(kafka_port), RJB_HTTP_PORT=str(http_port))
    try:
        banner = "".join(lines)
        assert f"HTTP API: http://127.0.0.1:{http_port}" in banner, banner
        assert "development issuer" in banner
        answer = httpx2.post(
            f"http://127.0.0.1:{http_port}/v1/commands",
            json=kent_referral("serve-1"),
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        assert answer.status_code == 200, answer.text
        assert answer.json()["new_events"] == 1
    finally:
        text = stop(proc, lines)
    assert "stopped" in text


def test_rjb_serve_refuses_an_http_port_in_use(tmp_path: Path) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc, lines = start(tmp_path, "api", "--port", str(port))
        out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 1
    said = "".join(lines) + out
    assert "cannot listen on" in said and "Traceback" not in said
