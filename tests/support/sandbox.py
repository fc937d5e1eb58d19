"""A running sandbox for tests, and a small driver for its `/_sandbox` controls.

`start_sandbox` runs the sandbox in this interpreter, on a thread. The sandbox binds its database once per
interpreter (webapp/sandbox/db.py), so a test process holds at most one such sandbox: the session `sandbox`.
A second one (e.g. the `documented` profile) runs as a child process: `processes.sandbox_process`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx

from tests.support.keys import KeyPair
from tests.support.servers import LiveServer

MERCHANT = "migo-console"
DEMO_PASSWORD = "Sandbox-Demo-2026!"


class SandboxServer(Protocol):
    """Where a sandbox answers: a `LiveServer` in this process, or a child process (`app` is None there)."""

    @property
    def url(self) -> str: ...

    @property
    def app(self) -> Any: ...

    def stop(self) -> None: ...


@dataclass
class SandboxHandle:
    server: SandboxServer
    signing: KeyPair
    merchant: KeyPair
    merchant_slug: str = MERCHANT
    profile: str = "full"
    """`full` or `documented` (webapp/sandbox/profile.py): what `sandbox_login.operator` signs in against."""
    database_url: str = ""
    """The sandbox's SQLite URL, for tests that read what it seeded."""
    _http: httpx.Client = field(init=False)

    def __post_init__(self) -> None:
        self._http = httpx.Client(base_url=self.server.url, timeout=30)

    @property
    def root(self) -> str:
        return self.server.url

    @property
    def base_url(self) -> str:
        return f"{self.server.url}/cms/rest"

    # -- controls -------------------------------------------------------------------------------
    def control(self, method: str, path: str, **kwargs: Any) -> Any:
        resp = self._http.request(method, f"/_sandbox{path}", **kwargs)
        resp.raise_for_status()
        return resp.json() if resp.content else None

    def set_fault(self, route: str, mode: str, **params: Any) -> None:
        self.control("POST", "/faults", json={"route": route, "mode": mode, **params})

    def clear_faults(self) -> None:
        self.control("DELETE", "/faults")

    def calls(self, route: str | None = None) -> list[dict[str, Any]]:
        params = {"route": route} if route else {}
        return list(self.control("GET", "/calls", params=params)["calls"])

    def clear_calls(self) -> None:
        self.control("DELETE", "/calls")

    def mailbox(self, email: str) -> list[dict[str, Any]]:
        return list(self.control("GET", "/mailbox", params={"email": email})["messages"])

    def latest_otp(self, email: str) -> str:
        messages = [m for m in self.mailbox(email) if m["code"]]  # a lock notice carries no code
        assert messages, f"no OTP mail for {email}"
        return str(messages[0]["code"])

    def set_config(self, **knobs: Any) -> None:
        self.control("POST", "/config", json=knobs)

    def create_user(self, **spec: Any) -> dict[str, Any]:
        return dict(self.control("POST", "/users", json=spec)["user"])

    def close(self) -> None:
        self._http.close()
        self.server.stop()


def start_sandbox(tmp_dir: str, signing: KeyPair, merchant: KeyPair, **overrides: Any) -> SandboxHandle:
    """A seeded sandbox on loopback, in this process; `overrides` are sandbox settings, e.g.
    `SANDBOX_PROFILE="documented"` (one in-process sandbox per interpreter: see the module docstring)."""
    from webapp.sandbox import create_sandbox_app

    config: dict[str, Any] = {
        "SANDBOX_DATABASE_URL": f"sqlite:///{tmp_dir}/sandbox.sqlite3",
        "SANDBOX_SIGNING_KEY_PEM": signing.private_pem,
        "SANDBOX_MERCHANTS": {MERCHANT: merchant.public_pem},
        "SANDBOX_SEED": "demo",
    }
    config.update(overrides)
    app = create_sandbox_app(config)
    return SandboxHandle(
        server=LiveServer(app).start(),
        signing=signing,
        merchant=merchant,
        profile=str(app.config["SANDBOX_PROFILE"]),
        database_url=str(app.config["SANDBOX_DATABASE_URL"]),
    )
