"""Liveness and readiness for load balancers and `make run`: both public, JSON, never cached.

/healthz answers as long as the process serves requests. /readyz checks what a request needs: the console
store, the session store and the upstream (an app token can be obtained); any failure → 503 so the node
leaves rotation. Anyone learns only "ready" or "unavailable"; which check failed, the session backend, the
environment and the app token's times are for the monitoring (`Authorization: Bearer <METRICS_TOKEN>`) or a
caller on this machine (loopback, as seen after ProxyFix).
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request
from sqlalchemy import text

from webapp.access import public
from webapp.store import current_store
from webapp.upstream import cms

bp = Blueprint("health", __name__)


def _check_store() -> dict[str, Any]:
    with current_store().engine.connect() as connection:
        connection.execute(text("SELECT 1"))
    return {}


def _check_sessions() -> dict[str, Any]:
    """Write, read and delete a probe key through the same backend the sessions use."""
    config = current_app.config
    key = f"{config['SESSION_KEY_PREFIX']}readyz-{secrets.token_hex(8)}"
    if config["SESSION_TYPE"] == "redis":
        client = config["SESSION_REDIS"]
        client.set(key, b"1", ex=10)
        ok = client.get(key) == b"1"
        client.delete(key)
    else:
        cache = config["SESSION_CACHELIB"]
        cache.set(key, "1", timeout=10)
        ok = cache.get(key) == "1"
        cache.delete(key)
    if not ok:
        raise RuntimeError("session store did not return the probe")
    return {"backend": config["SESSION_TYPE"]}


def _check_upstream() -> dict[str, Any]:
    status = cms().app_status()
    return {"app_token_obtained_at": status.obtained_at, "app_token_expires_at": status.expires_at}


CHECKS: dict[str, Callable[[], dict[str, Any]]] = {
    "store": _check_store,
    "sessions": _check_sessions,
    "upstream": _check_upstream,
}


def _is_loopback(address: str | None) -> bool:
    try:
        return ipaddress.ip_address(address or "").is_loopback
    except ValueError:
        return False


def may_see_details() -> bool:
    """The monitoring's bearer token (compared in constant time), or a caller on this machine."""
    expected = str(current_app.config.get("METRICS_TOKEN") or "")
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if expected and scheme.lower() == "bearer":
        return hmac.compare_digest(given.strip().encode(), expected.encode())
    return _is_loopback(request.remote_addr)


@bp.route("/healthz")
@public
def healthz() -> Response:
    return jsonify(status="ok")


@bp.route("/readyz")
@public
def readyz() -> Response:
    results: dict[str, dict[str, Any]] = {}
    for name, check in CHECKS.items():
        try:
            results[name] = {"ok": True, **check()}
        except Exception as exc:  # a readiness probe reports failures, it does not raise them
            results[name] = {"ok": False, "error": type(exc).__name__}
    ready = all(result["ok"] for result in results.values())
    body: dict[str, Any] = {"status": "ready" if ready else "unavailable"}
    if may_see_details():
        body.update(environment=current_app.config.get("CONSOLE_ENV"), checks=results)
    response = jsonify(body)
    response.status_code = 200 if ready else 503
    return response
