"""Unit tests of the CMS client run with stamina in test mode: no real back-off sleeps, our attempt counts."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import stamina


@pytest.fixture(autouse=True)
def _no_backoff_sleeps() -> Iterator[None]:
    with stamina.set_testing(True, attempts=100, cap=True):
        yield
