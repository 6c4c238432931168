"""An auditor drives ``rjb audit`` against a store the demo filled."""

from __future__ import annotations

import re
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from services.audit.findings import Finding, VerifyReport
from services.cli.app import app
from services.cli.audit_verify import verify_json
from services.demo.stories import STORIES

runner = CliRunner()


def token(*args: str) -> dict[str, str]:
    """``RJB_TOKEN`` from the development issuer, as a user would export it."""
    printed = runner.invoke(app, ["dev", "token", *args])
    assert printed.exit_code == 0, printed.output
    return {"RJB_TOKEN": printed.stdout.strip()}


AUDITOR = ("--agency", "pcc:west-yorkshire", "--role", "auditor", "--subject", "inspector-ann")


@pytest.fixture
def demo_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("RJB_STORE", "sqlite")
    monkeypatch.setenv("RJB_SQLITE_PATH", str(tmp_path / "rjb.sqlite3"))
    monkeypatch.delenv("RJB_TOKEN", raising=False)
    monkeypatch.delenv("RJB_TOKEN_FILE", raising=False)
    assert runner.invoke(app, ["demo"]).exit_code == 0
    return str(STORIES[0]().case_id)


def test_history_at_verify_and_the_read_log(demo_store: str) -> None:
    case, ann = demo_store, token(*AUDITOR)
    why = ["--reason", "complaint C-7"]
    history = runner.invoke(app, ["audit", "history", case, *why, "--json"], env=ann)
    assert history.exit_code == 0, history.output
    assert '"event": "Referred"' in history.output

    bo = token("--agency", "pcc:west-yorkshire", "--role", "auditor", "--subject", "bo")
    then = runner.invoke(app, ["audit", "at", case, "--at", "2000-01-01T09:00Z", *why], env=bo)
    assert then.exit_code == 1
    assert "had not been recorded" in then.output
    now = runner.invoke(app, ["audit", "at", case, "--at", "2999-01-01T09:00Z", *why], env=bo)
    assert now.exit_code == 0 and '"status": "completed"' in now.output

    verified = runner.invoke(app, ["audit", "verify"], env=bo)
    assert verified.exit_code == 0 and verified.output.startswith("OK:")
    as_json = orjson.loads(runner.invoke(app, ["audit", "verify", "--json"], env=bo).stdout)
    assert as_json["ok"] is True and as_json["scope"] == "log" and as_json["findings"] == []
    assert as_json["events_checked"] > 0 and re.fullmatch(r"\d+:[0-9a-f]{64}", as_json["head"])
    anchored = ["audit", "verify", "--anchor", as_json["head"], "--json"]
    assert orjson.loads(runner.invoke(app, anchored, env=bo).stdout)["ok"] is True

    reads = runner.invoke(app, ["audit", "reads"], env=bo)
    assert "pcc:west-yorkshire/inspector-ann" in reads.output
    assert "complaint C-7" in reads.output
    assert reads.output.count(case[:8]) >= 2


def test_audit_reads_need_a_credential_not_a_name(demo_store: str) -> None:
    anonymous = runner.invoke(app, ["audit", "history", demo_store, "--reason", "x"])
    assert anonymous.exit_code == 2 and "no credential" in anonymous.output
    forged = runner.invoke(app, ["audit", "verify"], env={"RJB_TOKEN": "inspector-ann"})
    assert forged.exit_code == 2 and "not authenticated" in forged.output
    old_flag = runner.invoke(app, ["audit", "verify", "--as", "inspector-ann"])
    assert old_flag.exit_code == 2  # no such option any more


def test_audit_reads_exports_and_verification_need_the_auditor_role(demo_store: str) -> None:
    hub = token("--agency", "pcc:west-yorkshire")
    for args in (
        ["history", demo_store, "--reason", "x"],
        ["verify"],
        ["reads"],
        ["at", demo_store, "--at", "2999-01-01T00:00Z", "--reason", "x"],
        ["export", demo_store, "--out", "never", "--reason", "x"],
    ):
        refused = runner.invoke(app, ["audit", *args], env=hub)
        assert refused.exit_code == 1, (args, refused.output)
        assert "needs the auditor role" in refused.output


