"""A console app for tests, wired to the run's sandbox over real loopback HTTP."""

from __future__ import annotations

import secrets
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flask import Flask
from flask.testing import FlaskClient

from tests.support.sandbox import MERCHANT, SandboxHandle

if TYPE_CHECKING:
    from webapp.access import Operator


class StoreTemplate:
    """A console store migrated once per test session and copied into each console's instance folder: every
    console still has a database of its own, and the Alembic upgrade (webapp/store/__init__.py) runs once.
    `tests/conftest.py` points it at a session folder; until then (e.g. in a child process) each console
    migrates its own store at start-up as before."""

    def __init__(self) -> None:
        self.directory: Path | None = None
        self._built: Path | None = None

    def path(self) -> Path | None:
        if self.directory is None:
            return None
        if self._built is None:
            from webapp.store import create_store, migrate

            database = self.directory / "console.sqlite3"
            store = create_store(f"sqlite:///{database}")
            migrate(store.engine)
            store.engine.dispose()
            self._built = database
        return self._built

    def seed(self, config: dict[str, Any], database: Path) -> None:
        """Give the console in `config` a copy of the migrated store when it uses the default file at
        `database`; a console with another database, or told whether to migrate, migrates as configured."""
        if config["DATABASE_URL"] != f"sqlite:///{database}" or "STORE_MIGRATE_ON_START" in config:
            return
        template = self.path()
        if template is None:
            return
        if not database.exists():  # a second console on the same folder shares the first one's store
            shutil.copyfile(template, database)
        config["STORE_MIGRATE_ON_START"] = False


STORE_TEMPLATE = StoreTemplate()


def marked_settings(node: Any) -> dict[str, Any]:
    """The settings of every `console` marker on a test item, its class and its module (the nearest wins)."""
    settings: dict[str, Any] = {}
    for marker in reversed(list(node.iter_markers("console"))):
        settings.update(marker.kwargs)
    return settings


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
    STORE_TEMPLATE.seed(config, instance / "console.sqlite3")
    return config


def make_console(sandbox: SandboxHandle, tmp_path: Path, **overrides: Any) -> Flask:
    """A fresh console app (its own sessions, store and rate-limit counters)."""
    from webapp import create_app

    return create_app(console_config(sandbox, tmp_path, **overrides))


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
