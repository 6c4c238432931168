"""`rjb dlq` as an operator runs it: a credential with the operator role, text from the dead
letter printed as it is (never as markup or terminal control), every action with a reason."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner, Result

from services.bootstrap import build
from services.cli.app import app
from services.kafka_runtime.wiring import KafkaParts
from tests.conftest import sqlite_settings
from tests.integration.test_inbound import command, until
from tests.integration.test_inbound_poison import send_to
from tests.kafka_helpers import fast_kafka_settings, kent_police_topic
from tests.servers import Broker

runner = CliRunner()


@pytest.fixture
async def parts(
    kafka_broker: Broker, tmp_path: Path, topic_prefix: str, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[KafkaParts]:
    settings = fast_kafka_settings(sqlite_settings(tmp_path), topic_prefix)
    env = {
        "RJB_STORE": "sqlite",
        "RJB_SQLITE_PATH": str(settings.sqlite_path),
        "RJB_KAFKA_BOOTSTRAP_SERVERS": kafka_broker.bootstrap,
        "RJB_KAFKA_TOPIC_PREFIX": topic_prefix,
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    for name in ("RJB_TOKEN", "RJB_TOKEN_FILE", "RJB_OAUTH_ISSUER", "RJB_DEV_ISSUER"):
        monkeypatch.delenv(name, raising=False)
    bb = build(settings)
    yield bb.kafka(kafka_broker.bootstrap)
    bb.close()


async def rjb(*args: str, token: str | None = None) -> Result:
    env = {"RJB_TOKEN": token} if token else None
    return await asyncio.to_thread(runner.invoke, app, list(args), env=env)


async def token(agency: str, role: str) -> str:
    printed = await rjb("dev", "token", "--agency", agency, "--role", role, "--subject", "ann")
    assert printed.exit_code == 0, printed.output
    return printed.stdout.strip()


async def test_an_operator_lists_reads_and_purges_a_bad_command_from_the_command_line(
    parts: KafkaParts,
) -> None:
    await parts.ensure_inbound_topics(["police:kent"])
    inbound = parts.inbound(quiet=True)
    await inbound.start()
    try:
        hostile = orjson.dumps(command())[:-1] + b', "note": "[bold red]boo[/] \x1b[2J"}'
        await send_to(parts.bootstrap, kent_police_topic(parts), [(0, hostile, [("t", None)])])
        await until(lambda: inbound.stats.dead_letter_count == 1)
    finally:
        await inbound.stop()
    operator = await token("admin:backbone", "operator")

    assert (await rjb("dlq", "list")).exit_code == 2  # no credential
    auditor = await rjb("dlq", "list", token=await token("pcc:kent", "auditor"))
    assert auditor.exit_code == 1 and "operator or administrator role" in auditor.output
    listed = await rjb("dlq", "list", token=operator)
    assert listed.exit_code == 0, listed.output
    assert "0/0" in listed.output and "malformed JSON" in listed.output
    assert kent_police_topic(parts) in listed.output

    shown = await rjb("dlq", "show", "0/0", "--reason", "INC-7", token=operator)
    assert shown.exit_code == 0, shown.output
    assert '"[bold red]boo[/] \\x1b[2J"' in shown.output and "\x1b" not in shown.output
    assert "rjb_dlq_reason" in shown.output and "(null)" in shown.output
    reads = parts.backbone.audit("admin:backbone/test").reads()
    assert [(r.reader, r.subject, r.detail) for r in reads if r.action == "dlq show"] == [
        ("admin:backbone/ann", "0/0", "why: INC-7")
    ]

    assert (await rjb("dlq", "purge", "0/0", token=operator)).exit_code == 2  # no reason
    purged = await rjb("dlq", "purge", "0/0", "--reason", "agency resent it", token=operator)
    assert purged.exit_code == 0 and "0/0: done" in purged.output
    assert "no dead letters waiting" in (await rjb("dlq", "list", token=operator)).output
    everything = await rjb("dlq", "list", "--all", token=operator)
    assert "purge by admin:backbone/ann" in everything.output
