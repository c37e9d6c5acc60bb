"""Alembic environment: run with a connection handed in by :func:`api.storage.migrate.upgrade`."""

from alembic import context

from api.storage.db import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata)
with context.begin_transaction():
    context.run_migrations()
