"""The sandbox's `documented` profile over real HTTP: only the documented operations are served, their answers
carry only the documented keys, and an OTP verify elevates the operator server side without new tokens. The
`full` profile (the session `sandbox`) is the contrast: it serves every operation and answers in full."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from flask import Flask
from sqlalchemy import create_engine, insert

from tests.integration.sandbox.test_sandbox_cardholders import cardholder_body, error_code, error_fields
from tests.integration.sandbox.test_sandbox_process_requests import submit
from tests.integration.sandbox.test_sandbox_uploads import as_row, read_stream, upload, workbook
from tests.support.sandbox import DEMO_PASSWORD, SandboxHandle
from tests.support.sandbox_login import Operator, merchant_signature, new_operator
from webapp import devrun
from webapp.cms.contract import load_contract
from webapp.sandbox import profile, seed
from webapp.sandbox.__main__ import _parse as parse_args
from webapp.sandbox.__main__ import build_config
from webapp.sandbox.models import Partner

CONTRACT = load_contract()
HTTP_METHODS = ("get", "put", "post", "delete", "patch")
UNKNOWN_ROUTE = "/app/no-such-operation"
NOT_FOUND_BODY = {
    "success": False,
    "message": "Not found, verify endpoint",
    "errors": [{"code": "7010", "message": "Not found, verify endpoint"}],
}
# Values for the path parameters of every operation: partner 1 is the throw-away operator's; the other ids may
# not exist, which is fine: an operation that is served answers its own error, never the unknown-route one.
PATH_VALUES = {
    "partnerId": "1",
    "clientId": "1",
    "cardholderId": "1",
    "cardId": "1",
    "batchId": "bat_00000000000000000000000000",
    "id": "1",
}


def _operations(source: str) -> list[tuple[str, str, str]]:
    return [
        (item[method]["operationId"], method.upper(), path)
        for path, item in CONTRACT["paths"].items()
        for method in HTTP_METHODS
        if method in item and item[method].get("x-source") == source
    ]


ASSUMED = _operations("assumed")
DOCUMENTED = _operations("documented")


def _email(prefix: str) -> str:
    return f"{prefix}.{uuid.uuid4().hex[:8]}@ops.example"


def _call(op: Operator, method: str, path: str) -> httpx.Response:
    """Send the operation with both tokens and an empty body (bodies are not what is being tested)."""
    url = path.format(cmsUserId=op.user_id, **PATH_VALUES)
    body = {} if method in ("POST", "PUT", "PATCH") else None
    return op.http.request(method, url, json=body)


def _is_unknown_route_answer(resp: httpx.Response) -> bool:
    return resp.status_code == 404 and resp.json() == NOT_FOUND_BODY


@pytest.fixture(scope="module")
def bystander(documented_sandbox: SandboxHandle) -> Iterator[Operator]:
    """Signed in to the documented sandbox with only a list right on partner 1; never verifies an OTP."""
    op = new_operator(documented_sandbox, _email("bystander"), {1: ["cardholders:list"]}, elevated=False)
    yield op
    op.close()


@pytest.fixture(scope="module")
def full_bystander(sandbox: SandboxHandle) -> Iterator[Operator]:
    op = new_operator(sandbox, _email("bystander"), {1: ["cardholders:list"]}, elevated=False)
    yield op
    op.close()


@pytest.fixture
def officer(documented_sandbox: SandboxHandle) -> Iterator[Operator]:
    """Subject to OTP elevation, with the rights of each OTP-guarded documented operation; not verified."""
    perms = ["cardholders:*", "bulk-create:create", "balance-management:*"]
    op = new_operator(documented_sandbox, _email("officer"), {1: perms}, elevated=False)
    yield op
    op.close()


def _app_login(sandbox: SandboxHandle) -> httpx.Response:
    timestamp = str(int(time.time()))
    body = {
        "merchant": sandbox.merchant_slug,
        "timestamp": timestamp,
        "signature": merchant_signature(sandbox.merchant.private_pem, sandbox.merchant_slug, timestamp),
    }
    return httpx.post(f"{sandbox.base_url}/app/auth/login", json=body, timeout=30)


def _user_login(sandbox: SandboxHandle, app_access: str, email: str) -> httpx.Response:
    return httpx.post(
        f"{sandbox.base_url}/app/users/login",
        json={"email": email, "password": DEMO_PASSWORD},
        headers={"Authorization": f"Bearer {app_access}"},
        timeout=30,
    )


def _first_cardholder(op: Operator) -> dict[str, Any]:
    items = op.http.get("/app/partners/1/cardholders", params={"limit": 1}).json()["data"]["items"]
    return dict(items[0])


def _detail(op: Operator, cardholder_id: int, body: dict[str, Any] | None = None) -> dict[str, Any]:
    resp = op.http.post(f"/app/partners/1/cardholders/{cardholder_id}", json=body or {})
    assert resp.status_code == 200, resp.text
    return dict(resp.json()["data"])


# -- which operations are served -----------------------------------------------------------------------------


def test_the_contract_marks_the_nineteen_documented_operations() -> None:
    assert len(DOCUMENTED) == 19
    assert ASSUMED, "the contract marks no assumed operation"


def test_an_unknown_route_answers_404_7010(bystander: Operator) -> None:
    resp = bystander.http.get(UNKNOWN_ROUTE)
    assert resp.status_code == 404
    assert resp.json() == NOT_FOUND_BODY


@pytest.mark.parametrize(("operation", "method", "path"), ASSUMED, ids=[op[0] for op in ASSUMED])
def test_assumed_operations_answer_as_unknown_routes(
    bystander: Operator, operation: str, method: str, path: str
) -> None:
    resp = _call(bystander, method, path)
    unknown = bystander.http.request(method, UNKNOWN_ROUTE)
    assert (resp.status_code, resp.headers["content-type"], resp.content) == (
        unknown.status_code,
        unknown.headers["content-type"],
        unknown.content,
    )
    assert _is_unknown_route_answer(resp), f"{operation}: {resp.status_code} {resp.text}"


@pytest.mark.parametrize(("operation", "method", "path"), ASSUMED, ids=[op[0] for op in ASSUMED])
def test_assumed_operations_are_served_in_the_full_profile(
    full_bystander: Operator, operation: str, method: str, path: str
) -> None:
    resp = _call(full_bystander, method, path)
    assert not _is_unknown_route_answer(resp), f"{operation} is not routed in the full profile"


@pytest.mark.parametrize(("operation", "method", "path"), DOCUMENTED, ids=[op[0] for op in DOCUMENTED])
def test_documented_operations_are_served(
    bystander: Operator, operation: str, method: str, path: str
) -> None:
    resp = _call(bystander, method, path)
    assert not _is_unknown_route_answer(resp), f"{operation} is not served in the documented profile"


def test_sandbox_controls_stay_available(documented_sandbox: SandboxHandle) -> None:
    assert "SANDBOX_ELEVATION_TTL" in documented_sandbox.control("GET", "/config")["config"]
    assert documented_sandbox.calls() is not None


# -- documented answer shapes --------------------------------------------------------------------------------


def test_app_login_and_refresh_answer_only_the_token_pair(documented_sandbox: SandboxHandle) -> None:
    login = _app_login(documented_sandbox)
    assert login.status_code == 200, login.text
    assert set(login.json()) == {"success", "message", "data"}
    assert list(login.json()["data"]) == ["accessToken", "refreshToken"]
    refresh = httpx.post(
        f"{documented_sandbox.base_url}/app/auth/refresh",
        json={"refreshToken": login.json()["data"]["refreshToken"]},
        timeout=30,
    )
    assert refresh.status_code == 200, refresh.text
    assert list(refresh.json()["data"]) == ["accessToken", "refreshToken"]


def test_the_full_profile_answers_more_than_the_token_pair(sandbox: SandboxHandle) -> None:
    """The contrast that shows the trimming is the profile's doing."""
    data = _app_login(sandbox).json()["data"]
    assert set(data) > {"accessToken", "refreshToken"}


