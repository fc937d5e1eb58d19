"""A throw-away operator in the benchmark's sandbox, signed in to the console through its real pages."""

from __future__ import annotations

import re
from collections.abc import Sequence

import httpx

PASSWORD = "Bench-Pass-2026!"  # noqa: S105 - a throw-away sandbox operator
_CSRF = re.compile(r'name="csrf_token"[^>]*?value="([^"]+)"')


def csrf(html: str) -> str:
    found = _CSRF.search(html)
    if found is None:
        raise RuntimeError("no CSRF token on the page")
    return found.group(1)


def add_operator(control: httpx.Client, email: str, partner: int, permissions: Sequence[str]) -> None:
    """The operator, created through the sandbox's control API (`control` is based at /_sandbox)."""
    control.post(
        "/users",
        json={
            "email": email,
            "password": PASSWORD,
            "partners": [partner],
            "permissions": {str(partner): list(permissions)},
        },
    ).raise_for_status()


def sign_in(http: httpx.Client, control: httpx.Client, email: str) -> None:
    """Password, then the code the sandbox mailed (read from its mailbox)."""
    form = csrf(http.get("/auth/login").text)
    http.post("/auth/login", data={"email": email, "password": PASSWORD, "csrf_token": form})
    code = str(control.get("/mailbox", params={"email": email}).json()["messages"][0]["code"])
    form = csrf(http.get("/auth/otp").text)
    done = http.post("/auth/otp", data={"otp": code, "csrf_token": form})
    if done.status_code not in (302, 303):
        raise RuntimeError(f"sign-in failed: HTTP {done.status_code}")
