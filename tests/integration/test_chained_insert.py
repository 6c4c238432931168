"""The chained PostgreSQL transaction: events, keys and chain rows commit together or not at all,
in two round trips whatever the batch holds."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from psycopg.pq import Trace

from adapters import chained_insert
from services.audit.verify import verify_log
from services.bootstrap import Backbone, build
from services.demo.runner import run_script
from services.demo.stories import STORIES
from tests.conftest import pg_settings


@pytest.fixture
def pg_backbone(pg_database: Any) -> Iterator[Backbone]:
    bb = build(pg_settings(pg_database))
    yield bb
    bb.close()


def verified(backbone: Backbone) -> bool:
    recorder: Any = backbone.store.recorder
    return verify_log(recorder).ok


def stored_counts(backbone: Backbone) -> tuple[int, int, int]:
    recorder: Any = backbone.store.recorder
    schema = recorder.datastore.schema
    with recorder.datastore.get_connection() as conn:
        return tuple(  # type: ignore[return-value]
            conn.execute(f'SELECT count(*) AS n FROM "{schema}".{table}').fetchone()["n"]
            for table in (recorder.events_table_name, "event_chain", "personal_keys")
        )


def test_a_failure_while_linking_the_chain_stores_nothing_of_the_story(
    pg_backbone: Backbone, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_script(pg_backbone.commands, STORIES[0]())
    before = stored_counts(pg_backbone)

    def broken(*_: Any) -> Any:
        raise RuntimeError("the chain could not be linked")

    monkeypatch.setattr(chained_insert, "link_rows", broken)
    with pytest.raises(RuntimeError, match="could not be linked"):
        run_script(pg_backbone.commands, STORIES[1]())  # a new case, new people's keys
    assert stored_counts(pg_backbone) == before  # no event without its chain row or key
    monkeypatch.undo()
    run_script(pg_backbone.commands, STORIES[1]())
    assert verified(pg_backbone)


def test_a_story_with_new_people_is_stored_in_two_round_trips_per_save(
    pg_backbone: Backbone, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """One wait for the keys, the insert, the chain's head and the previous hashes; one for the
    chain rows and the commit: counted in libpq's own trace of what the server sent back."""
    run_script(pg_backbone.commands, STORIES[0]())  # its aggregates now have previous hashes
    datastore: Any = pg_backbone.store.recorder.datastore  # type: ignore[attr-defined]
    real_connection = type(datastore).get_connection
    real_insert = chained_insert.ChainedInsert.insert_events
    traces: list[Path] = []
    inserting: list[bool] = []

    @contextlib.contextmanager
    def get_connection(self: Any) -> Iterator[Any]:
        with real_connection(self) as conn:
            if not inserting:
                yield conn
                return
            traces.append(tmp_path / f"save-{len(traces)}.trace")
            with traces[-1].open("w") as out:
                conn.pgconn.trace(out.fileno())
                conn.pgconn.set_trace_flags(Trace.SUPPRESS_TIMESTAMPS | Trace.REGRESS_MODE)
                try:
                    yield conn
                finally:
                    conn.pgconn.untrace()

    def insert(self: Any, *args: Any, **kwargs: Any) -> Any:
        inserting.append(True)
        try:
            return real_insert(self, *args, **kwargs)
        finally:
            inserting.clear()

    monkeypatch.setattr(type(datastore), "get_connection", get_connection)
    monkeypatch.setattr(chained_insert.ChainedInsert, "insert_events", insert)
    run_script(pg_backbone.commands, STORIES[1]())
    monkeypatch.undo()
    replies = [
        [line.split("\t")[2].split()[0] for line in trace.read_text().splitlines()]
        for trace in traces
    ]
    assert len(replies) > 3
    for save in replies:
        assert save.count("ReadyForQuery") == 2, save
        assert "ErrorResponse" not in save
    assert any(save.count("DataRow") >= 3 for save in replies)  # ids, head and previous hashes
    assert verified(pg_backbone)
