"""Driving ``rjb`` as an agency user would: submit a file, list, show, run the demo."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from tests.e2e.cli_commands import BASE, add_victim, refer_case

CASE = "3c1e1b8e-0000-4000-8000-000000000e2e"


def rjb(tmp_path: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {"RJB_SQLITE_PATH": str(tmp_path / "rjb.sqlite3"), "PATH": "/usr/bin:/bin"}
    return subprocess.run(
        [sys.executable, "-m", "services", *args],
        capture_output=True,
        text=True,
        env=env,
        input=stdin,
        timeout=120,
    )


@pytest.fixture
def commands_file(tmp_path: Path) -> Path:
    lines = [
        orjson.dumps(refer_case(CASE)).decode(),
        "{not json",
        orjson.dumps(add_victim(CASE)).decode(),
        orjson.dumps(
            {
                "type": "record_consent",
                "command_id": "c3",
                "case_id": CASE,
                "participant_id": "v1",
                **BASE,
            }
        ).decode(),
        orjson.dumps(
            {
                "type": "accept_responsibility",
                "command_id": "c4",
                "case_id": CASE,
                "participant_id": "v1",
                **BASE,
            }
        ).decode(),
        orjson.dumps(add_victim(CASE)).decode(),
        orjson.dumps(
            {
                "type": "accept_responsibility",
                "command_id": "c5",
                "case_id": CASE,
                "participant_id": "v1",
                **{**BASE, "agency": "pcc:kent"},
            }
        ).decode(),
    ]
    path = tmp_path / "commands.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_submit_applies_good_lines_and_reports_bad_ones_with_line_and_reason(
    tmp_path: Path, commands_file: Path
) -> None:
    result = rjb(tmp_path, "submit", str(commands_file))
    out = result.stdout
    assert result.returncode == 1
    assert "line 1: ok refer_case" in out
    assert "line 2: rejected" in out and "unexpected character" in out
    assert "line 3: ok add_participant" in out
    assert "line 4: rejected" in out and "form_reference" in out and "Field required" in out
    assert "line 5: rejected" in out and "a police agency may not send accept_responsibility" in out
    assert "line 6: ok add_participant" in out and "duplicate, no effect" in out
    assert "line 7: rejected" in out and "is the victim; this step is for the offender" in out
    assert "3 applied, 4 rejected" in out
    token = tmp_path / "token"  # the hub of the case's area, from the development issuer
    token.write_text(rjb(tmp_path, "dev", "token", "--agency", "pcc:kent").stdout)
    shown = rjb(tmp_path, "show", CASE, "--reason", "e2e check", "--token-file", str(token))
    assert shown.returncode == 0, shown.stderr
    assert "ParticipantAdded" in shown.stdout and "police:kent" in shown.stdout
    listed = rjb(tmp_path, "list")
    assert CASE in listed.stdout and "kent" in listed.stdout


def test_submit_reports_a_non_utf8_line_and_an_over_long_line_and_applies_the_good_ones(
    tmp_path: Path,
) -> None:
    refer = refer_case(CASE)
    victim = add_victim(CASE)
    lines = [
        orjson.dumps(refer),
        b'{"type": "add_participant", "name": "caf\xe9"}',  # Latin-1, not UTF-8
        orjson.dumps({**victim, "name": "x" * 1_048_576}),  # a 1 MB line
        b"\xff\xfe\x00\x01 binary garbage",
        orjson.dumps(victim),
    ]
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    result = rjb(tmp_path, "submit", str(path))
    out = result.stdout
    assert result.returncode == 1, result.stderr
    assert "line 1: ok refer_case" in out
    assert "line 2: rejected: malformed JSON: not UTF-8" in out and "0xe9" in out
    assert "line 3: rejected: message too large" in out and "RJB_INBOUND_MAX_MESSAGE_BYTES" in out
    assert "line 4: rejected: malformed JSON: not UTF-8" in out
    assert "line 5: ok add_participant" in out
    assert "2 applied, 3 rejected" in out
    assert "Traceback" not in result.stderr


def test_submit_reads_hmpps_movement_messages_too(tmp_path: Path) -> None:
    message = {
        "eventType": "prison-offender-events.prisoner.received",
        "occurredAt": "2025-02-01T09:00Z",
        "additionalInformation": {
            "nomsNumber": "A1111AA",
            "prisonId": "LEI",
            "reason": "ADMISSION",
        },
    }
    line = orjson.dumps(message).decode()
    result = rjb(tmp_path, "submit", "-", stdin=f"{line}\n{line}\n")
    assert result.returncode == 0, result.stdout
    assert "ok record_movement" in result.stdout and "duplicate, no effect" in result.stdout


def test_the_demo_runs_the_six_stories(tmp_path: Path) -> None:
    result = rjb(tmp_path, "demo")
    assert result.returncode == 0, result.stderr
    for title in (
        "head teacher",
        "15 victims",
        "domestic-abuse",
        "letter the day before",
        "learning difficulties",
        "16-year-old",
    ):
        assert title in result.stdout
    assert "PrisonAccessGranted" in result.stdout and "ActivityCancelled" in result.stdout
