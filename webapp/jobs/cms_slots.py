"""CMS calls in flight from jobs: at most JOBS_CMS_CONCURRENCY per worker process and
JOBS_CMS_CONCURRENCY_TOTAL across every worker on every node, so a big audit cannot take the CMS from the
operators' page views.

A shared counter taken and given back around each call would cost two round trips to Redis per CMS call
(20,000 for a 10,000-read audit) and would leak the slots of a worker killed mid-call. Instead each worker
process *leases* a block of slots from a store every worker sees, and hands them to its calls in memory:

* a call takes a slot from the process's lease; when the lease is used up and smaller than the per-worker
  limit, the process asks the store for a block up to that limit (one round trip) and gets what the total
  leaves free; when nothing is free the call waits and asks again a little later;
* a keeper thread renews the lease while it is held (every JOBS_HEARTBEAT_SECONDS), and gives back what is
  not in use (within a second): a worker that stopped calling leaves its slots to the others;
* a lease expires JOBS_STALE_SECONDS after its last renewal, the time after which a worker is held to be
  gone (webapp/jobs/queue.py): a killed worker's slots come back then, with nothing to clean up.

The store follows the queue: Redis (one Lua script per lease change, atomic on the server, expiry judged by
the server's clock) when JOBS_BROKER_URL is set; otherwise a SQLite file in the instance folder beside the
queue's (one machine, `BEGIN IMMEDIATE` per change). Locally the lease is never smaller than the calls in
flight: a lease shrinks in memory before the store hears of it, and grows in the store before memory does.
The one way past the total is a worker paused longer than its lease (its calls still in flight when another
worker takes the expired slots); it is logged.

Slots are granted first come, first served, up to the per-worker limit: a total below workers × limit lets
the first busy workers hold their full share while the others wait for what they give back.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final, Protocol

from flask import Flask

from webapp.jobs.identity import WORKER

log = logging.getLogger(__name__)
SQLITE_FILE: Final = "jobs-cms-slots.sqlite3"
RETRY_SECONDS: Final = 0.05  # between two asks of a worker whose calls wait for a free slot
GIVE_BACK_SECONDS: Final = 1.0  # at most this long an unused slot stays with a worker that stopped calling
_EXTENSION: Final = "jobs_cms_slots"


class LeaseStore(Protocol):
    def lease(self, holder: str, want: int, total: int, ttl: float) -> int:
        """Set `holder`'s lease to as many of `want` slots as the others' live leases leave of `total`, for
        `ttl` seconds (0 wanted: the lease is given back); answers the slots granted."""

    def leases(self) -> dict[str, int]:
        """The live leases by holder (for the tests and the health of the workers)."""


# KEYS: the leases hash (holder → slots) and their expiries (sorted set, ms).
# ARGV: holder, want, total, ttl in ms.
_LEASE_SCRIPT = """
local now = redis.call('TIME')
local ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
for _, gone in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ms)) do
  redis.call('HDEL', KEYS[1], gone)
end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ms)
local others = 0
local held = redis.call('HGETALL', KEYS[1])
for i = 1, #held, 2 do
  if held[i] ~= ARGV[1] then others = others + tonumber(held[i + 1]) end
end
local grant = math.min(tonumber(ARGV[2]), math.max(0, tonumber(ARGV[3]) - others))
if grant > 0 then
  redis.call('HSET', KEYS[1], ARGV[1], grant)
  redis.call('ZADD', KEYS[2], ms + tonumber(ARGV[4]), ARGV[1])
  redis.call('PEXPIRE', KEYS[1], 2 * tonumber(ARGV[4]))
  redis.call('PEXPIRE', KEYS[2], 2 * tonumber(ARGV[4]))
else
  redis.call('HDEL', KEYS[1], ARGV[1])
  redis.call('ZREM', KEYS[2], ARGV[1])
