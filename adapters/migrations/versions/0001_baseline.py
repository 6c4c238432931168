"""Baseline: the side tables as the code created them by hand until migrations came in.

Every table and index is created only when missing, so a database written by that code (no
version table, some or all of these tables) is adopted as it stands, and a new one gets them all.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from adapters.migrations.schema import BIGINT, INSTANT, AuditRecordHeld, postgres, schema

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _text(*names: str, nullable: bool = False) -> list[sa.Column[str]]:
    return [sa.Column(n, sa.Text(), nullable=nullable) for n in names]


def upgrade() -> None:
    s = schema()
    op.create_table(
        "event_chain",
        sa.Column("notification_id", BIGINT, primary_key=True, autoincrement=False),
        sa.Column("originator_id", sa.Text(), nullable=False),
        sa.Column("originator_version", BIGINT, nullable=False),
        *_text("prev_event_hash", "event_hash"),
        sa.Column("prev_notification_id", BIGINT),
        sa.Column("prev_originator_id", sa.Text()),
        sa.Column("prev_originator_version", BIGINT),
        *_text("prev_log_hash", "log_hash"),
        schema=s,
        if_not_exists=True,
    )
    op.create_index(
        "event_chain_aggregate",
        "event_chain",
        ["originator_id", "originator_version"],
        schema=s,
        if_not_exists=True,
    )
    op.create_index(
        "event_chain_prev_aggregate",
        "event_chain",
        ["prev_originator_id"],
        schema=s,
        if_not_exists=True,
    )
    op.create_table(
        "personal_keys",
        sa.Column("subject", sa.Text(), primary_key=True),
        sa.Column("key", sa.LargeBinary()),
        sa.Column(
            "created_at",
            INSTANT,
            nullable=False,
            server_default=sa.text("now()") if postgres() else None,
        ),
        sa.Column("erased_at", INSTANT),
        schema=s,
        if_not_exists=True,
        sqlite_with_rowid=False,
    )
    op.create_index(
        "personal_keys_destroyed",
        "personal_keys",
        ["subject"],
        postgresql_where=sa.text("key IS NULL"),
        sqlite_where=sa.text("key IS NULL"),
        schema=s,
        if_not_exists=True,
    )
    op.create_table(
        "audit_reads",
        sa.Column("id", BIGINT, primary_key=True, autoincrement=True),
        sa.Column("read_at", INSTANT, nullable=False),
        *_text("reader", "action", "subject", "detail"),
        schema=s,
        if_not_exists=True,
        sqlite_autoincrement=True,
    )
    op.create_table(
        "share_decisions",
        *_text("recipient", "event_id", "aggregate_id"),
        sa.Column("aggregate_version", sa.BigInteger(), nullable=False),
        *_text(
            "event_type",
            "from_agency",
            "outcome",
            "category",
            "removed_fields",
            "reason",
            "agreements",
        ),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("recipient", "event_id"),
        schema=s,
        if_not_exists=True,
    )
    op.create_index(
        "share_decisions_by_aggregate",
        "share_decisions",
        ["aggregate_id", "position"],
        schema=s,
        if_not_exists=True,
    )
    op.create_table(
        "relay_positions",  # keyed by relay name only, as released; 0002 adds the cluster
        sa.Column("name", sa.Text(), primary_key=True),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("offsets", sa.Text(), nullable=False),
        schema=s,
        if_not_exists=True,
    )
    op.create_table(
        "projection_tracking",
        sa.Column("projection", sa.Text(), primary_key=True),
        sa.Column("notification_id", sa.BigInteger(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        schema=s,
        if_not_exists=True,
    )


BASELINE_TABLES = (
    "projection_tracking",
    "relay_positions",
    "share_decisions",
    "audit_reads",
    "personal_keys",
    "event_chain",
)


def downgrade() -> None:
    """Drop the side tables, but only of a store that has recorded nothing: once an event is
    chained, dropping ``event_chain`` and ``personal_keys`` would destroy the tamper evidence and
    make every sealed personal field unreadable for good, so that is refused."""
    s = schema()
    count = sa.select(sa.func.count()).select_from(sa.table("event_chain", schema=s))
    chained = op.get_bind().execute(count).scalar_one()
    if chained:
        raise AuditRecordHeld(
            f"the store holds {chained} chained events: undoing the baseline would destroy the "
            "audit chain and the personal-data keys, so it is refused"
        )
    for name in BASELINE_TABLES:
        op.drop_table(name, schema=s)
