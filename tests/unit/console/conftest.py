"""A console app without an upstream: enough for the frame, the gate, errors, logs and the store."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from tests.support.console import STORE_TEMPLATE
from webapp import create_app


@pytest.fixture
def bare_app(tmp_path: Path) -> Flask:
    database = tmp_path / "console.sqlite3"
    config: dict[str, Any] = {
        "TESTING": True,
        "INSTANCE_PATH": str(tmp_path),
        "SECRET_KEY": "s" * 40,
        "DATABASE_URL": f"sqlite:///{database}",  # the default, named so the migrated copy lands there
    }
    STORE_TEMPLATE.seed(config, database)
    return create_app(config)
