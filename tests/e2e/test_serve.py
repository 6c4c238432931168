"""`rjb serve` brings the backbone up on embedded defaults and Ctrl-C stops it cleanly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from adapters.local_broker import free_port


def test_serve_prints_the_bootstrap_and_topics_and_stops_cleanly_on_ctrl_c(
    tmp_path: Path,
) -> None:
    port = free_port()
    env = {
        **os.environ,
        "RJB_SQLITE_PATH": str(tmp_path / "rjb.sqlite3"),
        "RJB_KAFKA_SESSION_TIMEOUT_MS": "1000",
        "RJB_KAFKA_BOOTSTRAP_SERVERS": "",
        "RJB_HTTP_PORT": str(free_port()),
    }
    rjb = Path(sys.executable).with_name("rjb")
    proc = subprocess.Popen(
        [str(rjb), "serve", "--port", str(port)],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    deadline = time.monotonic() + 30
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        lines.append(line)
        if "ready" in line or not line:
            break
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=20)
    text = "".join(lines) + out
    assert proc.returncode == 0, text
    assert f"Kafka bootstrap: 127.0.0.1:{port}" in text
    assert "rjb.case-events.v1" in text and "rjb.dead-letter.v1" in text
    assert "stopped" in text
    assert "Security: none. Nothing is authenticated" in text  # the embedded dev broker