def test_user_login_answers_the_documented_session_usable_at_once(documented_sandbox: SandboxHandle) -> None:
    app_access = _app_login(documented_sandbox).json()["data"]["accessToken"]
    email = _email("session")
    user = documented_sandbox.create_user(
        email=email, password=DEMO_PASSWORD, name="Sesión", partners=[1],
        permissions={"1": ["cardholders:list"]}, otpElevation=True,
    )  # fmt: skip
    login = _user_login(documented_sandbox, app_access, email)
    assert login.status_code == 200, login.text
    data = login.json()["data"]
    assert list(data) == ["id", "accessToken", "refreshToken", "email", "name"]
    assert (data["id"], data["email"], data["name"]) == (user["id"], email, "Sesión")
    headers = {"Authorization": f"Bearer {app_access}", "x-user-token": f"Bearer {data['accessToken']}"}
    listed = httpx.get(
        f"{documented_sandbox.base_url}/app/partners/1/cardholders", headers=headers, timeout=30
    )
    assert listed.status_code == 200, listed.text

    refresh = httpx.post(
        f"{documented_sandbox.base_url}/app/users/refresh",
        json={"refreshToken": data["refreshToken"]},
        timeout=30,
    )
    assert refresh.status_code == 200, refresh.text
    assert list(refresh.json()["data"]) == ["accessToken", "refreshToken"]
    headers["x-user-token"] = f"Bearer {refresh.json()['data']['accessToken']}"
    again = httpx.get(
        f"{documented_sandbox.base_url}/app/partners/1/cardholders", headers=headers, timeout=30
    )
    assert again.status_code == 200, again.text


