"""A console app with its job queue on SQLite under `tmp_path`, and no worker: the tests run attempts
in-process (webapp/jobs/runner.py) or read what was queued. No CMS is needed: nothing here calls it."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import pytest
from flask import Flask


def jobs_settings(instance: Path, **overrides: Any) -> dict[str, Any]:
    instance.mkdir(parents=True, exist_ok=True)
    return {
        "TESTING": True,
        "SECRET_KEY": secrets.token_urlsafe(48),
        "CONSOLE_ENV": "sandbox",
        "INSTANCE_PATH": str(instance),
        "CMS_BASE_URL": "http://127.0.0.1:9/cms/rest",
        "DATABASE_URL": f"sqlite:///{instance / 'console.sqlite3'}",
        "REDIS_URL": None,
        **overrides,
    }


def jobs_app(instance: Path, **overrides: Any) -> Flask:
    from webapp import create_app

    return create_app(jobs_settings(instance, **overrides))


@pytest.fixture
def app(tmp_path: Path) -> Flask:
    return jobs_app(tmp_path / "instance")
