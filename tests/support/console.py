"""A console app for tests, wired to the run's sandbox over real loopback HTTP."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flask import Flask
from flask.testing import FlaskClient

from tests.support.sandbox import MERCHANT, SandboxHandle

if TYPE_CHECKING:
    from webapp.access import Operator


def console_config(sandbox: SandboxHandle, tmp_path: Path, **overrides: Any) -> dict[str, Any]:
    """Config for one console instance: the sandbox as upstream, every store under `tmp_path`."""
    instance = Path(tmp_path) / "console-instance"
    instance.mkdir(parents=True, exist_ok=True)
    config: dict[str, Any] = {
        "TESTING": True,
        "SECRET_KEY": secrets.token_urlsafe(48),
        "CONSOLE_ENV": "sandbox",
        "INSTANCE_PATH": str(instance),
        "CMS_BASE_URL": sandbox.base_url,
        "CMS_MERCHANT": MERCHANT,
        "CMS_MERCHANT_KEY_PEM": sandbox.merchant.private_pem,
        "CMS_PUBLIC_KEY_PEM": sandbox.signing.public_pem,
        "SANDBOX_PUBLIC_URL": sandbox.root,
        "DATABASE_URL": f"sqlite:///{instance / 'console.sqlite3'}",
        "REDIS_URL": None,
    }
    config.update(overrides)
    return config


def make_console(
    sandbox: SandboxHandle, tmp_path: Path, *, jobs_worker: bool = False, **overrides: Any
) -> Flask:
    """A fresh console app (its own sessions, store and rate-limit counters); with `jobs_worker`, a worker
    runs its background jobs (a sent upload's follow) until the end of the test."""
    from webapp import create_app

    app = create_app(console_config(sandbox, tmp_path, **overrides))
    if jobs_worker:
        start_jobs_worker(app)
    return app


_WORKERS: list[Any] = []


def start_jobs_worker(app: Flask, threads: int = 2) -> None:
    """huey's consumer on the app's own queue, in this process: what `python -m webapp.jobs` runs (its worker
    and scheduler threads, without the signal handlers a main process sets). Stopped by `stop_jobs_workers`
    after each test (tests/conftest.py); the tests of a killed worker start real processes instead."""
    from huey.consumer import Consumer

    queue = app.extensions["jobs"]
    consumer = Consumer(
        queue.huey, workers=threads, periodic=False, worker_type="thread", initial_delay=0.05, max_delay=0.2
    )
    consumer.scheduler.start()
    for _name, thread in consumer.worker_threads:
        thread.start()
    _WORKERS.append(consumer)


def stop_jobs_workers() -> None:
    while _WORKERS:
        consumer = _WORKERS.pop()
        consumer.stop_flag.set()
        for _name, thread in consumer.worker_threads:
            thread.join(timeout=15)
        consumer.scheduler.join(timeout=5)


ALL_PERMISSIONS = frozenset(
    f"{resource}:{action}"
    for resource, actions in {
        "users": ("list", "detail", "create", "update", "change_status"),
        "cardholders": ("list", "detail", "create", "update", "otp"),
        "cards-admin": ("detail", "activate", "block", "unblock"),
        "bulk-create": ("create",),
        "balance-management": ("list", "create", "cancel"),
        "approvals": ("list", "detail", "update"),
    }.items()
    for action in actions
)


def operator_session(
    client: FlaskClient,
    *,
    partners: dict[int, str] | None = None,
    permissions: dict[int, frozenset[str]] | None = None,
    operator_id: int = 990001,
) -> Operator:
    """Put a signed-in operator straight into the client's server-side session (no upstream tokens).

    For tests of the frame and the gate, which must not depend on the sign-in flow; a view that calls upstream
    with this session ends it (no tokens), exactly as a revoked upstream session would.
    """
    import time

    from webapp.access import Operator, PartnerRef

    partners = partners if partners is not None else {1: "Banco Quetzal"}
    operator = Operator(
        id=operator_id,
        email="frame.tester@demo.migo",
        name="Frame Tester",
        is_admin=False,
        otp_elevation=True,
        partners=tuple(PartnerRef(pid, name) for pid, name in partners.items()),
        permissions=permissions if permissions is not None else dict.fromkeys(partners, ALL_PERMISSIONS),
    )
    with client.session_transaction() as session:
        now = time.time()
        session["operator"] = operator.to_dict()
        session["_user_id"] = operator.get_id()  # what Flask-Login's login_user writes
        session["created_at"] = now
        session["last_seen"] = now
    return operator


def stepped_up(client: FlaskClient) -> None:
    """Record in the client's session a step-up made in the console just now, as if the operator had given a
    code. With the sign-in's upstream elevation still running and `STEP_UP_MAX_AGE` set high in the test's
    console config, the next sensitive actions ask no code: for tests about something else. With the default
    `STEP_UP_MAX_AGE` (0) it changes nothing; the flows that must ask keep their own tests."""
    import time

    with client.session_transaction() as session:
        session["step_up_at"] = time.time()


# For consoles whose tests use `stepped_up`: a step-up counts for an hour.
STEP_UP_FOR_AN_HOUR = {"STEP_UP_MAX_AGE": 3600}
