"""Alembic environment. Run through ``bastion migrate`` (bastion.storage.migrate), which
passes the connection and the version locations contributed by plugins."""

from __future__ import annotations

from alembic import context

from bastion.storage.base import Base

config = context.config
connection = config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    compare_type=True,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
