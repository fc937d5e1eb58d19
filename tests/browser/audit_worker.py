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

from tests.integration.console.test_jobs import start_worker
from tests.support.console import console_config
from tests.support.processes import ChildProcess
from tests.support.sandbox import SandboxHandle

SHARED = (
    "TESTING",
    "SECRET_KEY",
    "CONSOLE_ENV",
    "CMS_BASE_URL",
    "CMS_MERCHANT",
    "CMS_MERCHANT_KEY_PEM",
    "CMS_PUBLIC_KEY_PEM",
    "SANDBOX_PUBLIC_URL",
    "DATABASE_URL",
)


@contextmanager
def jobs_worker(sandbox: SandboxHandle, tmp_path: Path, console: int = 0) -> Iterator[ChildProcess]:
    """A worker for the test's `console`-th console (the first: `console_url`), stopped on leaving."""
    config = console_config(sandbox, tmp_path / f"console-{console}")
    instance = Path(config["INSTANCE_PATH"])
    shared = {key: config[key] for key in SHARED}
    (instance / "config.py").write_text("".join(f"{key} = {value!r}\n" for key, value in shared.items()))
    worker = start_worker(instance, "audit-worker")
    try:
        yield worker
    finally:
        worker.stop()
