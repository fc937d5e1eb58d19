"""The gunicorn path of /metrics: workers write to PROMETHEUS_MULTIPROC_DIR, a scrape merges them.

Each "worker" is a real subprocess (prometheus-client chooses its file-backed values at import, from the
environment), so nothing here touches this test process's own registry.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

ROOT = Path(__file__).resolve().parents[3]

WORKER = """
import os, sys
from webapp.cms import telemetry
telemetry.observe_call("GET", "/app/partners/{partnerId}/cardholders", "ok", 0.2)
telemetry.observe_call("GET", "/app/partners/{partnerId}/cardholders", "ServerError", 0.1)
telemetry.observe_breaker(sys.argv[1])
print(os.getpid())
"""

SCRAPE = """
import sys
from prometheus_client import generate_latest
from prometheus_client import multiprocess
from webapp import metrics
for pid in sys.argv[1:]:
    multiprocess.mark_process_dead(int(pid))  # what gunicorn.conf.py's child_exit does
sys.stdout.write(generate_latest(metrics.registry()).decode())
"""


def _run(code: str, directory: Path, *args: str) -> str:
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(directory)}
    done = subprocess.run(
        [sys.executable, "-c", code, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def _samples(text: str, name: str) -> list[float]:
    return [
        s.value for family in text_string_to_metric_families(text) for s in family.samples if s.name == name
    ]


def test_a_scrape_merges_every_worker_and_drops_exited_workers_breakers(tmp_path: Path) -> None:
    first = _run(WORKER, tmp_path, "open").strip()
    second = _run(WORKER, tmp_path, "closed").strip()
    assert first != second

    merged = _run(SCRAPE, tmp_path)
    calls = "console_upstream_request_duration_seconds_count"
    assert sum(_samples(merged, calls)) == 4  # two workers, two calls each
    assert _samples(merged, "console_upstream_errors_total") == [2.0]
    assert _samples(merged, "console_upstream_breaker_state") == [2.0]  # the worst worker's breaker

    after_exit = _run(SCRAPE, tmp_path, first, second)
    assert sum(_samples(after_exit, calls)) == 4  # counters of exited workers are kept
    # Their breakers are gone: only the scraping process's own (closed, never called) breaker is left.
    assert _samples(after_exit, "console_upstream_breaker_state") == [0.0]


def test_the_scrape_without_the_directory_is_this_process(tmp_path: Path) -> None:
    from prometheus_client import REGISTRY

    from webapp import metrics

    assert "PROMETHEUS_MULTIPROC_DIR" not in os.environ
    assert metrics.registry() is REGISTRY
