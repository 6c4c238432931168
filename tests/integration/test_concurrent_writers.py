"""Concurrent agencies updating one case on PostgreSQL: no lost update, one effect per command."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any
from uuid import UUID

from services.bootstrap import build
from services.command_apply import CommandResult
from tests.integration.test_command_batch import command as on_case
from tests.integration.test_command_batch import refer
from tests.servers import PgDatabase

CASE = "0b6a6c62-0000-4000-8000-00000000c0c0"
WRITERS = 12


def command(type_: str, command_id: str, **fields: Any) -> Any:
    return on_case(type_, command_id, CASE, **fields)


def test_concurrent_writers_never_lose_an_update(pg_database: PgDatabase) -> None:
    from tests.conftest import pg_settings

    settings = pg_settings(pg_database, postgres_pool_size=WRITERS, command_retries=50)
    backbones = [build(settings) for _ in range(4)]  # four processes' worth of connections
    try:
        backbones[0].commands.handle(refer(CASE, "refer"))
        victims = [f"v{i:02d}" for i in range(WRITERS * 3)]

        def add(i_pid: tuple[int, str]) -> CommandResult:
            i, pid = i_pid
            service = backbones[i % len(backbones)].commands
            return service.handle(
                command(
                    "add_participant",
                    f"add-{pid}",
                    participant_id=pid,
                    role="victim",
                    name=pid,
                )
            )

        with ThreadPoolExecutor(max_workers=WRITERS) as pool:
            results = list(pool.map(add, enumerate(victims)))
        case = backbones[0].commands.load(UUID(CASE))
        assert sorted(case.participants) == victims
        assert case.version == 1 + len(victims)
        assert sorted(r.version for r in results) == list(range(2, 2 + len(victims)))
        assert sum(bb.commands.conflicts_retried for bb in backbones) > 0, "writers never raced"
    finally:
        for bb in backbones:
            bb.close()


def test_the_same_command_sent_concurrently_has_one_effect(pg_database: PgDatabase) -> None:
    from tests.conftest import pg_settings

    settings = pg_settings(pg_database, postgres_pool_size=WRITERS)
    backbone = build(settings)
    try:
        backbone.commands.handle(refer(CASE, "refer"))
        retry = command("add_participant", "same", participant_id="v1", role="victim", name="V")
        with ThreadPoolExecutor(max_workers=WRITERS) as pool:
            results = list(pool.map(lambda _: backbone.commands.handle(retry), range(WRITERS)))
        assert sum(r.new_events for r in results) == 1
        assert sum(r.duplicate for r in results) == WRITERS - 1
        assert backbone.commands.load(UUID(CASE)).version == 2
    finally:
        backbone.close()
