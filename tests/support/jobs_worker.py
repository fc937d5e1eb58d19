"""A jobs worker process (`python -m webapp.jobs`) beside a test's console, as `make run` starts one.

The console keeps its settings in memory; a worker reads them from `config.py` in the same instance folder,
which `share_with_workers` writes from the console's own settings (its store, queue and sessions are files in
that folder, or the same Redis and database, so both see the same ones). Settings the worker would otherwise
take from the environment are scrubbed: only the instance's config.py counts.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from tests.support.processes import ROOT, ChildProcess

_SCRUBBED = ("CMS_", "CONSOLE_", "REDIS_", "DATABASE_", "SESSION_", "JOBS_", "INSTANCE_PATH", "SECRET_KEY")
# What a console and its workers share through instance/config.py (the rest is per process).
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


def write_instance_config(instance: Path, settings: Mapping[str, Any]) -> None:
    instance.mkdir(parents=True, exist_ok=True)
    (instance / "config.py").write_text("".join(f"{key} = {value!r}\n" for key, value in settings.items()))


def share_with_workers(config: Mapping[str, Any], also: Iterable[str] = ()) -> Path:
    """Write the console `config`'s shared settings (and `also`) for its workers; answers the instance."""
    instance = Path(config["INSTANCE_PATH"])
    write_instance_config(instance, {key: config[key] for key in (*SHARED, *also)})
    return instance


def start_worker(instance: Path, name: str, *args: str) -> ChildProcess:
    env = {key: value for key, value in os.environ.items() if not key.startswith(_SCRUBBED)}
    log_path = instance.parent / f"{name}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "webapp.jobs", "--instance", str(instance), "--workers", "1", *args],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    return ChildProcess(name=name, process=process, url="", log_path=log_path)
