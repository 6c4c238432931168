"""An auditor drives ``rjb audit`` against a store the demo filled."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from services.cli import app
from services.demo.stories import STORIES

runner = CliRunner()


@pytest.fixture
def demo_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("RJB_STORE", "sqlite")
    monkeypatch.setenv("RJB_SQLITE_PATH", str(tmp_path / "rjb.sqlite3"))
    monkeypatch.delenv("RJB_AUDIT_USER", raising=False)
    assert runner.invoke(app, ["demo"]).exit_code == 0
    return str(STORIES[0]().case_id)


def test_history_at_verify_and_the_read_log(demo_store: str) -> None:
    case = demo_store
    history = runner.invoke(app, ["audit", "history", case, "--as", "inspector-ann", "--json"])
    assert history.exit_code == 0, history.output
    assert '"event": "Referred"' in history.output

    then = runner.invoke(app, ["audit", "at", case, "--at", "2000-01-01T09:00Z", "--as", "bo"])
    assert then.exit_code == 1
    assert "had not been recorded" in then.output
    now = runner.invoke(app, ["audit", "at", case, "--at", "2999-01-01T09:00Z", "--as", "bo"])
    assert now.exit_code == 0 and '"status": "completed"' in now.output

    verified = runner.invoke(app, ["audit", "verify", "--as", "bo"])
    assert verified.exit_code == 0 and verified.output.startswith("OK:")

    reads = runner.invoke(app, ["audit", "reads", "--as", "bo"])
    assert "inspector-ann" in reads.output
    assert reads.output.count(case[:8]) >= 2


def test_a_read_without_a_named_reader_is_logged_as_the_os_user(demo_store: str) -> None:
    assert runner.invoke(app, ["audit", "history", demo_store]).exit_code == 0
    reads = runner.invoke(app, ["audit", "reads"])
    assert "os:" in reads.output


def test_privacy_erase_from_the_command_line_keeps_verify_ok(demo_store: str) -> None:
    erased = runner.invoke(
        app, ["privacy", "erase", f"{demo_store}/v1", "--reason", "DSR-17", "--as", "dpo-jo"]
    )
    assert erased.exit_code == 0, erased.output
    assert "key destroyed" in erased.output
    keys = runner.invoke(app, ["privacy", "keys", demo_store])
    assert f"{demo_store}/v1\terased" in keys.output
    history = runner.invoke(app, ["audit", "history", demo_store, "--json", "--as", "ann"])
    assert "Mrs A." not in history.output and "[erased]" in history.output
    assert "PersonalDataErased" in history.output
    assert runner.invoke(app, ["audit", "verify", demo_store]).exit_code == 0
    unknown = runner.invoke(app, ["privacy", "erase", f"{demo_store}/nobody", "--reason", "x"])
    assert unknown.exit_code == 1


def test_export_and_verify_export_from_the_command_line(demo_store: str, tmp_path: Path) -> None:
    out = tmp_path / "exp"
    done = runner.invoke(
        app, ["audit", "export", demo_store, "--format", "csv", "--out", str(out), "--as", "ann"]
    )
    assert done.exit_code == 0, done.output
    assert (out / "history.csv").exists() and (out / "timeline.html").exists()
    checked = runner.invoke(app, ["audit", "verify-export", str(out)])
    assert checked.exit_code == 0 and checked.output.startswith("OK")
    (out / "timeline.html").write_text("forged")
    assert runner.invoke(app, ["audit", "verify-export", str(out)]).exit_code == 1
