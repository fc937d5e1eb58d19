"""A stand-in jobs worker process for the CMS-slot tests (tests/integration/console/test_cms_slots.py).

`python -m tests.support.cms_slot_worker STORE QUEUE --limit N --total N --url URL --calls N --threads N`
makes `calls` real HTTP calls to `url` from `threads` threads, each inside one of its `CmsSlots`
(webapp/jobs/cms_slots.py), leased from STORE (`sqlite:<path>` or `redis://…`), and says `done` (with
`--go` it first says `ready` and waits for a `go` line, so two workers start together). With
`--hold`, it takes every slot it can, says `holding N` and waits to be killed (a worker dying mid-calls).
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

import httpx

from webapp.jobs.cms_slots import CmsSlots, LeaseStore, RedisLeases, SqliteLeases


def store_of(spec: str, queue: str) -> LeaseStore:
    if spec.startswith("sqlite:"):
        return SqliteLeases(Path(spec.removeprefix("sqlite:")), queue)
    import redis

    return RedisLeases(redis.Redis.from_url(spec), queue)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("store")
    parser.add_argument("queue")
    parser.add_argument("--limit", type=int, required=True)
    parser.add_argument("--total", type=int, required=True)
    parser.add_argument("--ttl", type=float, default=30.0)
    parser.add_argument("--url", default="")
    parser.add_argument("--calls", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--hold", action="store_true")
    parser.add_argument("--go", action="store_true", help="say `ready`, then start on a `go` line")
    args = parser.parse_args()
    name = f"worker-{os.getpid()}"
    slots = CmsSlots(
        store_of(args.store, args.queue),
        name,
        limit=args.limit,
        total=args.total,
        ttl=args.ttl,
        renew_every=0.2,
    )
    if args.hold:
        with ExitStack() as held:
            for _ in range(args.limit):
                held.enter_context(slots.slot())
            print(f"holding {slots.in_use()}", flush=True)
            threading.Event().wait()
    if args.go:
        print("ready", flush=True)
        sys.stdin.readline()
    with httpx.Client(base_url=args.url, headers={"X-Worker": name}, timeout=30) as http:

        def call(_n: int) -> None:
            with slots.slot():
                http.get("/call").raise_for_status()

        with ThreadPoolExecutor(args.threads) as pool:
            list(pool.map(call, range(args.calls)))
    print("done", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
