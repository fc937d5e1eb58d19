"""Signing in to the sandbox the way the console does, for tests that talk to its API directly.

`operator(sandbox, email)` answers an `Operator`: an httpx client on the sandbox's `/cms/rest` base URL that
already carries the app token and the operator's user token. Completing the login OTP leaves the token
elevated for a few minutes; `elevated=False` swaps it (through a refresh) for one that is not, which is what
OTP-guarded tests need.

Against a sandbox in the `documented` profile the login token is usable at once and a verified OTP answers no
tokens (the sandbox elevates the operator server side): `elevated=True` verifies a code, `elevated=False`
skips the OTP step.
"""

from __future__ import annotations

import base64
import time
from dataclasses import dataclass
from typing import Any

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.support.sandbox import DEMO_PASSWORD, SandboxHandle


def _data(resp: httpx.Response) -> Any:
    assert resp.status_code < 300, (
        f"{resp.request.method} {resp.request.url.path} → {resp.status_code} {resp.text}"
    )
    body = resp.json()
    assert body["success"] is True, body
    return body.get("data")


def merchant_signature(private_pem: bytes, merchant: str, timestamp: str) -> str:
    """Standard base64 of the Ed25519 signature of `"<merchant>:<timestamp>"` (ASSUMPTIONS.md §2)."""
    key = serialization.load_pem_private_key(private_pem, password=None)
    assert isinstance(key, Ed25519PrivateKey)
    return base64.b64encode(key.sign(f"{merchant}:{timestamp}".encode())).decode()


def app_token(sandbox: SandboxHandle) -> str:
    """A fresh application access token for the run's merchant."""
    timestamp = str(int(time.time()))
    body = {
        "merchant": sandbox.merchant_slug,
        "timestamp": timestamp,
        "signature": merchant_signature(sandbox.merchant.private_pem, sandbox.merchant_slug, timestamp),
    }
    with httpx.Client(base_url=sandbox.base_url, timeout=30) as http:
        return str(_data(http.post("/app/auth/login", json=body))["accessToken"])


@dataclass
class Operator:
    """A signed-in operator: `http` sends both tokens on every call."""

    sandbox: SandboxHandle
    email: str
    user_id: int
    http: httpx.Client
    refresh_token: str

    def use_user_token(self, access: str, refresh: str) -> None:
        self.http.headers["x-user-token"] = f"Bearer {access}"
        self.refresh_token = refresh

    def elevation_code(self) -> str:
        """Ask for an `elevation` code and read it from the sandbox mailbox (for inline `otp` fields)."""
        _data(self.http.post("/app/users/auth/otp", json={"email": self.email, "purpose": "elevation"}))
        return self.sandbox.latest_otp(self.email)

    def verify_otp(self, purpose: str = "login") -> Any:
        """Request a code, read it from the mailbox and verify it; answers the verify answer's `data`."""
        _data(self.http.post("/app/users/auth/otp", json={"email": self.email, "purpose": purpose}))
        code = self.sandbox.latest_otp(self.email)
        return _data(
            self.http.put("/app/users/auth/otp", json={"email": self.email, "otp": code, "purpose": purpose})
        )

    def drop_elevation(self) -> None:
        """Refresh the user token: the new one is fully signed in but not elevated (`full` profile only:
        the `documented` profile keeps the elevation server side, whatever the token)."""
        assert self.sandbox.profile == "full", "a refresh does not drop a server-side elevation"
        pair = _data(self.http.post("/app/users/refresh", json={"refreshToken": self.refresh_token}))
        self.use_user_token(pair["accessToken"], pair["refreshToken"])

    def close(self) -> None:
        self.http.close()


def operator(
    sandbox: SandboxHandle, email: str, password: str = DEMO_PASSWORD, *, elevated: bool = True
) -> Operator:
    """Sign `email` in: app token, password, login OTP from the mailbox."""
    http = httpx.Client(
        base_url=sandbox.base_url, timeout=30, headers={"Authorization": f"Bearer {app_token(sandbox)}"}
    )
    login = _data(http.post("/app/users/login", json={"email": email, "password": password}))
    signed_in = Operator(
        sandbox=sandbox, email=email, user_id=int(login["id"]), http=http, refresh_token=login["refreshToken"]
    )
    signed_in.use_user_token(login["accessToken"], login["refreshToken"])
    if sandbox.profile == "documented":
        if elevated:
            signed_in.verify_otp()
        return signed_in
    verified = signed_in.verify_otp()
    signed_in.use_user_token(verified["accessToken"], verified["refreshToken"])
    if not elevated:
        signed_in.drop_elevation()
    return signed_in


def new_operator(
    sandbox: SandboxHandle,
    email: str,
    permissions: dict[int, list[str]],
    *,
    elevated: bool = True,
    otp_elevation: bool = True,
) -> Operator:
    """Create a throw-away operator with exactly `permissions` per partner, then sign it in."""
    sandbox.create_user(
        email=email,
        password=DEMO_PASSWORD,
        name=email.split("@")[0],
        partners=sorted(permissions),
        permissions={str(pid): pairs for pid, pairs in permissions.items()},
        otpElevation=otp_elevation,
    )
    return operator(sandbox, email, elevated=elevated)
