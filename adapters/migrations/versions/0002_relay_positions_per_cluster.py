"""Relay positions are kept per relay *and* Kafka cluster: primary key (name, cluster).

The old rows are dropped, not carried over: they do not say which cluster they were acked by,
and crediting them to whichever cluster a relay meets next could skip events on a cluster that
never had them. Without a row each relay republishes the log from the start, in order, which
consumers already take (at-least-once, the CloudEvents id is the event id); share decisions are
upserted, so re-deciding adds no rows. The dropped positions are logged.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from alembic import op

from adapters.migrations.schema import schema

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None
log = logging.getLogger(__name__)


def _log_dropped(table: sa.TableClause) -> None:
    query = sa.select(table.c.name, table.c.position).order_by(table.c.name)
    for name, position in op.get_bind().execute(query):
        log.warning(
            "relay position of %r (notification %s) dropped by the per-cluster migration: "
            "the relay republishes from the start",
            name,
            position,
        )


def upgrade() -> None:
    s = schema()
    _log_dropped(sa.table("relay_positions", sa.column("name"), sa.column("position"), schema=s))
    op.drop_table("relay_positions", schema=s)
    op.create_table(
        "relay_positions",
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("cluster", sa.Text(), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("offsets", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("name", "cluster"),
        schema=s,
    )


def downgrade() -> None:
    s = schema()
    op.drop_table("relay_positions", schema=s)
    op.create_table(
        "relay_positions",
        sa.Column("name", sa.Text(), primary_key=True),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("offsets", sa.Text(), nullable=False),
        schema=s,
    )