def test_privacy_erase_from_the_command_line_keeps_verify_ok(demo_store: str) -> None:
    dpo = token("--agency", "pcc:west-yorkshire", "--role", "privacy-officer", "--subject", "jo")
    erase = ["privacy", "erase", f"{demo_store}/v1", "--reason", "DSR-17"]
    erased = runner.invoke(app, erase, env=dpo)
    assert erased.exit_code == 0, erased.output
    assert "key destroyed" in erased.output
    keys = runner.invoke(app, ["privacy", "keys", demo_store], env=dpo)
    assert f"{demo_store}/v1\terased" in keys.output
    ann = token(*AUDITOR)
    history = runner.invoke(
        app, ["audit", "history", demo_store, "--json", "--reason", "DSR-17"], env=ann
    )
    assert "Mrs A." not in history.output and "[erased]" in history.output
    assert "PersonalDataErased" in history.output and '"user": "jo"' in history.output
    assert runner.invoke(app, ["audit", "verify", demo_store], env=ann).exit_code == 0
    unknown = runner.invoke(
        app, ["privacy", "erase", f"{demo_store}/nobody", "--reason", "x"], env=dpo
    )
    assert unknown.exit_code == 1


def test_privacy_erase_with_case_text_also_erases_the_case_level_free_text(
    demo_store: str,
) -> None:
    dpo = token("--agency", "pcc:west-yorkshire", "--role", "privacy-officer", "--subject", "jo")
    erase = ["privacy", "erase", f"{demo_store}/v1", "--reason", "DSR-17", "--with-case-text"]
    erased = runner.invoke(app, erase, env=dpo)
    assert erased.exit_code == 0, erased.output
    assert f"erased {demo_store}/v1: key destroyed" in erased.output
    assert f"erased {demo_store}: key destroyed" in erased.output
    history = runner.invoke(
        app, ["audit", "history", demo_store, "--json", "--reason", "DSR-17"], env=token(*AUDITOR)
    )
    assert "the meeting is off" not in history.output  # the victim's update: their key
    assert "conference held after release" not in history.output  # closure detail: the case's
    alone = runner.invoke(
        app, ["privacy", "erase", demo_store, "--reason", "x", "--with-case-text"], env=dpo
    )
    assert alone.exit_code == 1 and "goes with CASE_ID/PARTICIPANT_ID" in alone.output


def test_erasure_needs_the_privacy_officer_role_and_a_reason(demo_store: str) -> None:
    erase = ["privacy", "erase", f"{demo_store}/v1", "--reason"]
    auditor = runner.invoke(app, [*erase, "DSR-17"], env=token(*AUDITOR))
    assert auditor.exit_code == 1 and "needs the privacy-officer role" in auditor.output
    keys = runner.invoke(app, ["privacy", "keys", demo_store], env=token(*AUDITOR))
    assert keys.exit_code == 1 and "needs the privacy-officer role" in keys.output
    dpo = token("--agency", "pcc:west-yorkshire", "--role", "privacy-officer")
    blank = runner.invoke(app, [*erase, "  "], env=dpo)
    assert blank.exit_code == 2 and "needs a reason" in blank.output
    assert runner.invoke(app, ["privacy", "erase", f"{demo_store}/v1"], env=dpo).exit_code == 2


def test_export_and_verify_export_from_the_command_line(demo_store: str, tmp_path: Path) -> None:
    out = tmp_path / "exp"
    done = runner.invoke(
        app,
        ["audit", "export", demo_store, "--format", "csv", "--out", str(out), "--reason", "r"],
        env=token(*AUDITOR),
    )
    assert done.exit_code == 0, done.output
    assert (out / "history.csv").exists() and (out / "timeline.html").exists()
    checked = runner.invoke(app, ["audit", "verify-export", str(out)])
    assert checked.exit_code == 0 and checked.output.startswith("OK")
    (out / "timeline.html").write_text("forged")
    assert runner.invoke(app, ["audit", "verify-export", str(out)]).exit_code == 1


def test_verify_json_names_each_finding() -> None:
    found = Finding("altered", "beef", 3, 17, "bytes differ from what was hashed")
    report = VerifyReport("log", events_checked=20, findings=[found])
    assert verify_json(report) == {
        "scope": "log",
        "ok": False,
        "events_checked": 20,
        "head": None,
        "findings": [
            {
                "kind": "altered",
                "originator_id": "beef",
                "version": 3,
                "notification_id": 17,
                "detail": "bytes differ from what was hashed",
            }
        ],
    }
