"""An administrator rotates the master key with ``rjb privacy rotate-master-key``: a progress
bar, a line in the read log, and afterwards the new key alone opens everything."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from typer.testing import CliRunner

from adapters.key_wrap import master_key_id, new_master_key, parse_master_key
from services.bootstrap import build, master_key
from services.cli.app import app
from services.demo.stories import STORIES
from services.settings import Settings
from tests.e2e.test_cli_audit import token

runner = CliRunner()
ADMIN = ("--agency", "admin:backbone", "--role", "administrator", "--subject", "ops-ann")


@pytest.fixture
def demo_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("RJB_STORE", "sqlite")
    monkeypatch.setenv("RJB_SQLITE_PATH", str(tmp_path / "rjb.sqlite3"))
    for name in ("RJB_TOKEN", "RJB_TOKEN_FILE", "RJB_PERSONAL_DATA_MASTER_KEY_NEW"):
        monkeypatch.delenv(name, raising=False)
    assert runner.invoke(app, ["demo"]).exit_code == 0
    return tmp_path


def test_rotate_master_key_rewraps_every_key_with_a_progress_bar_and_is_logged(
    demo_store: Path,
) -> None:
    admin, new = token(*ADMIN), new_master_key()
    refused = runner.invoke(app, ["privacy", "rotate-master-key", "--reason", "CHG-9"], env=admin)
    assert refused.exit_code == 1 and "RJB_PERSONAL_DATA_MASTER_KEY_NEW" in refused.output

    both = {**admin, "RJB_PERSONAL_DATA_MASTER_KEY_NEW": new}
    auditor = token("--agency", "pcc:kent", "--role", "auditor")
    not_admin = {**auditor, "RJB_PERSONAL_DATA_MASTER_KEY_NEW": new}
    denied = runner.invoke(app, ["privacy", "rotate-master-key", "--reason", "x"], env=not_admin)
    assert denied.exit_code == 1 and "administrator" in denied.output

    done = runner.invoke(
        app, ["privacy", "rotate-master-key", "--reason", "CHG-9", "--batch-size", "3"], env=both
    )
    assert done.exit_code == 0, done.output
    new_id = master_key_id(parse_master_key(new))
    assert "re-wrapping keys" in done.output and f"under {new_id}" in done.output
    again = runner.invoke(app, ["privacy", "rotate-master-key", "--reason", "CHG-9"], env=both)
    assert again.exit_code == 0 and "done: 0 key(s) re-wrapped" in again.output

    settings = Settings(store="sqlite", sqlite_path=demo_store / "rjb.sqlite3")
    old_key = master_key(settings)  # the embedded master.key, still there
    assert old_key != new
    backbone = build(settings.model_copy(update={"personal_data_master_key": SecretStr(new)}))
    try:
        case: Any = backbone.store.repository.get(STORIES[0]().case_id)
        assert case.participants["v1"].name == "Mrs A. (head teacher)"
        reads = backbone.store.recorder.select_reads()  # type: ignore[attr-defined]
        assert any(
            r.action == "privacy rotate-master-key" and r.reader == "admin:backbone/ops-ann"
            for r in reads
        )
    finally:
        backbone.close()
