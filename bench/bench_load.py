"""Load: 50 operators browsing at once, console under gunicorn gthread, sandbox adding 20 ms per call.

Bar (README "Benchmarks"): no errors and p99 ≤ 300 ms. Two runs, each with fresh sign-ins:

1. one console node (2 workers × 8 threads, the production gunicorn.conf.py) with Redis and PostgreSQL;
2. two console nodes on two ports sharing that Redis and PostgreSQL, every operator's requests alternating
   between the nodes with one cookie jar.

The sandbox stands in for the CMS API and is served keep-alive (one gunicorn gthread worker), as an API
behind a load balancer would be; `BENCH_LOAD_SANDBOX=werkzeug` serves it with werkzeug's development server
instead, which closes every connection. Operators start one think time apart, as people do
(`BENCH_LOAD_STAGGER=0`: all at once).

Everything runs as real processes on loopback (tests/support/processes.py). Without Redis or PostgreSQL the
runs use the single-machine stores (filesystem sessions, SQLite) and say so. `BENCH_LOAD_SECONDS` and
`BENCH_LOAD_OPERATORS` shorten a run. Besides latency each run prints the CPU every process spent: on a small
machine the sandbox, the load client and the console share the cores, and that split explains the tail.
"""

from __future__ import annotations

import os
import socket
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from bench import load_cpu
from bench.load_operator import PASSWORD, PERMISSIONS, Recorder, SimulatedOperator
from bench.load_stats import Summary, summarise
from tests.support.keys import new_keypair
from tests.support.processes import (
    ChildProcess,
    console_environment,
    start_console,
    start_sandbox,
    write_keys,
)

OPERATORS = int(os.environ.get("BENCH_LOAD_OPERATORS", "50"))
SECONDS = float(os.environ.get("BENCH_LOAD_SECONDS", "30"))
# Seconds an operator spends reading a page before the next click. 1–3 s is a brisk person (50 of them offer
# about 25 requests/s); `BENCH_LOAD_THINK=0.05-0.25` turns them into bots to find the machine's capacity.
_low, _, _high = os.environ.get("BENCH_LOAD_THINK", "1.0-3.0").partition("-")
THINK = (float(_low), float(_high or _low))
LATENCY_MS = 20
SANDBOX_SERVER = os.environ.get("BENCH_LOAD_SANDBOX", "gunicorn")
# `BENCH_LOAD_STAGGER=0` makes every operator click at the same instant first (a worst case, not a workday).
STAGGER = os.environ.get("BENCH_LOAD_STAGGER", "1") != "0"
P99_BAR_MS = 300.0
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/5")
DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
# Sign-in limits are per client IP, and every simulated operator comes from 127.0.0.1: raised through config
# for the benchmark only, never in code.
# Server-Timing is off by default (it is internal); the figures need its upstream/total split.
BENCH_LIMITS = {
    "LOGIN_RATE_LIMIT": "5000 per minute",
    "OTP_RATE_LIMIT": "5000 per minute",
    "SERVER_TIMING": "true",
}


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


def _shared_stores() -> dict[str, str] | None:
    if _reachable("127.0.0.1", 6379) and _reachable("127.0.0.1", 5432):
        return {"REDIS_URL": REDIS_URL, "DATABASE_URL": DATABASE_URL}
    return None


def _create_operators(sandbox: ChildProcess, count: int) -> list[str]:
    tag = uuid.uuid4().hex[:8]
    emails = [f"load-{tag}-{n:02d}@bench.migo" for n in range(count)]
    with httpx.Client(base_url=sandbox.url, timeout=30) as http:
        for email in emails:
            http.post(
                "/_sandbox/users",
                json={
                    "email": email,
                    "password": PASSWORD,
                    "partners": [1],
                    "permissions": {"1": PERMISSIONS},
                },
            ).raise_for_status()
    return emails


def _otp_reader(sandbox: ChildProcess) -> tuple[httpx.Client, Callable[[str], str]]:
    http = httpx.Client(base_url=sandbox.url, timeout=30)

    def latest(email: str) -> str:
        messages = http.get("/_sandbox/mailbox", params={"email": email}).json()["messages"]
        return str(messages[0]["code"])

    return http, latest


def _sandbox_call_ms(sandbox: ChildProcess, since: float) -> list[float]:
    """The sandbox's own handling time of each API call made during the run (its bounded call log)."""
    with httpx.Client(base_url=sandbox.url, timeout=30) as http:
        calls = http.get("/_sandbox/calls").json()["calls"]
    return [float(c["durationMs"]) for c in calls if float(c.get("at", 0)) >= since]


