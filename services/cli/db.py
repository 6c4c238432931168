"""``rjb db current | upgrade | revision``: the schema migrations of the tables beside the events.

Opening the store upgrades too; these commands let an operator look first, or migrate in a
release step of its own. They touch only the migrated tables (eventsourcing creates its own).
"""

from __future__ import annotations

from typing import Annotated

import sqlalchemy as sa
import typer

from adapters import migrations
from services.settings import Settings

db_app = typer.Typer(no_args_is_help=True, help="Schema migrations (Alembic) of the side tables")


def _target(settings: Settings) -> tuple[sa.Engine, str | None]:
    if settings.store == "sqlite":
        return migrations.sqlite_engine(settings.sqlite_path), None
    connect = {
        "host": settings.postgres_host,
        "port": settings.postgres_port,
        "dbname": settings.postgres_dbname,
        "user": settings.postgres_user,
        "password": settings.postgres_password.get_secret_value(),
    }
    return migrations.postgres_engine(connect), settings.postgres_schema or "public"


def _where(s: Settings) -> str:
    if s.store == "sqlite":
        return f"SQLite {s.sqlite_path}"
    schema = s.postgres_schema or "public"
    return f"PostgreSQL {s.postgres_host}:{s.postgres_port}/{s.postgres_dbname}, schema {schema}"


def _report(at: tuple[str, ...]) -> None:
    typer.echo(f"at {', '.join(at) or 'no revision'} (head {migrations.head()})")
    for revision, doc in migrations.pending(at):
        typer.echo(f"  pending {revision}: {doc}")


@db_app.command()
def current() -> None:
    """Which revision the database is at, and what an upgrade would run."""
    settings = Settings()
    typer.echo(_where(settings))
    _report(migrations.current(*_target(settings)))


@db_app.command()
def upgrade(
    revision: Annotated[str, typer.Argument(help="Target revision")] = "head",
) -> None:
    """Run the pending migrations (under the migration lock; a no-op when at head)."""
    settings = Settings()
    typer.echo(_where(settings))
    before = migrations.current(*_target(settings))
    migrations.upgrade(*_target(settings), target=revision)
    after = migrations.current(*_target(settings))
    typer.echo(f"upgraded from {', '.join(before) or 'no revision'} to {', '.join(after)}")


@db_app.command()
def revision(message: Annotated[str, typer.Argument(help="What the migration changes")]) -> None:
    """Write the next numbered migration file (for developers; then fill in its functions)."""
    typer.echo(f"wrote {migrations.new_revision(message)}")
