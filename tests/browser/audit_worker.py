"""A jobs worker (`python -m webapp.jobs`) for a browser test's console, so an audit run or export it asks for
is done the way `make run` does it: by a worker process reading the console's instance folder.

The conftest's console (tests/browser/conftest.py, `start_console`) keeps its settings in memory; the worker
reads them from `config.py` in the same instance folder, which this writes from the same `console_config`
(its store, queue and sessions are files in that folder, so both see the same ones).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support.console import console_config
from tests.support.jobs_worker import share_with_workers, start_worker
from tests.support.processes import ChildProcess
from tests.support.sandbox import SandboxHandle


@contextmanager
def jobs_worker(sandbox: SandboxHandle, tmp_path: Path, console: int = 0) -> Iterator[ChildProcess]:
    """A worker for the test's `console`-th console (the first: `console_url`), stopped on leaving."""
    instance = share_with_workers(console_config(sandbox, tmp_path / f"console-{console}"))
    worker = start_worker(instance, "audit-worker")
    try:
        yield worker
    finally:
        worker.stop()
