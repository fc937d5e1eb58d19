"""A console app without an upstream: enough for the frame, the gate, errors, logs and the store."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask

from webapp import create_app


@pytest.fixture
def bare_app(tmp_path: Path) -> Flask:
    return create_app({"TESTING": True, "INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "s" * 40})