def test_the_full_profile_login_token_waits_for_its_otp(sandbox: SandboxHandle) -> None:
    app_access = _app_login(sandbox).json()["data"]["accessToken"]
    email = _email("session")
    sandbox.create_user(
        email=email,
        password=DEMO_PASSWORD,
        name="Sesión",
        partners=[1],
        permissions={"1": ["cardholders:list"]},
    )
    data = _user_login(sandbox, app_access, email).json()["data"]
    assert data["otpRequired"] is True
    headers = {"Authorization": f"Bearer {app_access}", "x-user-token": f"Bearer {data['accessToken']}"}
    listed = httpx.get(f"{sandbox.base_url}/app/partners/1/cardholders", headers=headers, timeout=30)
    assert (listed.status_code, error_code(listed)) == (403, "8005")


def test_otp_request_answers_no_data_and_mails_a_code(officer: Operator) -> None:
    before = len(officer.sandbox.mailbox(officer.email))
    resp = officer.http.post("/app/users/auth/otp", json={"email": officer.email, "purpose": "login"})
    assert resp.status_code == 200, resp.text
    assert resp.json() == {"success": True, "message": "ok"}
    assert len(officer.sandbox.mailbox(officer.email)) == before + 1


# -- OTP verify: no new tokens, the elevation is kept server side --------------------------------------------


def test_verify_answers_no_tokens_and_keeps_the_session(officer: Operator) -> None:
    officer.http.post("/app/users/auth/otp", json={"email": officer.email, "purpose": "login"})
    code = officer.sandbox.latest_otp(officer.email)
    token_before = officer.http.headers["x-user-token"]
    resp = officer.http.put(
        "/app/users/auth/otp", json={"email": officer.email, "otp": code, "purpose": "login"}
    )
    assert resp.status_code == 200, resp.text
    assert resp.json() == {"success": True, "message": "ok"}
    assert officer.http.get("/app/partners/1/cardholders", params={"limit": 1}).status_code == 200
    assert officer.http.headers["x-user-token"] == token_before
    refreshed = httpx.post(
        f"{officer.sandbox.base_url}/app/users/refresh",
        json={"refreshToken": officer.refresh_token},
        timeout=30,
    )
    assert refreshed.status_code == 200, "the refresh token of the login must still work"


def test_a_wrong_code_is_refused_as_in_the_full_profile(officer: Operator) -> None:
    officer.http.post("/app/users/auth/otp", json={"email": officer.email, "purpose": "login"})
    code = officer.sandbox.latest_otp(officer.email)
    wrong = "000000" if code != "000000" else "111111"
    resp = officer.http.put(
        "/app/users/auth/otp", json={"email": officer.email, "otp": wrong, "purpose": "login"}
    )
    assert (resp.status_code, error_fields(resp)) == (400, {"otp": "8006"})
    holder = _first_cardholder(officer)
    assert _detail(officer, holder["cardholderId"])["piiMasked"] is True


def test_an_unverified_operator_gets_masked_detail_and_is_asked_for_a_code(officer: Operator) -> None:
    holder = _first_cardholder(officer)
    data = _detail(officer, holder["cardholderId"])
    assert data["piiMasked"] is True
    assert data["documentNumber"] != holder["documentNumber"]
    refused = upload(officer, workbook([as_row(cardholder_body(0))]))
    assert (refused.status_code, error_code(refused)) == (403, "8005")
    no_code = submit(officer, otp=None)
    assert (no_code.status_code, error_code(no_code)) == (403, "8005")


def test_verified_otp_elevates_the_existing_token_for_guarded_operations(officer: Operator) -> None:
    holder = _first_cardholder(officer)
    officer.verify_otp()
    data = _detail(officer, holder["cardholderId"])
    assert data["piiMasked"] is False
    assert data["documentNumber"] == holder["documentNumber"]
    accepted = upload(officer, workbook([as_row(cardholder_body(0))]))
    assert accepted.status_code == 200, accepted.text
    created = submit(officer, otp=None)
    assert created.status_code < 300, created.text


def test_the_elevation_is_the_verifying_operators_only(officer: Operator) -> None:
    officer.verify_otp()
    other = new_operator(officer.sandbox, _email("other"), {1: ["cardholders:*"]}, elevated=False)
    try:
        holder = _first_cardholder(other)
        assert _detail(other, holder["cardholderId"])["piiMasked"] is True
        assert _detail(officer, holder["cardholderId"])["piiMasked"] is False
    finally:
        other.close()


