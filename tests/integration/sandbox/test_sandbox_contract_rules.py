"""Request rules the contract states and the sandbox must enforce as they stand (found by the schemathesis
run of `tests/integration/test_contract_fuzz.py`): a value the schema forbids is 400 7000 naming the field,
never accepted and never a 500."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.support.sandbox import SandboxHandle
from tests.support.sandbox_login import Operator, operator

ADMIN = "diego.admin@demo.migo"


@pytest.fixture(scope="module")
def admin(sandbox: SandboxHandle) -> Iterator[Operator]:
    signed_in = operator(sandbox, ADMIN)
    yield signed_in
    signed_in.close()


def refused_fields(resp: httpx.Response) -> dict[str, str]:
    assert resp.status_code == 400, resp.text
    return {item.get("field", ""): item["code"] for item in resp.json()["errors"]}


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        (
            "POST",
            "/app/users/2/permissions",
            {"permissions": [{"permissionId": 1, "partnerId": 1}], "otp": None},
        ),
        (
            "POST",
            "/app/users/2/permissions/revoke",
            {"permissions": [{"permissionId": 1, "partnerId": 1}], "otp": 1},
        ),
        ("PUT", "/app/partners/1/users/2/status", {"status": "active", "otp": None}),
        ("POST", "/app/partners/1/process-requests/1/approve", {"otp": None}),
        ("POST", "/app/partners/1/cardholders/1/close", {"reason": "Fraude", "otp": None}),
    ],
)
def test_an_inline_otp_that_is_not_a_string_is_a_malformed_body(
    admin: Operator, method: str, path: str, body: dict[str, Any]
) -> None:
    assert refused_fields(admin.http.request(method, path, json=body)) == {"otp": "7000"}


@pytest.mark.parametrize("reason", ["", "   ", None, 7, "x" * 201])
@pytest.mark.parametrize("action", ["approve", "reject", "cancel"])
def test_a_sent_reason_must_be_text_that_is_not_blank(admin: Operator, action: str, reason: Any) -> None:
    resp = admin.http.post(f"/app/partners/1/process-requests/1/{action}", json={"reason": reason})
    assert refused_fields(resp) == {"reason": "7000"}


@pytest.mark.parametrize("query", ["to=", "from=", "to=%202024-01-01", "from=2024-01-01%20", "to=2024-02-30"])
def test_a_sent_date_filter_must_be_a_date_as_it_stands(admin: Operator, query: str) -> None:
    resp = admin.http.get(f"/app/partners/1/process-requests?{query}")
    assert refused_fields(resp) == {query.split("=")[0]: "7000"}


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({}, {"body"}),
        ({"nickname": "Majo"}, {"body"}),
        ({"name": ""}, {"name"}),
        ({"name": " Ana"}, {"name"}),
        ({"email": "ana@demo.migo "}, {"email"}),
        ({"email": "ana@demo"}, {"email"}),
        ({"name": "x" * 101, "email": None}, {"name", "email"}),
    ],
)
def test_a_cms_user_update_changes_name_or_email_as_sent(
    admin: Operator, body: dict[str, Any], fields: set[str]
) -> None:
    assert set(refused_fields(admin.http.patch("/app/partners/1/users/2", json=body))) == fields


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"email": ""}, "email"),
        ({"name": ""}, "name"),
        ({"name": "\x1f"}, "name"),
        ({"password": "only-letters-here"}, "password"),
        ({"password": "short1"}, "password"),
        ({"password": "digits-in-another-script-١٢٣"}, "password"),
    ],
)
def test_a_new_cms_user_is_refused_what_the_contract_forbids(
    admin: Operator, changes: dict[str, str], field: str
) -> None:
    body = {
        "email": "nuevo.usuario@demo.migo",
        "name": "Nuevo Usuario",
        "password": "Contrasena-2026",
        **changes,
    }
    assert set(refused_fields(admin.http.post("/app/partners/1/users", json=body))) == {field}


@pytest.mark.parametrize("status", [{}, [], None, "ACTIVE"])
def test_a_status_that_is_not_one_of_the_two_is_400_never_500(admin: Operator, status: Any) -> None:
    resp = admin.http.put("/app/partners/1/users/2/status", json={"status": status})
    assert refused_fields(resp) == {"status": "7000"}


@pytest.mark.parametrize("description", [{}, None, 5, "x" * 301])
def test_a_new_permission_description_must_be_text(admin: Operator, description: Any) -> None:
    body = {"permissions": [{"resource": "reports", "action": "export", "description": description}]}
    assert refused_fields(admin.http.post("/app/permissions", json=body)) == {"description": "7000"}


@pytest.mark.parametrize("merchant", ["\x1f", "   ", "migo console", "migo-console\u3000"])
def test_a_merchant_with_any_whitespace_is_refused(sandbox: SandboxHandle, merchant: str) -> None:
    resp = httpx.post(f"{sandbox.base_url}/app/auth/login", json={"merchant": merchant}, timeout=30)
    assert refused_fields(resp) == {"merchant": "7000"}


def test_an_anonymous_multipart_body_over_the_form_limits_is_401_not_500(sandbox: SandboxHandle) -> None:
    """The call log hashes the body after the route answered; a body the route never read (no token) is parsed
    there first, and werkzeug's part limit used to turn the 401 into a 500."""
    parts = b"".join(
        b'--zz\r\nContent-Disposition: form-data; name="p%d"\r\n\r\nx\r\n' % i for i in range(1200)
    )
    resp = httpx.post(
        f"{sandbox.base_url}/app/partners/1/cardholders/upload",
        content=parts + b"--zz--\r\n",
        headers={"Content-Type": "multipart/form-data; boundary=zz"},
        timeout=30,
    )
    assert resp.status_code == 401
    assert resp.json()["errors"][0]["code"] == "8001"
