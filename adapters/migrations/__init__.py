"""Schema migrations (Alembic) of the tables the backbone owns beside eventsourcing's own.

One history for SQLite and PostgreSQL (``versions/``), run whenever the store is opened (the
chained recorders' ``create_table``) and by ``rjb db upgrade``. Two processes starting on one
database never both migrate: on PostgreSQL the upgrade holds a transaction-level advisory lock
keyed by the schema, on SQLite ``BEGIN IMMEDIATE`` (the database's write lock); the second
finds the first one's version and has nothing to do. Projection view tables are not migrated:
they are read models, versioned by their projection and rebuilt when it changes.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from adapters.sql import is_postgres, schema_of

HERE = Path(__file__).parent
_LOCK = "rjb_migration_lock"


def sqlite_engine(path: str | Path) -> sa.Engine:
    """pysqlite leaves DDL outside transactions; here SQLAlchemy begins every transaction
    itself, and a migration's (see :func:`locked`) with ``BEGIN IMMEDIATE``, so it is atomic
    and holds the write lock from its first statement."""
    engine = sa.create_engine(f"sqlite:///{path}", poolclass=sa.NullPool)

    @sa.event.listens_for(engine, "connect")
    def _no_implicit_transactions(dbapi: Any, _: Any) -> None:
        dbapi.isolation_level = None

    @sa.event.listens_for(engine, "begin")
    def _begin(connection: sa.Connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE" if connection.info.get(_LOCK) else "BEGIN")

    return engine


def postgres_engine(connect: dict[str, Any]) -> sa.Engine:
    """``connect``: psycopg.connect keyword arguments (host, port, dbname, user, password)."""
    import psycopg

    return sa.create_engine(
        "postgresql+psycopg://", creator=lambda: psycopg.connect(**connect), poolclass=sa.NullPool
    )


@functools.cache
def scripts() -> ScriptDirectory:
    return ScriptDirectory(str(HERE))


def head() -> str:
    return str(scripts().get_current_head())


def _config(connection: sa.Connection | None, schema: str | None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(HERE))
    config.set_main_option("file_template", "%%(rev)s_%%(slug)s")
    config.attributes.update(connection=connection, schema=schema)
    return config


def new_revision(message: str) -> Path:
    """The next numbered migration file, from ``script.py.mako``, for a developer to fill in."""
    number = f"{int(head()) + 1:04d}"
    script = command.revision(_config(None, None), message, rev_id=number)
    assert script is not None and not isinstance(script, list)
    return Path(script.path)


@contextmanager
def locked(engine: sa.Engine, schema: str | None) -> Iterator[sa.Connection]:
    """A transaction that no other process migrating the same schema runs alongside."""
    try:
        with engine.connect() as connection:
            connection.info[_LOCK] = True
            with connection.begin():
                if engine.dialect.name == "postgresql":
                    connection.execute(
                        sa.text("SELECT pg_advisory_xact_lock(hashtext(:key))"),
                        {"key": f"rjb-migrations:{schema}"},
                    )
                yield connection
    finally:
        engine.dispose()


def _at(connection: sa.Connection, schema: str | None) -> tuple[str, ...]:
    context = MigrationContext.configure(connection, opts={"version_table_schema": schema})
    return tuple(context.get_current_heads())


def _upgrade(connection: sa.Connection, schema: str | None, target: str) -> None:
    if target == "head" and _at(connection, schema) == (head(),):
        return  # the usual start: nothing to load or run
    command.upgrade(_config(connection, schema), target)


def upgrade(engine: sa.Engine, schema: str | None, target: str = "head") -> None:
    if target == "head" and current(engine, schema) == (head(),):
        return  # checked without the lock first: opening a busy SQLite store waits for nothing
    with locked(engine, schema) as connection:
        _upgrade(connection, schema, target)


def downgrade(engine: sa.Engine, schema: str | None, target: str) -> None:
    """Back to ``target`` (``base``: before the baseline, refused once anything is recorded)."""
    with locked(engine, schema) as connection:
        command.downgrade(_config(connection, schema), target)


def current(engine: sa.Engine, schema: str | None) -> tuple[str, ...]:
    """The revisions the database is at (empty before the first upgrade)."""
    try:
        with engine.connect() as connection:
            return _at(connection, schema)
    finally:
        engine.dispose()


def engine_for(datastore: Any) -> sa.Engine:
    """An engine on the database of an eventsourcing datastore (its own connections)."""
    if is_postgres(datastore):
        kwargs = {k: v for k, v in datastore.pool.kwargs.items() if k != "row_factory"}
        return postgres_engine(kwargs)
    if datastore.pool.is_sqlite_memory_mode:
        raise ValueError("migrations need a SQLite file, not an in-memory database")
    return sqlite_engine(datastore.pool.db_name)


def upgrade_store(datastore: Any, create_event_tables: Callable[[], None]) -> None:
    """eventsourcing's tables, then the migrations. On PostgreSQL both run under the migration
    lock; on SQLite the events' tables come first (the lock would block their connection)."""
    engine, schema = engine_for(datastore), schema_of(datastore)
    if not is_postgres(datastore):
        create_event_tables()
        upgrade(engine, schema)
        return
    with locked(engine, schema) as connection:
        create_event_tables()
        _upgrade(connection, schema, "head")


def pending(at: tuple[str, ...]) -> list[tuple[str, str]]:
    """(revision, first line of its docstring) from ``at`` up to head, oldest first."""
    found = scripts().iterate_revisions("heads", at[0] if at else "base")
    return [(s.revision, (s.doc or "").split("\n")[0]) for s in reversed(list(found))]