def test_the_elevation_ends_after_its_ttl(officer: Operator) -> None:
    sandbox = officer.sandbox
    ttl = int(sandbox.control("GET", "/config")["config"]["SANDBOX_ELEVATION_TTL"])
    holder = _first_cardholder(officer)
    officer.verify_otp()
    assert _detail(officer, holder["cardholderId"])["piiMasked"] is False
    sandbox.set_config(SANDBOX_CLOCK_OFFSET=ttl + 1)
    try:
        assert _detail(officer, holder["cardholderId"])["piiMasked"] is True
    finally:
        sandbox.set_config(SANDBOX_CLOCK_OFFSET=0)


def test_inline_codes_keep_working(officer: Operator) -> None:
    holder = _first_cardholder(officer)
    data = _detail(officer, holder["cardholderId"], {"otp": officer.elevation_code()})
    assert data["piiMasked"] is False
    assert _detail(officer, holder["cardholderId"])["piiMasked"] is True  # an inline code elevates nothing


# -- progress frames -----------------------------------------------------------------------------------------


def test_progress_frames_carry_counters_without_status(documented_sandbox: SandboxHandle) -> None:
    op = new_operator(
        documented_sandbox, _email("bulk"), {1: ["bulk-create:create"]}, elevated=False, otp_elevation=False
    )
    try:
        accepted = upload(op, workbook([as_row(cardholder_body(0)) for _ in range(3)]))
        assert accepted.status_code == 200, accepted.text
        stream, lines, frames = read_stream(op, accepted.json()["data"]["id"])
    finally:
        op.close()
    assert stream.status_code == 200
    assert stream.headers["content-type"].startswith("text/event-stream")
    assert frames, "the stream ended without a frame"
    assert not [line for line in lines if line and not line.startswith("data: ")]
    for frame in frames:
        data = frame.data
        assert next(iter(data)) == "batchId"
        assert {"total", "processed", "succeeded", "failed", "errors"} <= set(data)
        assert "status" not in data
        assert "type" not in data
    last = frames[-1].data
    assert (last["total"], last["processed"], last["succeeded"], last["failed"]) == (3, 3, 0, 3)


# -- settings: the sandbox's own command line and `make run` -------------------------------------------------


def test_an_unknown_profile_is_refused() -> None:
    app = Flask("sandbox-settings")
    app.config["SANDBOX_PROFILE"] = "everything"
    with pytest.raises(ValueError, match="SANDBOX_PROFILE"):
        profile.install(app)


def test_the_profile_needs_every_documented_operation_routed() -> None:
    with pytest.raises(RuntimeError, match="appLogin"):
        profile.routed_operations(Flask("no-routes"), CONTRACT)


def test_the_command_line_takes_the_profile_from_its_option_or_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SANDBOX_PROFILE", raising=False)
    instance = ["--instance", str(tmp_path)]
    assert build_config(parse_args(instance))["SANDBOX_PROFILE"] == "full"
    assert build_config(parse_args([*instance, "--profile", "documented"]))["SANDBOX_PROFILE"] == "documented"
    monkeypatch.setenv("SANDBOX_PROFILE", "documented")
    assert build_config(parse_args(instance))["SANDBOX_PROFILE"] == "documented"
    assert build_config(parse_args([*instance, "--profile", "full"]))["SANDBOX_PROFILE"] == "full"


def test_make_run_reads_the_profile_from_the_environment() -> None:
    assert devrun.sandbox_profile({}) == "full"
    assert devrun.sandbox_profile({"SANDBOX_PROFILE": "documented"}) == "documented"
    with pytest.raises(SystemExit, match="SANDBOX_PROFILE"):
        devrun.sandbox_profile({"SANDBOX_PROFILE": "documentd"})


def test_make_run_gives_the_console_the_seeded_partners(documented_sandbox: SandboxHandle) -> None:
    setting = devrun.partners_setting(documented_sandbox.database_url)
    pairs = [entry.split(":", 1) for entry in setting.split(",")]
    seeded = [[str(spec["partner_id"]), spec["name"]] for spec in seed.PARTNERS]
    assert pairs[: len(seeded)] == seeded


def test_partner_names_cannot_break_the_partners_setting(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'partners.sqlite3'}"
    engine = create_engine(url)
    Partner.__table__.create(engine)
    with engine.begin() as connection:
        connection.execute(
            insert(Partner),
            [
                {"partner_id": 7, "name": "Banco: Uno, S.A.", "legal_name": "x"},
                {"partner_id": 3, "name": "Cooperativa  Altiplano", "legal_name": "y"},
            ],
        )
    engine.dispose()
    assert devrun.partners_setting(url) == "3:Cooperativa Altiplano,7:Banco Uno S.A."
