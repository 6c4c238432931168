"""A database written by the previous release is upgraded in place: its data stays and reads
as before; relay positions (keyed by name only then) are dropped so each relay republishes."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa

from adapters import migrations
from adapters.audit_recorder import ReadRecord
from adapters.event_store import EventStore, open_event_store
from adapters.migrations.schema import AuditRecordHeld
from adapters.relay_positions import RelayPosition, RelayPositions
from adapters.share_decisions import ShareDecisionRow, ShareDecisions
from adapters.sql import schema_of
from projections.registry import all_projections
from projections.runner import ProjectionRunner
from services.bootstrap import build, event_store_env, master_key
from services.command_service import CommandService
from services.demo.runner import run_script
from services.demo.stories import STORIES
from services.settings import Settings
from tests.integration.tamper import RawRows

# The side tables exactly as the code at d797429 (the last release before migrations) wrote
# them: the chained recorders' statements, then the relay's, the sharing relay's, the runner's.
OLD_SQLITE = [
    "CREATE TABLE IF NOT EXISTS event_chain (notification_id INTEGER PRIMARY KEY, "
    "originator_id TEXT NOT NULL, originator_version INTEGER NOT NULL, "
    "prev_event_hash TEXT NOT NULL, event_hash TEXT NOT NULL, "
    "prev_notification_id INTEGER, prev_originator_id TEXT, "
    "prev_originator_version INTEGER, prev_log_hash TEXT NOT NULL, "
    "log_hash TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS event_chain_aggregate "
    "ON event_chain (originator_id, originator_version)",
    "CREATE INDEX IF NOT EXISTS event_chain_prev_aggregate ON event_chain (prev_originator_id)",
    "CREATE TABLE IF NOT EXISTS personal_keys (subject TEXT PRIMARY KEY, key BLOB, "
    "created_at TEXT NOT NULL, erased_at TEXT) WITHOUT ROWID",
    "CREATE INDEX IF NOT EXISTS personal_keys_destroyed ON personal_keys (subject) "
    "WHERE key IS NULL",
    "CREATE TABLE IF NOT EXISTS audit_reads (id INTEGER PRIMARY KEY AUTOINCREMENT, "
    "read_at TEXT NOT NULL, reader TEXT NOT NULL, action TEXT NOT NULL, "
    "subject TEXT NOT NULL, detail TEXT NOT NULL)",
]
OLD_POSTGRES = [
    "CREATE TABLE IF NOT EXISTS {s}.event_chain (notification_id bigint PRIMARY KEY, "
    "originator_id text NOT NULL, originator_version bigint NOT NULL, "
    "prev_event_hash text NOT NULL, event_hash text NOT NULL, "
    "prev_notification_id bigint, prev_originator_id text, "
    "prev_originator_version bigint, prev_log_hash text NOT NULL, log_hash text NOT NULL)",
    "CREATE INDEX IF NOT EXISTS event_chain_aggregate "
    "ON {s}.event_chain (originator_id, originator_version)",
    "CREATE INDEX IF NOT EXISTS event_chain_prev_aggregate ON {s}.event_chain (prev_originator_id)",
    "CREATE TABLE IF NOT EXISTS {s}.personal_keys (subject text PRIMARY KEY, key bytea, "
    "created_at timestamptz NOT NULL DEFAULT now(), erased_at timestamptz)",
    "CREATE INDEX IF NOT EXISTS personal_keys_destroyed "
    "ON {s}.personal_keys (subject) WHERE key IS NULL",
    "CREATE TABLE IF NOT EXISTS {s}.audit_reads (id bigserial PRIMARY KEY, "
    "read_at timestamptz NOT NULL, reader text NOT NULL, action text NOT NULL, "
    "subject text NOT NULL, detail text NOT NULL)",
]
OLD_RELAY = [
    "CREATE TABLE IF NOT EXISTS {relay_positions} ("
    " name TEXT PRIMARY KEY, position BIGINT NOT NULL, offsets TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS {share_decisions} ("
    " recipient TEXT NOT NULL, event_id TEXT NOT NULL, aggregate_id TEXT NOT NULL,"
    " aggregate_version BIGINT NOT NULL, event_type TEXT NOT NULL,"
    " from_agency TEXT NOT NULL, outcome TEXT NOT NULL, category TEXT NOT NULL,"
    " removed_fields TEXT NOT NULL, reason TEXT NOT NULL, agreements TEXT NOT NULL,"
    " position BIGINT NOT NULL, PRIMARY KEY (recipient, event_id))",
    "CREATE INDEX IF NOT EXISTS share_decisions_by_aggregate"
    " ON {share_decisions} (aggregate_id, position)",
]
OLD_TRACKING = (
    "CREATE TABLE IF NOT EXISTS projection_tracking (projection TEXT PRIMARY KEY, "
    "notification_id BIGINT NOT NULL, version INTEGER NOT NULL)"
)


def _old_store(settings: Settings) -> EventStore:
    """The store with eventsourcing's own tables only, as the previous release found them."""
    env = event_store_env(settings)
    store = open_event_store(env, CREATE_TABLE="no", PERSONAL_DATA_MASTER_KEY=master_key(settings))
    recorder: Any = store.recorder
    super(type(recorder), recorder).create_table()
    return store


