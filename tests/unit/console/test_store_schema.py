"""The console's ORM tables and its migrations describe the same schema.

The models leave types and nullability to their annotations (webapp/store/models.py `Base`); this proves
that what they say is exactly what the migrations create, so a model edit without its migration fails here.
"""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

import webapp.jobs.records
import webapp.store.audit_snapshots
import webapp.store.saved_views
import webapp.store.submissions
import webapp.store.uploads  # noqa: F401  (each module adds its tables to Base.metadata)
from webapp.store import migrate
from webapp.store.models import Base


def test_models_match_the_migrations(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'store.db'}")
    migrate(engine)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
    assert {"audit_events", "submissions", "uploads", "saved_views", "audit_snapshots", "jobs"} <= set(
        Base.metadata.tables
    )
