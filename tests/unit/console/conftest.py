"""A console app without an upstream: enough for the frame, the gate, errors, logs and the store.

`app` is the unit tests' end of the fixture chain in tests/integration/console/conftest.py: the same
`console` marker sets its settings, and its store is a copy of the one migrated for the session.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from tests.support.console import STORE_TEMPLATE, marked_settings
from webapp import create_app


@pytest.fixture
def app(request: pytest.FixtureRequest, tmp_path: Path) -> Flask:
    database = tmp_path / "console.sqlite3"
    config: dict[str, Any] = {
        "TESTING": True,
        "INSTANCE_PATH": str(tmp_path),
        "SECRET_KEY": "s" * 40,
        "DATABASE_URL": f"sqlite:///{database}",  # the default, named so the migrated copy lands there
        **marked_settings(request.node),
    }
    STORE_TEMPLATE.seed(config, database)
    return create_app(config)


@pytest.fixture
def bare_app(app: Flask) -> Flask:
    """`app` under the name the unit tests give it: no upstream behind it."""
    return app