end
return grant
"""


class RedisLeases:
    """Leases on the queue's Redis, under the queue's name (one set of slots per console)."""

    def __init__(self, connection: Any, queue_name: str) -> None:
        self._redis = connection
        self._keys = [f"{queue_name}:cms-slots", f"{queue_name}:cms-slots:expiry"]
        self._script = connection.register_script(_LEASE_SCRIPT)

    def lease(self, holder: str, want: int, total: int, ttl: float) -> int:
        return int(self._script(keys=self._keys, args=[holder, want, total, max(1, int(ttl * 1000))]))

    def leases(self) -> dict[str, int]:
        now_ms = time.time() * 1000
        live = {
            _text(name)
            for name, until in self._redis.zrange(self._keys[1], 0, -1, withscores=True)
            if until > now_ms
        }
        held = self._redis.hgetall(self._keys[0])
        return {_text(name): int(slots) for name, slots in held.items() if _text(name) in live}


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


class SqliteLeases:
    """Leases in a SQLite file of the instance folder: the workers of one machine (the embedded mode)."""

    def __init__(self, path: Path, queue_name: str) -> None:
        self._path = str(path)
        self._queue = queue_name
        with self._connection() as db:
            db.execute(
                "create table if not exists cms_slot_leases (queue text not null, holder text not null,"
                " slots integer not null, expires real not null, primary key (queue, holder))"
            )

    @contextlib.contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self._path, timeout=30, isolation_level=None)
        try:
            db.execute("begin immediate")  # the check and the write as one step, one process at a time
            yield db
            db.execute("commit")
        except BaseException:
            if db.in_transaction:
                db.execute("rollback")
            raise
        finally:
            db.close()

    def lease(self, holder: str, want: int, total: int, ttl: float) -> int:
        now = time.time()
        with self._connection() as db:
            db.execute("delete from cms_slot_leases where queue = ? and expires <= ?", (self._queue, now))
            (others,) = db.execute(
                "select coalesce(sum(slots), 0) from cms_slot_leases where queue = ? and holder != ?",
                (self._queue, holder),
            ).fetchone()
            grant = min(want, max(0, total - int(others)))
            if grant > 0:
                db.execute(
                    "insert into cms_slot_leases (queue, holder, slots, expires) values (?, ?, ?, ?)"
                    " on conflict (queue, holder) do update set slots = excluded.slots,"
                    " expires = excluded.expires",
                    (self._queue, holder, grant, now + ttl),
                )
            else:
                db.execute(
                    "delete from cms_slot_leases where queue = ? and holder = ?", (self._queue, holder)
                )
        return grant

    def leases(self) -> dict[str, int]:
        with self._connection() as db:
            rows = db.execute(
                "select holder, slots from cms_slot_leases where queue = ? and expires > ?",
                (self._queue, time.time()),
            ).fetchall()
        return {str(holder): int(slots) for holder, slots in rows}


class CmsSlots:
    """One worker process's share of the CMS: `slot()` around each call (see the module docstring)."""

    def __init__(
        self, store: LeaseStore, holder: str, *, limit: int, total: int, ttl: float, renew_every: float
    ) -> None:
        self._store, self.holder = store, holder
        self._limit, self._total, self._ttl = limit, total, ttl
        self._renew_every = renew_every
        self._cond = threading.Condition()
        # Every store write goes through this lock and writes what memory holds then, so the lease in the
        # store is never below `_granted`: growth writes the store first, a shrink changes memory first.
        self._store_lock = threading.Lock()
        self._granted = 0  # slots this process may use now
        self._in_use = 0
        self._waiting = 0
        self._growing = False  # one thread asks the store for more at a time; the others wait
        self._next_ask = 0.0
        self._renewed = 0.0
        self._keeper: threading.Thread | None = None

    @contextlib.contextmanager
    def slot(self) -> Iterator[None]:
        self._acquire()
        try:
            yield
        finally:
            with self._cond:
                self._in_use -= 1
                self._cond.notify()

    def in_use(self) -> int:
        with self._cond:
            return self._in_use

    def _acquire(self) -> None:
        with self._cond:
            self._waiting += 1
        try:
            while True:
                with self._cond:
                    if self._in_use < self._granted:
                        self._in_use += 1
                        break
                    ask = (
                        self._granted < min(self._limit, self._total)
                        and not self._growing
                        and time.monotonic() >= self._next_ask
                    )
                    if not ask:
                        self._cond.wait(RETRY_SECONDS)
                        continue
                    self._growing = True
                self._grow()
        finally:
            with self._cond:
                self._waiting -= 1
        self._keep()

    def _grow(self) -> None:
        """Ask the store for a block: as many slots as the per-worker limit allows (one round trip)."""
        try:
            with self._store_lock:
                granted = self._store.lease(self.holder, self._limit, self._total, self._ttl)
                with self._cond:
                    self._granted = granted
                    self._renewed = time.monotonic()
                    if granted < self._limit:
                        self._next_ask = time.monotonic() + RETRY_SECONDS
        finally:
            with self._cond:
                self._growing = False
                self._cond.notify_all()

    def _keep(self) -> None:
        with self._cond:
            if self._keeper is None and self._granted > 0:
                self._keeper = threading.Thread(target=self._keep_lease, name="cms-slots", daemon=True)
                self._keeper.start()

    def _keep_lease(self) -> None:
        """Renew the lease while it is held and give back what is not used; ends when nothing is held."""
        tick = min(GIVE_BACK_SECONDS, self._renew_every)
        while True:
            time.sleep(tick)
            with self._cond:
                demand = self._in_use + self._waiting
                due = demand < self._granted or time.monotonic() - self._renewed >= self._renew_every
                self._granted = min(self._granted, demand)  # in memory first: see `_store_lock`
                finished = self._granted == 0 and not self._growing
                if finished:
                    self._keeper = None  # a later call starts another keeper
            if due:
                self._renew()
            if finished:
                return

    def _renew(self) -> None:
        with self._store_lock:
            with self._cond:
                keep = self._granted
            try:
                granted = self._store.lease(self.holder, keep, self._total, self._ttl)
            except Exception:  # the store is unreachable: the lease may lapse; the next tick tries again
                log.warning("CMS slots: the lease of %s was not renewed", self.holder, exc_info=True)
                return
            with self._cond:
                self._renewed = time.monotonic()
                if granted < keep:
                    log.warning(
                        "CMS slots: the lease of %s had lapsed; %s of %s slots came back, %s calls in flight",
                        self.holder, granted, keep, self._in_use,
                    )  # fmt: skip
                    self._granted = min(self._granted, granted)

    def close(self) -> None:
        """Give the lease back (a worker stopping): its slots go to the others now, not when it lapses."""
        with self._cond:
            held = self._granted > 0
            self._granted = 0
        if not held:
            return
        try:
            with self._store_lock:
                self._store.lease(self.holder, 0, self._total, self._ttl)
        except Exception:  # the store is gone too: the lease lapses after its ttl
            log.info("CMS slots: the lease of %s is left to lapse", self.holder, exc_info=True)


def holder_name(worker: str) -> str:
    """A lease holder: the worker process, and one per app in it (the tests run several apps per process)."""
    return f"{worker}:{uuid.uuid4().hex[:8]}"


def build_store(app: Flask) -> LeaseStore:
    queue = app.extensions["jobs"]
    settings = queue.settings
    if settings.broker_url:
        return RedisLeases(queue.huey.storage.conn, settings.queue_name)
    return SqliteLeases(Path(app.instance_path) / SQLITE_FILE, settings.queue_name)


_lock = threading.Lock()


def of_app(app: Flask) -> CmsSlots:
    """The app's (the worker process's) slots, made on first use from its JOBS_ settings."""
    with _lock:
        found = app.extensions.get(_EXTENSION)
        if found is None:
            settings = app.extensions["jobs"].settings
            found = CmsSlots(
                build_store(app),
                holder_name(WORKER),
                limit=settings.cms_concurrency,
                total=settings.cms_concurrency_total,
                ttl=settings.stale_seconds,
                renew_every=settings.heartbeat_seconds,
            )
            app.extensions[_EXTENSION] = found
            atexit.register(found.close)
        slots: CmsSlots = found
        return slots
