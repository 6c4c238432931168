"""Dead-letter actions: what operators did with each dead letter (retry, purge), who, when, why.

Kafka topics are append-only, so a dead letter cannot be marked on its topic; this table holds
the operations' state, one row per action on a dead letter (topic, partition, offset).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from adapters.migrations.schema import BIGINT, INSTANT, schema

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    s = schema()
    op.create_table(
        "dead_letter_actions",
        sa.Column("id", BIGINT, primary_key=True, autoincrement=True),
        sa.Column("dead_letter_topic", sa.Text(), nullable=False),
        sa.Column("dead_letter_partition", sa.Integer(), nullable=False),
        sa.Column("dead_letter_offset", sa.BigInteger(), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("acted_at", INSTANT, nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.CheckConstraint("action IN ('retry', 'purge')", name="dead_letter_action_kind"),
        schema=s,
        sqlite_autoincrement=True,
    )
    op.create_index(
        "dead_letter_actions_by_letter",
        "dead_letter_actions",
        ["dead_letter_topic", "dead_letter_partition", "dead_letter_offset"],
        schema=s,
    )


def downgrade() -> None:
    op.drop_table("dead_letter_actions", schema=schema())
