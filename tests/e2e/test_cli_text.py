"""Stored and user text is printed as text, never as Rich markup; ``--json`` and ``--csv``."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from services.cli.app import app
from tests.e2e.cli_commands import BASE, add_victim, refer_case

runner = CliRunner()
CASE = "3c1e1b8e-0000-4000-8000-00000000a11e"
SUMMARY = "a [/] b [bold]c [link=x]d"
NAME = "=HYPERLINK([bold]V[/])"


def flat(output: str) -> str:
    """The printed text without table borders, padding and line breaks (cells may wrap)."""
    return "".join(output.replace("│", " ").split())


def token(*args: str) -> dict[str, str]:
    printed = runner.invoke(app, ["dev", "token", *args])
    assert printed.exit_code == 0, printed.output
    return {"RJB_TOKEN": printed.stdout.strip()}


AUDITOR = ("--agency", "pcc:kent", "--role", "auditor", "--subject", "ann")


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("RJB_STORE", "sqlite")
    monkeypatch.setenv("RJB_SQLITE_PATH", str(tmp_path / "rjb.sqlite3"))
    monkeypatch.delenv("RJB_TOKEN", raising=False)
    monkeypatch.delenv("RJB_TOKEN_FILE", raising=False)
    lines = [
        refer_case(CASE, summary=SUMMARY),
        add_victim(CASE, name=NAME),
        {
            "type": "accept_responsibility",
            "command_id": "c5",
            "case_id": CASE,
            "participant_id": "v1",
            **BASE,
        },
    ]
    path = tmp_path / "commands.jsonl"
    path.write_bytes(b"\n".join(orjson.dumps(line) for line in lines) + b"\n")
    return path


def test_agency_text_is_shown_literally_and_refusals_keep_their_rule(store: Path) -> None:
    submitted = runner.invoke(app, ["submit", str(store)])
    assert submitted.exit_code == 1, submitted.output
    assert "line 3: rejected" in submitted.output and "[rule: " in submitted.output
    ann = token(*AUDITOR)
    shown = runner.invoke(app, ["show", CASE, "--reason", "check"], env=ann)
    assert shown.exit_code == 0, shown.output
    assert flat(SUMMARY) in flat(shown.output) and flat(NAME) in flat(shown.output)
    history = runner.invoke(app, ["audit", "history", CASE, "--reason", "check"], env=ann)
    assert history.exit_code == 0, history.output
    assert flat(SUMMARY) in flat(history.output) and flat(NAME) in flat(history.output)
    as_json = runner.invoke(app, ["show", CASE[:8], "--reason", "check", "--json"], env=ann)
    shown_json = orjson.loads(as_json.stdout)
    assert shown_json["case"]["case_id"] == CASE and shown_json["case"]["status"] == "open"
    timeline = shown_json["timeline"]
    assert [e["event"] for e in timeline] == ["Referred", "ParticipantAdded"]
    assert timeline[0]["details"]["summary"] == SUMMARY and timeline[0]["version"] == 1
    assert timeline[1]["occurred_at"] == "2025-02-01T10:00:00+00:00"

    dpo = token("--agency", "pcc:kent", "--role", "privacy-officer", "--subject", "jo")
    erased = runner.invoke(app, ["privacy", "erase", f"{CASE}/v1", "--reason", "DSR"], env=dpo)
    assert erased.exit_code == 0, erased.output
    shown = runner.invoke(app, ["show", CASE, "--reason", "check"], env=ann)
    assert shown.exit_code == 0, shown.output
    assert "[erased]" in flat(shown.output) and flat(NAME) not in flat(shown.output)
    history = runner.invoke(app, ["audit", "history", CASE, "--reason", "check"], env=ann)
    assert history.exit_code == 0 and "[erased]" in flat(history.output)


def test_list_prints_whole_ids_as_a_table_json_and_csv(store: Path) -> None:
    runner.invoke(app, ["submit", str(store)])
    table = runner.invoke(app, ["list"])
    assert table.exit_code == 0 and CASE in table.output
    as_json = orjson.loads(runner.invoke(app, ["list", "--json"]).stdout)
    assert as_json == [
        {
            "case_id": CASE,
            "pcc_area": "kent",
            "crime_type": "theft",
            "route": "police",
            "status": "open",
            "version": 2,
        }
    ]
    rows = list(csv.DictReader(io.StringIO(runner.invoke(app, ["list", "--csv"]).stdout)))
    assert rows == [
        {
            "case_id": CASE,
            "pcc_area": "kent",
            "crime_type": "theft",
            "route": "police",
            "status": "open",
            "version": "2",
        }
    ]
    both = runner.invoke(app, ["list", "--json", "--csv"])
    assert both.exit_code == 2


def test_csv_cells_that_a_spreadsheet_would_run_are_quoted(store: Path) -> None:
    runner.invoke(app, ["submit", str(store)])
    ann = token(*AUDITOR)
    out = runner.invoke(app, ["audit", "history", CASE, "--reason", "x", "--csv"], env=ann)
    assert out.exit_code == 0, out.output
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    assert rows[0]["event"] == "Referred" and rows[0]["agency"] == "police:kent"
    reads = runner.invoke(app, ["audit", "reads", "--csv"], env=ann)
    read_rows = list(csv.DictReader(io.StringIO(reads.stdout)))
    assert read_rows and set(read_rows[0]) == {"read_at", "reader", "action", "subject", "detail"}
    from services.cli.output import safe_cell

    assert safe_cell("=1+1") == "'=1+1" and safe_cell("-x") == "'-x" and safe_cell(-3) == "-3"
    assert safe_cell("@a") == "'@a" and safe_cell("+a") == "'+a" and safe_cell("ok") == "ok"


def test_show_takes_a_unique_prefix_and_audit_at_refuses_a_bad_instant(store: Path) -> None:
    runner.invoke(app, ["submit", str(store)])
    ann = token(*AUDITOR)
    shown = runner.invoke(app, ["show", CASE[:8], "--reason", "check"], env=ann)
    assert shown.exit_code == 0, shown.output
    assert CASE in shown.output
    unknown = runner.invoke(app, ["show", "ffffffff", "--reason", "check"], env=ann)
    assert unknown.exit_code == 2 and "0 cases have ids starting 'ffffffff'" in unknown.output
    missing = "00000000-0000-4000-8000-000000000000"
    absent = runner.invoke(app, ["show", missing, "--reason", "check"], env=ann)
    assert absent.exit_code == 2 and f"Error: no case {missing}" in absent.output
    bad = runner.invoke(app, ["show", "no", "--reason", "check"], env=ann)
    assert bad.exit_code == 2 and "neither a case id nor a prefix" in bad.output
    at = runner.invoke(app, ["audit", "at", CASE, "--at", "yesterday", "--reason", "x"], env=ann)
    assert at.exit_code == 2 and "is not an ISO instant" in at.output
    assert at.output.strip().count("\n") == 0


def test_the_submit_progress_bar_passes_every_outcome_through() -> None:
    from services.cli.submit import lines_bar

    with lines_bar(b"a\n\n b\nc\n") as counted:
        assert list(counted(iter([1, 2, 3]))) == [1, 2, 3]
