"""A hub manager drives the projection commands from the terminal after the demo ran."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from services.cli.app import app


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("RJB_STORE", "sqlite")
    monkeypatch.setenv("RJB_SQLITE_PATH", str(tmp_path / "rjb.sqlite3"))
    runner = CliRunner()
    assert runner.invoke(app, ["demo"]).exit_code == 0
    return runner


def test_moves_delays_agreements_and_performance_read_as_tables(cli: CliRunner) -> None:
    moves = cli.invoke(app, ["moves"])
    assert moves.exit_code == 0 and "LEI" in moves.output and "DAI" in moves.output
    history = cli.invoke(app, ["moves", "--offender", "A1234HT"])
    assert "RELEASED" in history.output
    delays = cli.invoke(app, ["delays", "--now", "2025-10-01"])
    assert "waiting_for_release" in delays.output and "victim_details_late" in delays.output
    agreements = cli.invoke(app, ["agreements", "--now", "2025-10-01"])
    assert "overdue" in agreements.output
    assert cli.invoke(app, ["performance", "--period", "quarter"]).exit_code == 0


def test_a_rebuild_reports_progress_and_leaves_every_projection_up_to_date(cli: CliRunner) -> None:
    rebuilt = cli.invoke(app, ["projections", "rebuild"])
    assert rebuilt.exit_code == 0 and "rebuilt from" in rebuilt.output
    status = cli.invoke(app, ["projections", "status"])
    assert status.output.count("up to date") == 4
    as_json = orjson.loads(cli.invoke(app, ["projections", "status", "--json"]).stdout)
    assert len(as_json) == 4 and {p["behind"] for p in as_json} == {0}
    assert all(p["position"] == p["log_end"] > 0 for p in as_json)
    unknown = cli.invoke(app, ["projections", "rebuild", "nope"])
    assert unknown.exit_code == 1 and "no projection" in unknown.output