def run_load(
    sandbox: ChildProcess, consoles: Sequence[ChildProcess], label: str
) -> tuple[Summary, dict[str, float]]:
    """Sign in `OPERATORS` operators (not timed), let them browse for `SECONDS`, summarise every request and
    say how much CPU each process spent while they browsed."""
    nodes = [c.url for c in consoles]
    roots = {"load client": os.getpid(), "sandbox": sandbox.process.pid}
    roots.update({c.name: c.process.pid for c in consoles})
    emails = _create_operators(sandbox, OPERATORS)
    mailbox, latest = _otp_reader(sandbox)
    # Operator n starts on node n mod N, then alternates: both nodes see sign-ins and every kind of page.
    operators = [
        SimulatedOperator(email, [*nodes[n % len(nodes) :], *nodes[: n % len(nodes)]], latest, n)
        for n, email in enumerate(emails)
    ]
    try:
        with ThreadPoolExecutor(max_workers=10) as pool:
            list(pool.map(lambda op: op.sign_in(), operators))
        recorder = Recorder()
        until = time.monotonic() + SECONDS
        cpu_before = load_cpu.snapshot(roots)
        started = time.monotonic()
        threads = [
            threading.Thread(
                target=op.browse, args=(recorder, until, THINK), kwargs={"stagger": STAGGER}, name=f"op-{n}"
            )
            for n, op in enumerate(operators)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
        cpu = load_cpu.spent(cpu_before, load_cpu.snapshot(roots))
        calls = _sandbox_call_ms(sandbox, time.time() - elapsed)
        return summarise(label, recorder.samples, elapsed, calls), cpu
    finally:
        for op in operators:
            op.close()
        mailbox.close()


def _cpu_report(cpu: dict[str, float], summary: Summary) -> str:
    """CPU per process over the browsing phase, as a share of the machine and per operator request."""
    capacity = (os.cpu_count() or 1) * summary.seconds
    used = sum(cpu.values())
    lines = [f"  CPU while browsing: {used:.1f} s of {capacity:.0f} s available ({used / capacity:.0%})"]
    for name, seconds in sorted(cpu.items(), key=lambda item: -item[1]):
        per_request = seconds * 1000 / summary.requests if summary.requests else 0.0
        lines.append(f"    {name:<14} {seconds:6.1f} s  {per_request:6.1f} ms per request")
    return "\n".join(lines)


def _console_nodes(
    workdir: Path, sandbox: ChildProcess, keys: dict[str, Path], stores: dict[str, str] | None, count: int
) -> list[ChildProcess]:
    """`count` gunicorn nodes with one configuration (the same secret key and shared stores)."""
    settings = dict(BENCH_LIMITS)
    if stores:
        settings.update(stores)
    env = console_environment(sandbox.url, keys, workdir / "console-instance", **settings)
    if not stores:
        # Without shared stores only one node makes sense; its sessions live in the instance folder.
        count = 1
    return [start_console(workdir, f"console-{n}", env) for n in range(count)]


def _one_setup(
    workdir: Path,
    label: str,
    keys: dict[str, Path],
    stores: dict[str, str] | None,
    *,
    nodes: int,
    server: str,
) -> Summary:
    sandbox = start_sandbox(workdir / label, keys, latency_ms=LATENCY_MS, server=server)
    consoles: list[ChildProcess] = []
    try:
        consoles = _console_nodes(workdir / label, sandbox, keys, stores, nodes)
        summary, cpu = run_load(sandbox, consoles, label)
        print(summary.report(P99_BAR_MS), flush=True)
        print(_cpu_report(cpu, summary), flush=True)
        return summary
    finally:
        for child in (*consoles, sandbox):
            child.stop()


def main() -> None:
    stores = _shared_stores()
    where = "Redis + PostgreSQL" if stores else "files + SQLite (Redis/PostgreSQL not reachable)"
    print(
        f"{OPERATORS} operators × {SECONDS:.0f} s, {THINK[0]:g}–{THINK[1]:g} s between clicks, "
        f"sandbox latency {LATENCY_MS} ms ({SANDBOX_SERVER}), gunicorn gthread 2×8, stores: {where}",
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="bench-load-") as tmp:
        workdir = Path(tmp)
        keys = write_keys(workdir, new_keypair(), new_keypair())
        plan = [("one node", 1, SANDBOX_SERVER), ("two nodes", 2, SANDBOX_SERVER)]
        if not stores:
            print("two-node run skipped: it needs Redis and PostgreSQL on 127.0.0.1", flush=True)
            plan = plan[:1]
        for label, nodes, server in plan:
            _one_setup(workdir, label, keys, stores, nodes=nodes, server=server)


if __name__ == "__main__":
    main()
