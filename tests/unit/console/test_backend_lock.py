"""The cross-request lock on one machine (flock files): it honours its wait limit and its folder."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from flask import Flask

from webapp import create_app
from webapp.auth import backend
from webapp.cms import errors as cms_errors


@pytest.fixture
def app(tmp_path: Path) -> Flask:
    return create_app(
        {
            "TESTING": True,
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "SECRET_KEY": "s" * 40,
            "CONSOLE_LOCK_DIR": str(tmp_path / "locks"),
        }
    )


def test_the_lock_lives_in_the_configured_folder(app: Flask, tmp_path: Path) -> None:
    with backend.cross_node_lock(app, "refresh:abc"):
        assert len(list((tmp_path / "locks").glob("*.lock"))) == 1
    assert not (tmp_path / "instance" / "locks").exists()


def test_a_held_lock_is_given_up_after_the_wait_limit(app: Flask) -> None:
    """flock on another open file excludes even the same thread: the second taker must not wait forever."""
    with backend.cross_node_lock(app, "refresh:abc"):
        started = time.monotonic()
        with (
            pytest.raises(backend.LockTimeout),
            backend.cross_node_lock(app, "refresh:abc", wait_seconds=0.2),
        ):
            pass
        waited = time.monotonic() - started
    assert 0.2 <= waited < 5
    with backend.cross_node_lock(app, "refresh:abc", wait_seconds=0):  # released: taken at once
        pass


def test_other_names_do_not_wait(app: Flask) -> None:
    with (
        backend.cross_node_lock(app, "refresh:abc"),
        backend.cross_node_lock(app, "refresh:xyz", wait_seconds=0),
    ):
        pass


def test_a_refresh_that_cannot_get_its_lock_is_an_upstream_unavailable(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nothing was sent upstream: the operator sees "try again", not a crash."""
    monkeypatch.setattr(backend, "cross_node_lock", _never_free)
    with pytest.raises(cms_errors.UpstreamUnavailable), backend.refresh_lock(app, "sid"):
        pass


def _never_free(app: Flask, name: str, *, wait_seconds: float = 20.0) -> object:
    raise backend.LockTimeout(name)