def _write_old_tables(settings: Settings, raw: RawRows, relay_ran: bool) -> None:
    if raw.pg:
        schema = f'"{settings.postgres_schema}"'
        names = {
            "s": schema,
            "relay_positions": f"{schema}.relay_positions",
            "share_decisions": f"{schema}.share_decisions",
        }
        statements = OLD_POSTGRES
    else:
        names = {"relay_positions": "relay_positions", "share_decisions": "share_decisions"}
        statements = OLD_SQLITE
    for statement in [*statements, *(OLD_RELAY if relay_ran else ()), OLD_TRACKING]:
        raw.run(statement.format_map(names))
    # Today's recorder writes each key's master key id; the column goes again once the old data
    # is written (`_as_the_previous_release_left_it`), so the rows are as that release left them.
    raw.run(f"ALTER TABLE {_schema(settings, raw)}personal_keys ADD COLUMN master_key_id TEXT")


def _schema(settings: Settings, raw: RawRows) -> str:
    return f'"{settings.postgres_schema}".' if raw.pg else ""


def _as_the_previous_release_left_it(settings: Settings, raw: RawRows) -> None:
    raw.run(f"ALTER TABLE {_schema(settings, raw)}personal_keys DROP COLUMN master_key_id")


@pytest.mark.parametrize("relay_ran", [True, False], ids=["with-kafka-tables", "store-only"])
def test_a_database_of_the_previous_release_keeps_its_data(
    store_settings: Settings, relay_ran: bool
) -> None:
    raw = RawRows(store_settings)
    store = _old_store(store_settings)
    _write_old_tables(store_settings, raw, relay_ran)
    datastore = store.recorder.datastore
    assert migrations.current(migrations.engine_for(datastore), schema_of(datastore)) == ()
    case_id = run_script(CommandService(store, 3), STORIES[0]()).script.case_id
    store.recorder.insert_read(ReadRecord(_now(), "inspector-ann", "history", str(case_id), ""))
    decision = ShareDecisionRow(
        "pcc:west-yorkshire",
        "e1",
        str(case_id),
        1,
        "Referred",
        "police:west-yorkshire",
        "withheld",
        "referral",
        "",
        "no ISA",
        "",
        1,
    )
    if relay_ran:
        ShareDecisions(store).record([decision])
        raw.run(
            "INSERT INTO relay_positions (name, position, offsets) VALUES (?, ?, ?)",
            "case-events",
            7,
            '{"t-0": 3}',
        )
    runner = ProjectionRunner(store, all_projections())
    runner.catch_up()
    positions = {s.name: s.position for s in runner.status()}
    store.close()
    _as_the_previous_release_left_it(store_settings, raw)

    backbone = build(store_settings)  # opening the store upgrades it
    try:
        datastore = backbone.store.recorder.datastore
        engine = migrations.engine_for(datastore)
        assert migrations.current(engine, schema_of(datastore)) == (migrations.head(),)
        audit = backbone.audit("auditor-bo")
        assert audit.verify(case_id).ok  # the chain written before the upgrade still verifies
        keys = backbone.store.recorder.key_subjects(str(case_id))
        assert keys and not any(erased for _, erased in keys)  # the people's keys still open
        assert audit.reads()[0].reader == "inspector-ann"
        assert ShareDecisions(backbone.store).about(case_id) == ([decision] if relay_ran else [])
        relays = RelayPositions(backbone.store)
        assert relays.load("case-events", "cluster-a") == RelayPosition()  # republish
        relays.save("case-events", "cluster-a", RelayPosition(5, {"t-0": 4}))
        relays.save("case-events", "cluster-b", RelayPosition(2))
        assert relays.load("case-events", "cluster-a") == RelayPosition(5, {"t-0": 4})
        status = backbone.projections.status()
        assert {s.name: s.position for s in status} == positions  # views kept, not rebuilt
        run_script(backbone.commands, STORIES[1]())  # new writes extend the chain
        assert audit.verify(None).ok
    finally:
        backbone.close()
        raw.close()


