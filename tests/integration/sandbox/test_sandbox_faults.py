"""Sandbox controls over real HTTP: fault modes, call log, latency, mailbox, config, odd routes."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest

from tests.support.sandbox import DEMO_PASSWORD, SandboxHandle
from tests.support.sandbox_login import Operator, operator
from webapp.sandbox.faults import FaultBoard

MODULES = "GET /app/modules"


def code_of(resp: httpx.Response) -> str:
    body = resp.json()
    assert body["success"] is False, body
    return str(body["errors"][0]["code"])


@pytest.fixture(scope="module")
def carla(sandbox: SandboxHandle) -> Iterator[Operator]:
    signed_in = operator(sandbox, "carla.auditora@demo.migo")
    yield signed_in
    signed_in.close()


@pytest.fixture
def restore_knobs(sandbox: SandboxHandle) -> Iterator[SandboxHandle]:
    before = sandbox.control("GET", "/config")["config"]
    yield sandbox
    sandbox.set_config(**before)


# -- canned answers -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        ({"status": 500}, 500, "7003"),
        ({"status": 404}, 404, "7010"),
        ({"status": 409, "code": "8020", "message": "Estado inválido"}, 409, "8020"),
    ],
)
def test_status_fault_answers_an_error_envelope(
    clean_faults: SandboxHandle, carla: Operator, params: dict[str, object], status: int, code: str
) -> None:
    clean_faults.set_fault(MODULES, "status", **params)

    resp = carla.http.get("/app/modules")

    assert (resp.status_code, code_of(resp)) == (status, code)
    if "message" in params:
        assert resp.json()["errors"][0]["message"] == params["message"]


@pytest.mark.parametrize(("status", "code"), [(429, "8021"), (503, "8026")])
def test_retry_after_fault_sends_the_header(
    clean_faults: SandboxHandle, carla: Operator, status: int, code: str
) -> None:
    clean_faults.set_fault(MODULES, "retry_after", status=status, value="7")

    resp = carla.http.get("/app/modules")

    assert (resp.status_code, code_of(resp), resp.headers["Retry-After"]) == (status, code, "7")


def test_token_expired_fault_answers_401_8000(clean_faults: SandboxHandle, carla: Operator) -> None:
    clean_faults.set_fault(MODULES, "token_expired")

    resp = carla.http.get("/app/modules")

    assert (resp.status_code, code_of(resp)) == (401, "8000")


def test_malformed_answers(clean_faults: SandboxHandle, carla: Operator) -> None:
    clean_faults.set_fault(MODULES, "badjson", times=1)
    clean_faults.set_fault(MODULES, "html", times=1)
    clean_faults.set_fault(MODULES, "empty", times=1)
    clean_faults.set_fault(MODULES, "success_false", times=1)

    bad, html, empty, false = (carla.http.get("/app/modules") for _ in range(4))

    assert bad.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(bad.text)
    assert html.status_code == 502
    assert html.headers["Content-Type"].startswith("text/html")
    assert "502 Bad Gateway" in html.text
    assert (empty.status_code, empty.content) == (200, b"")
    assert false.status_code == 200
    assert false.json()["success"] is False
    assert carla.http.get("/app/modules").json()["success"] is True  # all four were one-shot


def test_times_limits_a_fault_and_the_pattern_picks_the_route(
    clean_faults: SandboxHandle, carla: Operator
) -> None:
    clean_faults.set_fault("GET /app/partners/*", "status", status=503, times=2)

    partners = carla.http.get("/app/partners")  # does not match the pattern
    hit = [carla.http.get("/app/partners/1").status_code for _ in range(3)]

    assert partners.status_code == 200
    assert hit == [503, 503, 200]


def test_wildcard_fault_hits_every_api_route_but_not_the_controls(
    clean_faults: SandboxHandle, carla: Operator
) -> None:
    clean_faults.set_fault("*", "status", status=500)

    assert carla.http.get("/app/partners").status_code == 500
    assert carla.http.post("/app/users/auth/otp", json={}).status_code == 500
    assert clean_faults.control("GET", "/faults")["faults"][0]["mode"] == "status"


def test_reset_drops_the_connection(clean_faults: SandboxHandle, carla: Operator) -> None:
    clean_faults.set_fault(MODULES, "reset", times=1)

    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError, httpx.ConnectError)):
        carla.http.get("/app/modules")
    assert carla.http.get("/app/modules").status_code == 200


def test_delay_then_the_normal_answer(clean_faults: SandboxHandle, carla: Operator) -> None:
    clean_faults.set_fault(MODULES, "delay", ms=400)

    started = time.monotonic()
    resp = carla.http.get("/app/modules")

    assert time.monotonic() - started >= 0.4
    assert resp.json()["success"] is True


def test_drip_sends_headers_then_the_body_a_byte_at_a_time(
    clean_faults: SandboxHandle, carla: Operator
) -> None:
    clean_faults.set_fault("GET /app/nothing-here", "drip", interval=0.01)

    started = time.monotonic()
    with carla.http.stream("GET", "/app/nothing-here") as resp:
        headers_after = time.monotonic() - started
        chunks = list(resp.iter_raw())
    total = time.monotonic() - started

    body = b"".join(chunks)
    assert resp.status_code == 404
    assert json.loads(body)["errors"][0]["code"] == "7010"
    assert headers_after < total
    assert total >= len(body) * 0.01 * 0.8


def test_sse_faults_wait_for_the_stream_and_leave_other_routes_alone(
    clean_faults: SandboxHandle, carla: Operator
) -> None:
    clean_faults.set_fault("GET /app/modules", "sse_drop", after=2)

    assert carla.http.get("/app/modules").status_code == 200
    assert clean_faults.control("GET", "/faults")["faults"][0]["after"] == 2


def test_the_board_hands_sse_faults_only_to_stream_views() -> None:
    board = FaultBoard(10)
    board.add(
        {"route": "GET /app/partners/*/cardholders/batch/*/progress", "mode": "sse_garbage", "times": 1}
    )
    path = "/app/partners/1/cardholders/batch/bat_1/progress"

    assert board.take("GET", path, sse=False) is None
    fault = board.take("GET", path, sse=True)
    assert fault is not None
    assert fault["mode"] == "sse_garbage"
    assert board.take("GET", path, sse=True) is None


@pytest.mark.parametrize(
    "spec",
    [{"route": "*", "mode": "explode"}, {"mode": "status"}, {"route": "*", "mode": "status", "times": 0}],
)
def test_an_invalid_fault_is_refused(sandbox: SandboxHandle, spec: dict[str, object]) -> None:
    resp = httpx.post(f"{sandbox.root}/_sandbox/faults", json=spec)

    assert resp.status_code == 400


# -- latency, call log, odd routes --------------------------------------------------------------------------


def test_global_latency_applies_to_every_api_call(restore_knobs: SandboxHandle, carla: Operator) -> None:
    restore_knobs.set_config(latency_ms=300)

    started = time.monotonic()
    carla.http.get("/app/partners")

    assert time.monotonic() - started >= 0.3


def test_calls_are_recorded_without_query_values_or_bodies(
    clean_faults: SandboxHandle, carla: Operator
) -> None:
    carla.http.get("/app/partners/1/users", params={"searchText": "secret-value", "page": 1})
    carla.http.post(
        "/app/permissions",
        json={"permissions": [{"resource": "x", "action": "y"}]},
        headers={"Idempotency-Key": "k1"},
    )

    listed = clean_faults.calls("GET /app/partners/*/users")
    posted = clean_faults.calls("POST /app/permissions")

    assert len(listed) == 1
    call = listed[0]
    assert (call["method"], call["path"], call["status"]) == ("GET", "/app/partners/1/users", 200)
    assert call["rule"] == "/app/partners/<int:partner_id>/users"
    assert call["queryKeys"] == ["page", "searchText"]
    assert "secret-value" not in json.dumps(clean_faults.calls())
    assert posted[0]["idempotencyKey"] == "k1"
    assert len(posted[0]["bodySha256"]) == 64
    assert "x-user-token" in call["headers"]


def test_unknown_routes_and_methods_answer_in_the_envelope(sandbox: SandboxHandle) -> None:
    missing = httpx.get(f"{sandbox.base_url}/app/does-not-exist")
    wrong_method = httpx.delete(f"{sandbox.base_url}/app/modules")

    assert (missing.status_code, code_of(missing)) == (404, "7010")
    assert (wrong_method.status_code, code_of(wrong_method)) == (404, "7010")  # like any unknown route
    assert "Allow" not in wrong_method.headers


@pytest.mark.parametrize("value", [" 1", "1 ", "+1", "0", "01x", "2147483648", "99999999999999999999999"])
def test_a_path_id_the_contract_does_not_admit_is_an_unknown_route(
    sandbox: SandboxHandle, value: str
) -> None:
    resp = httpx.get(f"{sandbox.base_url}/app/partners/{value}/balance")

    assert (resp.status_code, code_of(resp)) == (404, "7010")


def test_config_refuses_unknown_knobs_and_answers_previous_values(restore_knobs: SandboxHandle) -> None:
    refused = httpx.post(f"{restore_knobs.root}/_sandbox/config", json={"SANDBOX_SEED": "none"})
    changed = restore_knobs.control("POST", "/config", json={"batch_rows_per_second": 50})

    assert refused.status_code == 400
    assert changed["config"]["SANDBOX_BATCH_ROWS_PER_SECOND"] == 50
    assert changed["previous"] == {"SANDBOX_BATCH_ROWS_PER_SECOND": 200}


# -- mailbox ------------------------------------------------------------------------------------------------


def test_mailbox_json_is_newest_first_and_html_is_escaped(sandbox: SandboxHandle) -> None:
    email = f"<b>mail{uuid.uuid4().hex[:6]}@test.migo"
    sandbox.create_user(email=email, password=DEMO_PASSWORD, partners=[1])
    signed_in = operator(sandbox, email)
    signed_in.elevation_code()

    messages = sandbox.mailbox(email)
    page = httpx.get(f"{sandbox.root}/_sandbox/mailbox", headers={"Accept": "text/html"})
    page_by_path = httpx.get(f"{sandbox.root}/_sandbox/mailbox.html")

    assert [m["purpose"] for m in messages] == ["elevation", "login"]
    assert set(messages[0]) == {"to", "subject", "code", "purpose", "sentAt"}
    assert page.headers["Content-Type"].startswith("text/html")
    assert "<script" not in page.text
    assert "&lt;b&gt;mail" in page.text
    assert "<b>mail" not in page.text
    assert messages[0]["code"] in page.text
    assert "script-src" not in page.headers["Content-Security-Policy"]
    assert page_by_path.text == page.text
    signed_in.close()
