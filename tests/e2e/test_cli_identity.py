"""The command line takes identity from a verified credential; the development issuer is only for
the embedded default; `rjb show` is logged with who, what and why."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from services.bootstrap import build
from services.cli.app import app
from services.demo.stories import STORIES
from services.settings import Settings

runner = CliRunner()


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("RJB_STORE", "sqlite")
    monkeypatch.setenv("RJB_SQLITE_PATH", str(tmp_path / "rjb.sqlite3"))
    for name in ("RJB_TOKEN", "RJB_TOKEN_FILE", "RJB_OAUTH_ISSUER", "RJB_DEV_ISSUER"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def dev_token(*args: str) -> str:
    printed = runner.invoke(app, ["dev", "token", *args])
    assert printed.exit_code == 0, printed.output
    return printed.stdout.strip()


def test_the_dev_issuer_key_is_kept_in_var_readable_by_its_owner_only(store: Path) -> None:
    dev_token("--agency", "pcc:kent")
    mode = stat.S_IMODE((store / "dev-issuer.pem").stat().st_mode)
    assert mode == 0o600


def test_a_dev_token_is_only_for_a_known_agency_and_known_roles(store: Path) -> None:
    invented = runner.invoke(app, ["dev", "token", "--agency", "pcc:nowhere"])
    assert invented.exit_code == 2 and "unknown agency pcc:nowhere" in invented.output
    role = runner.invoke(app, ["dev", "token", "--agency", "pcc:kent", "--role", "god"])
    assert role.exit_code == 2


def test_production_settings_refuse_the_dev_issuer(
    store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(ValidationError, match="RJB_DEV_ISSUER is refused"):
        Settings(store="postgres", dev_issuer=True)
    with pytest.raises(ValidationError, match="RJB_DEV_ISSUER is refused"):
        Settings(oauth_issuer="https://login.example", dev_issuer=True)
    assert not Settings(store="postgres").dev_issuer_on
    monkeypatch.setenv("RJB_OAUTH_ISSUER", "https://login.example")
    monkeypatch.setenv("RJB_OAUTH_JWKS_URL", "https://login.example/jwks")
    refused = runner.invoke(app, ["dev", "token", "--agency", "pcc:kent"])
    assert refused.exit_code == 2 and "development issuer is off" in refused.output


def test_a_dev_token_does_not_verify_once_an_issuer_is_configured(
    store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = dev_token("--agency", "pcc:kent", "--role", "auditor")
    jwks = store / "jwks.json"
    jwks.write_text('{"keys": []}')
    monkeypatch.setenv("RJB_OAUTH_ISSUER", "https://login.example")
    monkeypatch.setenv("RJB_OAUTH_JWKS_FILE", str(jwks))
    refused = runner.invoke(app, ["audit", "verify"], env={"RJB_TOKEN": token})
    assert refused.exit_code == 2 and "not authenticated" in refused.output


def test_show_needs_a_credential_and_an_agency_entitled_to_the_case(store: Path) -> None:
    assert runner.invoke(app, ["demo"]).exit_code == 0
    case = str(STORIES[0]().case_id)  # a West Yorkshire case
    show = ["show", case, "--reason", "victim asked for an update"]
    assert runner.invoke(app, show).exit_code == 2
    kent = runner.invoke(app, show, env={"RJB_TOKEN": dev_token("--agency", "pcc:kent")})
    assert kent.exit_code == 1 and "south" not in kent.output and "refused" in kent.output
    token_file = store / "hub.token"
    token_file.write_text(dev_token("--agency", "pcc:west-yorkshire", "--subject", "hub-sam"))
    hub = runner.invoke(app, [*show, "--token-file", str(token_file)])
    assert hub.exit_code == 0, hub.output
    bb = build(Settings())
    try:
        (read,) = [r for r in bb.audit("test").reads() if r.action == "show"]
    finally:
        bb.close()
    assert read.reader == "pcc:west-yorkshire/hub-sam" and read.subject == case
    assert read.detail == "why: victim asked for an update"