def test_processes_starting_together_migrate_once(store_settings: Settings) -> None:
    """Each thread is a process starting on the same empty database at the same moment."""
    if store_settings.store == "postgres":
        s = store_settings
        connect = {
            "host": s.postgres_host,
            "port": s.postgres_port,
            "dbname": s.postgres_dbname,
            "user": s.postgres_user,
        }
        schema: str | None = s.postgres_schema
        engine = lambda: migrations.postgres_engine(connect)  # noqa: E731
    else:
        store_settings.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
        schema = None
        engine = lambda: migrations.sqlite_engine(store_settings.sqlite_path)  # noqa: E731
    start, failures = threading.Barrier(4), []

    def starting() -> None:
        start.wait()
        try:
            migrations.upgrade(engine(), schema)
        except Exception as e:  # pragma: no cover - the failure being tested for
            failures.append(e)

    threads = [threading.Thread(target=starting) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    assert migrations.current(engine(), schema) == (migrations.head(),)


def _now() -> datetime:
    return datetime.now(UTC)


def test_rjb_db_shows_the_revision_and_upgrades(store_settings: Settings) -> None:
    from typer.testing import CliRunner

    from services.cli.db import db_app

    fields = [
        "store",
        "sqlite_path",
        "postgres_host",
        "postgres_port",
        "postgres_user",
        "postgres_dbname",
        "postgres_schema",
    ]
    env = {f"RJB_{f.upper()}": str(getattr(store_settings, f)) for f in fields}
    store_settings.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
    runner = CliRunner(env=env)
    before = runner.invoke(db_app, ["current"])
    assert before.exit_code == 0, before.output
    assert "at no revision" in before.output and "pending 0001: Baseline" in before.output
    done = runner.invoke(db_app, ["upgrade", "0001"])
    assert "upgraded from no revision to 0001" in done.output
    done = runner.invoke(db_app, ["upgrade"])
    assert f"upgraded from 0001 to {migrations.head()}" in done.output
    after = runner.invoke(db_app, ["current"])
    assert f"at {migrations.head()} (head {migrations.head()})" in after.output
    assert "pending" not in after.output


def _engine(settings: Settings) -> tuple[Any, str | None]:
    if settings.store == "postgres":
        connect = {
            "host": settings.postgres_host,
            "port": settings.postgres_port,
            "dbname": settings.postgres_dbname,
            "user": settings.postgres_user,
        }
        return migrations.postgres_engine(connect), settings.postgres_schema
    return migrations.sqlite_engine(settings.sqlite_path), None


def test_an_empty_store_can_be_taken_back_before_the_baseline_and_up_again(
    store_settings: Settings,
) -> None:
    build(store_settings).close()  # migrated to head, nothing recorded
    engine, schema = _engine(store_settings)
    migrations.downgrade(engine, schema, "base")
    assert migrations.current(engine, schema) == ()
    with engine.connect() as connection:
        assert "event_chain" not in sa.inspect(connection).get_table_names(schema=schema)
    migrations.upgrade(engine, schema)
    assert migrations.current(engine, schema) == (migrations.head(),)


def test_a_store_that_recorded_events_refuses_to_undo_the_baseline(
    store_settings: Settings,
) -> None:
    backbone = build(store_settings)
    run_script(backbone.commands, STORIES[0]())
    backbone.close()
    engine, schema = _engine(store_settings)
    with pytest.raises(AuditRecordHeld, match="chained events"):
        migrations.downgrade(engine, schema, "base")
    with engine.connect() as connection:
        assert "event_chain" in sa.inspect(connection).get_table_names(schema=schema)
