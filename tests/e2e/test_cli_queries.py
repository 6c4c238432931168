"""Every query command for scripts (``--json``, ``--csv``) and its one-line usage errors."""

from __future__ import annotations

import csv
import io
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


def _json(cli: CliRunner, *args: str) -> object:
    result = cli.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return orjson.loads(result.stdout)


def _csv(cli: CliRunner, *args: str) -> list[dict[str, str]]:
    result = cli.invoke(app, [*args, "--csv"])
    assert result.exit_code == 0, result.output
    return list(csv.DictReader(io.StringIO(result.stdout)))


def test_every_query_answers_in_json_and_csv(cli: CliRunner) -> None:
    moves = _json(cli, "moves", "--all")
    assert isinstance(moves, dict) and set(moves) == {"cases", "affected_by_moves", "releases"}
    assert moves["cases"] and all(len(c["case_id"]) == 36 for c in moves["cases"])
    assert {r["case_id"] for r in _csv(cli, "moves", "--all")} == {
        c["case_id"] for c in moves["cases"]
    }
    at_lei = _json(cli, "moves", "--prison", "lei")
    assert isinstance(at_lei, dict)
    assert all("LEI" in (a["from_prison"], a["to_prison"]) for a in at_lei["affected_by_moves"])
    delays = _json(cli, "delays", "--now", "2025-10-01")
    assert isinstance(delays, dict) and delays["breaches"] and "area_medians" in delays
    assert _csv(cli, "delays", "--now", "2025-10-01")[0].keys() >= {"case_id", "kind", "reason"}
    agreements = _json(cli, "agreements", "--now", "2025-10-01")
    assert isinstance(agreements, dict) and agreements["agreements"][0]["reference"]
    assert _csv(cli, "agreements")[0]["reference"]
    performance = _json(cli, "performance", "--period", "quarter")
    assert isinstance(performance, list) and performance[0]["referrals"]["route"]
    assert _csv(cli, "performance")[0]["pcc_area"]
    by_name = _json(cli, "performance", "--area", "West Yorkshire")
    assert isinstance(by_name, list) and {m["pcc_area"] for m in by_name} == {"west-yorkshire"}
    listed = _json(cli, "list")
    assert isinstance(listed, list) and len(listed[0]["case_id"]) == 36


def test_delays_answer_as_at_a_past_date(cli: CliRunner) -> None:
    now = _json(cli, "delays")
    assert isinstance(now, dict)
    first = min(b["started"] for b in now["breaches"])
    before = _json(cli, "delays", "--at", "2000-01-01")
    assert isinstance(before, dict) and before["breaches"] == [] and before["area_medians"] == []
    ended = [b for b in now["breaches"] if b["ended"] and b["started"][:10] < b["ended"][:10]]
    if ended:
        b = ended[0]
        then = _json(cli, "delays", "--at", b["ended"][:10], "--case", b["case_id"])
        assert isinstance(then, list)
        during = _json(cli, "delays", "--at", b["ended"][:10])
        assert isinstance(during, dict)
        key = (b["case_id"], b["kind"], b["started"])
        same = [x for x in during["breaches"] if (x["case_id"], x["kind"], x["started"]) == key]
        assert same and same[0]["ended"] is None
    assert first


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["moves", "--prison", "XYZ"], "unknown prison code 'XYZ'"),
        (["moves", "--prison", "LEI", "--all"], "--all goes without --prison"),
        (["performance", "--area", "nowhere"], "unknown PCC area 'nowhere'"),
        (["moves", "--offender", "nobody"], "'nobody' is not a prison number"),
        (["performance", "--period", "week"], "--period is year, quarter or month"),
        (["delays", "--now", "yesterday"], "is not an ISO date"),
        (["agreements", "--now", "2025-13-40"], "is not an ISO date"),
        (["list", "--json", "--csv"], "one at a time"),
    ],
)
def test_bad_arguments_are_one_line_errors_with_exit_2(
    cli: CliRunner, args: list[str], reason: str
) -> None:
    result = cli.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert reason in result.output and result.output.strip().count("\n") == 0


def test_audit_at_by_occurred_time_beside_recorded_time(cli: CliRunner) -> None:
    from services.demo.stories import STORIES

    case = str(STORIES[0]().case_id)
    printed = cli.invoke(
        app,
        ["dev", "token", "--agency", "pcc:west-yorkshire", "--role", "auditor", "--subject", "ann"],
    )
    ann = {"RJB_TOKEN": printed.stdout.strip()}
    why = ["--reason", "complaint C-7"]
    # the demo recorded everything today, about things that happened from 2023
    recorded = cli.invoke(app, ["audit", "at", case, "--at", "2023-03-02T00:00Z", *why], env=ann)
    assert recorded.exit_code == 1 and "had not been recorded" in recorded.output
    early = cli.invoke(
        app, ["audit", "at", case, "--at", "2023-03-02T00:00Z", "--occurred", *why], env=ann
    )
    assert early.exit_code == 0, early.output
    state = orjson.loads(early.stdout)
    assert state["as_occurred_at"].startswith("2023-03-02") and state["status"] != "completed"
    late = cli.invoke(
        app, ["audit", "at", case, "--at", "2999-01-01T00:00Z", "--occurred", *why], env=ann
    )
    assert late.exit_code == 0 and orjson.loads(late.stdout)["status"] == "completed"
    before = cli.invoke(
        app, ["audit", "at", case, "--at", "2000-01-01T00:00Z", "--occurred", *why], env=ann
    )
    assert before.exit_code == 1 and "had not been referred" in before.output


def test_verify_tells_its_progress_and_refuses_a_bad_anchor(cli: CliRunner) -> None:
    from services.bootstrap import build

    backbone = build()
    try:
        told: list[tuple[int, int]] = []
        report = backbone.audit("test", "progress").verify(progress=lambda *p: told.append(p))
    finally:
        backbone.close()
    assert report.ok and told and told[-1][0] == told[-1][1] > 0
    printed = cli.invoke(
        app,
        ["dev", "token", "--agency", "pcc:west-yorkshire", "--role", "auditor", "--subject", "ann"],
    )
    ann = {"RJB_TOKEN": printed.stdout.strip()}
    bad = cli.invoke(app, ["audit", "verify", "--anchor", "x:y"], env=ann)
    assert bad.exit_code == 2 and "is not NOTIFICATION_ID:LOG_HASH" in bad.output
    ok = cli.invoke(app, ["audit", "verify"], env=ann)
    assert ok.exit_code == 0 and ok.output.startswith("OK:")
