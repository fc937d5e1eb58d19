"""/healthz and /readyz against the running sandbox.

The test client calls from 127.0.0.1 (loopback: the details are shown); `OUTSIDE` is a caller elsewhere."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.console import make_console
from tests.support.sandbox import SandboxHandle
from webapp.store import create_store

OUTSIDE = {"REMOTE_ADDR": "203.0.113.9"}
METRICS_TOKEN = "metrics-" + "t" * 40


def test_healthz_answers_without_any_dependency(sandbox: SandboxHandle, tmp_path: Path) -> None:
    response = make_console(sandbox, tmp_path).test_client().get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}
    assert response.headers["Cache-Control"] == "no-store"


def test_readyz_checks_store_sessions_and_upstream(sandbox: SandboxHandle, tmp_path: Path) -> None:
    response = make_console(sandbox, tmp_path).test_client().get("/readyz")
    body = response.get_json()
    assert response.status_code == 200, body
    assert body["status"] == "ready"
    assert body["environment"] == "sandbox"
    assert {name for name, check in body["checks"].items() if check["ok"]} == {
        "store",
        "sessions",
        "upstream",
    }
    assert (
        body["checks"]["upstream"]["app_token_expires_at"]
        > body["checks"]["upstream"]["app_token_obtained_at"]
    )
    assert "token" not in str(body).replace("app_token_", "")  # status only, never the token itself


def test_readyz_is_503_when_no_app_token_can_be_obtained(clean_faults: SandboxHandle, tmp_path: Path) -> None:
    clean_faults.set_fault("POST /app/auth/login", "status", status=503, code="8026")
    response = make_console(clean_faults, tmp_path).test_client().get("/readyz")
    body = response.get_json()
    assert response.status_code == 503
    assert body["status"] == "unavailable"
    assert body["checks"]["upstream"]["ok"] is False
    assert body["checks"]["store"]["ok"] is True


def test_readyz_is_503_when_the_store_is_gone(sandbox: SandboxHandle, tmp_path: Path) -> None:
    app = make_console(sandbox, tmp_path)
    # The database went away after start-up: nothing listens on port 1.
    app.extensions["store"] = create_store("postgresql+psycopg://console@127.0.0.1:1/gone?connect_timeout=2")
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["store"] == {"ok": False, "error": "OperationalError"}


def test_readyz_tells_an_outside_caller_only_ready_or_not(sandbox: SandboxHandle, tmp_path: Path) -> None:
    client = make_console(sandbox, tmp_path, METRICS_TOKEN=METRICS_TOKEN).test_client()
    response = client.get("/readyz", environ_base=OUTSIDE)
    assert response.status_code == 200
    assert response.get_json() == {"status": "ready"}


@pytest.mark.parametrize("header", ["Bearer wrong", f"Basic {METRICS_TOKEN}", f"Bearer {METRICS_TOKEN}x", ""])
def test_readyz_details_need_the_exact_metrics_token(
    sandbox: SandboxHandle, tmp_path: Path, header: str
) -> None:
    client = make_console(sandbox, tmp_path, METRICS_TOKEN=METRICS_TOKEN).test_client()
    response = client.get("/readyz", environ_base=OUTSIDE, headers={"Authorization": header})
    assert response.get_json() == {"status": "ready"}


def test_readyz_details_for_the_metrics_token(sandbox: SandboxHandle, tmp_path: Path) -> None:
    client = make_console(sandbox, tmp_path, METRICS_TOKEN=METRICS_TOKEN).test_client()
    response = client.get(
        "/readyz", environ_base=OUTSIDE, headers={"Authorization": f"Bearer {METRICS_TOKEN}"}
    )
    body = response.get_json()
    assert body["environment"] == "sandbox"
    assert body["checks"]["sessions"] == {"ok": True, "backend": "cachelib"}
    assert body["checks"]["upstream"]["app_token_expires_at"]


def test_readyz_without_a_metrics_token_keeps_details_for_loopback(
    clean_faults: SandboxHandle, tmp_path: Path
) -> None:
    clean_faults.set_fault("POST /app/auth/login", "status", status=503, code="8026")
    client = make_console(clean_faults, tmp_path).test_client()
    outside = client.get("/readyz", environ_base=OUTSIDE, headers={"Authorization": "Bearer anything"})
    assert outside.status_code == 503
    assert outside.get_json() == {"status": "unavailable"}  # not even which check failed
    assert client.get("/readyz").get_json()["checks"]["upstream"]["ok"] is False
