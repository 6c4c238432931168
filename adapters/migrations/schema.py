"""What the migration scripts share: the schema they write to and the column types that differ
between SQLite and PostgreSQL (as the tables were first created by hand on each)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# bigint on PostgreSQL; INTEGER on SQLite, where an INTEGER PRIMARY KEY is the rowid
BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
# timestamptz on PostgreSQL; ISO text on SQLite
INSTANT = sa.Text().with_variant(postgresql.TIMESTAMP(timezone=True), "postgresql")


def schema() -> str | None:
    """The store's PostgreSQL schema (None on SQLite): every table is created in it."""
    found: str | None = op.get_context().version_table_schema
    return found


def postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


class AuditRecordHeld(RuntimeError):
    """Undoing the baseline would destroy the audit chain and the per-person keys."""
