"""Alembic environment: always runs on the connection the console hands over (see webapp.store.migrate)."""

from __future__ import annotations

from alembic import context

from webapp.store.models import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("Run migrations through webapp.store.migrate(), which passes the app's connection.")

context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
