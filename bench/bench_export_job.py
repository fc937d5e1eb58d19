"""Cardholder export job: 200,000 cardholders as CSV and as XLSX, time, rows/s and the worker's extra memory.

Bar (issue 17, README "Background jobs"): the export completes with at most 150 MB extra memory per worker.

A seeded sandbox (gunicorn), a console (gunicorn) and, for each format, a fresh jobs worker
(`python -m webapp.jobs`, one thread) run as separate processes on loopback, sharing the console's instance
folder as in production; an operator signs in through the real pages and presses the export button.

Memory is the worker process's peak resident set growth: VmHWM (the kernel's high-water mark of its RSS, what
`ru_maxrss` reports from inside) read from /proc after the job, minus VmRSS read while the worker sat idle
before the job was asked for. RSS rather than tracemalloc: tracemalloc sees only Python's own allocations,
not the C side (SQLite, TLS and zlib buffers, the allocator's fragmentation), and what a worker may cost the
machine is what the kernel counts. /proc is read from outside, so the worker runs unchanged.

Seeding: the sandbox seeds its demo programme (2,400 cardholders on partner 1) at start; the rest up to
200,000 is one INSERT … SELECT over a recursive counter straight into the sandbox's SQLite file (unique
e-mails and documents made from the counter), which takes about a second; through the sandbox's API or its
Python seed module (Faker-like rows, one at a time) it would take minutes.
"""

from __future__ import annotations

import io
import re
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
from python_calamine import CalamineWorkbook

from bench.console_sign_in import add_operator, csrf, sign_in
from tests.support.keys import new_keypair
from tests.support.processes import ROOT, console_environment, start_console, start_sandbox, write_keys

PARTNER = 1
ROWS = 200_000
MEMORY_BAR_MB = 150.0
JOB_SECONDS_MAX = 1800
_JOB = re.compile(r'data-job-id="(\d+)"')
_STATE = re.compile(r'data-state="(\w+)"')


def seed(database: Path, rows: int) -> tuple[int, float]:
    """Top partner PARTNER up to `rows` cardholders; answers how many were added and the seconds it took."""
    started = time.perf_counter()
    with sqlite3.connect(database, timeout=30) as db:
        (have,) = db.execute("SELECT count(*) FROM cardholders WHERE partner_id = ?", (PARTNER,)).fetchone()
        (top,) = db.execute("SELECT coalesce(max(id), 0) FROM cardholders").fetchone()
        missing = max(0, rows - int(have))
        db.execute(
            """
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
            INSERT INTO cardholders (
                id, partner_id, name, last_name, address, country_of_birth, date_of_birth, marital_status,
                gender, phone_number, email, document_type, document_number, status, created_at, updated_at
            )
            SELECT ? + i, ?, 'Ana ' || i, 'Pérez', 'Zona ' || (i % 25), 'GT', '1990-01-01', 'soltero', 'F',
                   printf('+5025%07d', i), 'bench' || i || '@bench.test', 'dpi', printf('9%012d', i),
                   CASE WHEN i % 25 = 0 THEN 'inactive' ELSE 'active' END,
                   datetime('2024-01-01', '+' || i || ' seconds'),
                   datetime('2024-01-01', '+' || i || ' seconds')
            FROM n
            """,
            (missing, int(top), PARTNER),
        )
    return missing, time.perf_counter() - started


def _status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} for process {pid}")


def _export(http: httpx.Client, env: dict[str, str], workdir: Path, fmt: str) -> None:
    log_path = workdir / f"worker-{fmt}.log"
    with log_path.open("wb") as log:
        worker = subprocess.Popen(
            [sys.executable, "-m", "webapp.jobs", "--workers", "1", "--no-periodic"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        time.sleep(4)  # started, app built, idle: the baseline
        if worker.poll() is not None:
            raise RuntimeError("the worker stopped:\n" + log_path.read_text(errors="replace")[-2000:])
        baseline_kb = _status_kb(worker.pid, "VmRSS")
        page = http.get(f"/p/{PARTNER}/cardholders/")
        started = time.perf_counter()
        answer = http.post(
            f"/p/{PARTNER}/cardholders/export",
            data={"format": fmt, "csrf_token": csrf(page.text)},
            headers={"HX-Request": "true"},
        )
        answer.raise_for_status()
        found = _JOB.search(answer.text)
        if found is None:
            raise RuntimeError("the export did not answer with a job panel")
        job_id = int(found.group(1))
        state = "queued"
        while time.perf_counter() - started < JOB_SECONDS_MAX:
            panel = http.get(f"/p/{PARTNER}/jobs/{job_id}/panel", headers={"HX-Request": "true"}).text
            shown = _STATE.search(panel)
            state = shown.group(1) if shown else "?"
            if state in ("done", "failed"):
                break
            time.sleep(0.25)
        seconds = time.perf_counter() - started
        peak_kb = _status_kb(worker.pid, "VmHWM")
        if state != "done":
            raise RuntimeError(f"the {fmt} export ended {state}:\n{panel}")
        download = http.get(f"/p/{PARTNER}/jobs/{job_id}/download")
        download.raise_for_status()
        size = len(download.content)
        if fmt == "csv":
            written = download.content.count(b"\r\n") - 1  # less the header line
        else:
            book = CalamineWorkbook.from_filelike(io.BytesIO(download.content))
            written = sum(1 for _ in book.get_sheet_by_index(0).iter_rows()) - 1
        if written != ROWS:
            raise RuntimeError(f"the {fmt} file has {written:,} rows, not {ROWS:,}")
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    extra_mb = (peak_kb - baseline_kb) / 1024
    verdict = "within" if extra_mb <= MEMORY_BAR_MB else "OVER"
    print(
        f"{fmt.upper():4} {written:,} rows in {seconds:.1f} s = {written / seconds:,.0f} rows/s, "
        f"file {size / 1e6:.1f} MB; worker RSS {baseline_kb / 1024:.0f} MB idle, "
        f"peak {peak_kb / 1024:.0f} MB: +{extra_mb:.1f} MB — {verdict} the bar of {MEMORY_BAR_MB:g} MB "
        f"({extra_mb / MEMORY_BAR_MB:.0%} of it)",
        flush=True,
    )


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-export-") as tmp:
        workdir = Path(tmp)
        keys = write_keys(workdir, new_keypair(), new_keypair())
        sandbox = start_sandbox(workdir, keys, server="gunicorn")
        console = None
        try:
            added, seconds = seed(workdir / "sandbox-instance" / "sandbox.sqlite3", ROWS)
            print(f"seeded {added:,} cardholders (partner {PARTNER} now has {ROWS:,}) in {seconds:.1f} s")
            env = console_environment(
                sandbox.url, keys, workdir / "console", LOGIN_RATE_LIMIT="1000 per minute"
            )
            console = start_console(workdir, "console", env, workers=1, threads=4)
            email = f"bench-{uuid.uuid4().hex[:8]}@test.migo"
            control = httpx.Client(base_url=f"{sandbox.url}/_sandbox", timeout=30)
            add_operator(control, email, PARTNER, ["cardholders:list", "cardholders:detail"])
            with httpx.Client(base_url=console.url, timeout=60) as http:
                sign_in(http, control, email)
                for fmt in ("csv", "xlsx"):
                    _export(http, env, workdir, fmt)
        finally:
            if console is not None:
                console.stop()
            sandbox.stop()


if __name__ == "__main__":
    main()
