"""Wrapped keys carry the id of the master key that wrapped them: ``personal_keys.master_key_id``.

Rows written before keep NULL: they were wrapped by the master key configured then (a migration
runs without the master key, so it cannot tell which); they open as before, and a master key
rotation (``rjb privacy rotate-master-key``) re-wraps them with the rest. The index serves the
rotation's batches and the check for keys under the incoming master key.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from adapters.migrations.schema import schema

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    s = schema()
    op.add_column("personal_keys", sa.Column("master_key_id", sa.Text()), schema=s)
    op.create_index(
        "personal_keys_by_master_key", "personal_keys", ["master_key_id", "subject"], schema=s
    )


def downgrade() -> None:
    s = schema()
    op.drop_index("personal_keys_by_master_key", "personal_keys", schema=s)
    with op.batch_alter_table("personal_keys", schema=s) as batch:
        batch.drop_column("master_key_id")
