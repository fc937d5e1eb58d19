"""JOBS_CMS_CONCURRENCY_TOTAL: CMS calls in flight across worker processes never pass the total, and a killed
worker's slots come back (webapp/jobs/cms_slots.py).

Two real worker processes (tests/support/cms_slot_worker.py) lease slots from a real store (the SQLite file
of the embedded mode, and Redis in the scaled one) and make real HTTP calls to a loopback server that counts
the calls in flight, in all and per worker. The Redis variant is marked `scaled`: skipped with the reason
when Redis is not reachable, a failure under CI (CI=true), as tests/integration/console/test_jobs_scaled.py
does.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.integration.console.test_jobs_scaled import REDIS_URL, _require_redis
from tests.support.cms_slot_worker import store_of
from tests.support.processes import ROOT
from webapp.jobs.cms_slots import CmsSlots, LeaseStore

CALL_SECONDS = 0.02  # the counting server's answer time, so that calls overlap as they do against the CMS


class InFlight:
    """What the counting server saw: the most calls in flight at once, in all and per worker."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.now: Counter[str] = Counter()
        self.most = 0
        self.most_by_worker: Counter[str] = Counter()
        self.calls = 0


def _counting_server(seen: InFlight) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            worker = self.headers.get("X-Worker", "?")
            with seen.lock:
                seen.now[worker] += 1
                seen.calls += 1
                seen.most = max(seen.most, sum(seen.now.values()))
                seen.most_by_worker[worker] = max(seen.most_by_worker[worker], seen.now[worker])
            time.sleep(CALL_SECONDS)
            with seen.lock:
                seen.now[worker] -= 1
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *_args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture(params=["sqlite", pytest.param("redis", marks=pytest.mark.scaled)])
def store_spec(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """(store, queue name): a store of the test's own, emptied afterwards."""
    queue = f"cms-slots-test-{uuid.uuid4().hex[:10]}"
    if request.param == "sqlite":
        yield f"sqlite:{tmp_path / 'jobs-cms-slots.sqlite3'}", queue
        return
    _require_redis()
    yield REDIS_URL, queue
    import redis

    redis.Redis.from_url(REDIS_URL).delete(f"{queue}:cms-slots", f"{queue}:cms-slots:expiry")


def _worker(store: str, queue: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.support.cms_slot_worker", store, queue, *args],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )


def _line(process: subprocess.Popen[str]) -> str:
    assert process.stdout is not None
    return process.stdout.readline().strip()


def _in_thread(work: object) -> threading.Thread:
    thread = threading.Thread(target=work, daemon=True)  # type: ignore[arg-type]
    thread.start()
    return thread


def _leases_during_one_call(slots: CmsSlots, leases: LeaseStore) -> list[dict[str, int]]:
    """The live leases as one call of `slots`, made in a thread of its own, sees them while it holds its slot
    (empty when the call got no slot within the time)."""
    seen: list[dict[str, int]] = []

    def take_one() -> None:
        with slots.slot():
            seen.append(leases.leases())

    _in_thread(take_one).join(timeout=15)
    return seen


def test_two_workers_never_pass_the_total(store_spec: tuple[str, str]) -> None:
    store, queue = store_spec
    seen = InFlight()
    server = _counting_server(seen)
    url = f"http://127.0.0.1:{server.server_address[1]}"
    limits = ["--limit", "3", "--total", "4", "--url", url, "--calls", "60", "--threads", "6", "--go"]
    workers = [_worker(store, queue, *limits) for _ in range(2)]
    try:
        assert [_line(w) for w in workers] == ["ready", "ready"]
        for worker in workers:  # both start together, so their calls overlap
            assert worker.stdin is not None
            worker.stdin.write("go\n")
            worker.stdin.flush()
        assert [_line(w) for w in workers] == ["done", "done"]
    finally:
        for worker in workers:
            worker.kill()
            worker.wait()
        server.shutdown()
    assert seen.calls == 120
    assert seen.most == 4, "the total is the bound, and both workers together reach it"
    assert len(seen.most_by_worker) == 2
    assert max(seen.most_by_worker.values()) <= 3, seen.most_by_worker


def test_a_killed_workers_slots_come_back(store_spec: tuple[str, str]) -> None:
    store, queue = store_spec
    leases = store_of(store, queue)
    dying = _worker(store, queue, "--limit", "3", "--total", "3", "--ttl", "1.0", "--hold")
    try:
        assert _line(dying) == "holding 3"
        assert leases.leases() == {f"worker-{dying.pid}": 3}
    finally:
        dying.send_signal(signal.SIGKILL)
        dying.wait()
    assert leases.lease("probe", 1, 3, 5.0) == 0, "the dead worker's lease still holds every slot"
    other = CmsSlots(leases, "other", limit=3, total=3, ttl=5.0, renew_every=0.2)
    seen = _leases_during_one_call(other, leases)
    assert seen == [{"other": 3}], "after its lease lapsed, the dead worker's slots went to the other"


def test_a_worker_that_stopped_calling_gives_its_slots_back(store_spec: tuple[str, str]) -> None:
    store, queue = store_spec
    leases = store_of(store, queue)
    first = CmsSlots(leases, "first", limit=2, total=2, ttl=30.0, renew_every=10.0)
    second = CmsSlots(leases, "second", limit=2, total=2, ttl=30.0, renew_every=10.0)
    with first.slot(), first.slot():
        assert leases.leases() == {"first": 2}
    seen = _leases_during_one_call(second, leases)
    assert seen == [{"second": 2}], "the idle worker's lease went back within a second, long before it lapsed"


def test_a_stopping_worker_gives_its_lease_back_at_once(store_spec: tuple[str, str]) -> None:
    store, queue = store_spec
    leases = store_of(store, queue)
    stopping = CmsSlots(leases, "stopping", limit=2, total=2, ttl=30.0, renew_every=10.0)
    with stopping.slot():
        assert leases.leases() == {"stopping": 2}
    stopping.close()
    assert leases.leases() == {}
