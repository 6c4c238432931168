"""Alembic's entry point: migrations run on the connection :mod:`adapters.migrations` opened
(already locked and in its transaction), with the version table in the store's schema."""

from __future__ import annotations

from alembic import context

config = context.config
context.configure(
    connection=config.attributes["connection"],
    version_table_schema=config.attributes.get("schema"),
    render_as_batch=True,  # SQLite ALTERs become copy-and-rename in batch_alter_table
    transactional_ddl=True,
)
with context.begin_transaction():
    context.run_migrations()
