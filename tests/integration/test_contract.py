"""The contract test: the running sandbox answers every operation of `openapi.yaml` as the document says.

Each operation of the document has one scenario below: a happy path and one or two error paths. Every call
goes through `ContractClient.call`, which finds the operation by `operationId`, sends it over loopback HTTP
and checks the answer against the document: the status is declared, the body validates (JSON Schema 2020-12
against the resolved schema), required headers are present and the error codes are those listed for that
status. A separate test walks the sandbox's URL map so that neither the routes nor the document can drift.
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import re
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import xlsxwriter
from flask import Flask
from jsonschema import Draft202012Validator

from tests.support.sandbox import DEMO_PASSWORD, SandboxHandle
from tests.support.sandbox_login import merchant_signature
from webapp.cms.contract import load_contract

CONTRACT = load_contract()
API_PREFIX = "/cms/rest"
HTTP_METHODS = ("get", "put", "post", "delete", "patch")
PARTNER = 1
OTHER_PARTNER = 2
ADMIN_EMAIL = "diego.admin@demo.migo"
LOCKED_EMAIL = "fernando.bloqueado@demo.migo"
CARDHOLDER_COLUMNS = [
    "name",
    "lastName",
    "address",
    "countryOfBirth",
    "dateOfBirth",
    "maritalStatus",
    "gender",
    "phoneNumber",
    "email",
    "documentType",
    "documentNumber",
    "cardId",
]
CARD_COLUMNS = ["documentType", "documentNumber", "cardId"]
TERMINAL = {"completed", "failed"}
# The smallest files the sandbox recognises by their magic bytes.
PDF_BYTES = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40
CSV_BYTES = b"name,lastName\nAna,Lopez\n"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# -- the document, resolved ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Operation:
    operation_id: str
    method: str
    path: str
    spec: dict[str, Any]


def _operations(doc: dict[str, Any]) -> dict[str, Operation]:
    found: dict[str, Operation] = {}
    for path, item in doc["paths"].items():
        for method in HTTP_METHODS:
            if method in item:
                op_id = item[method]["operationId"]
                found[op_id] = Operation(op_id, method.upper(), path, item[method])
    return found


OPERATIONS = _operations(CONTRACT)


def resolve_refs(node: Any, doc: dict[str, Any] = CONTRACT) -> Any:
    """A copy of `node` with every local `$ref` replaced by its target (the document has no cycles).

    Keywords beside a `$ref` (such as `x-source`) are kept; they never conflict with the target's.
    """
    if isinstance(node, list):
        return [resolve_refs(item, doc) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" not in node:
        return {key: resolve_refs(value, doc) for key, value in node.items()}
    ref = node["$ref"]
    if not ref.startswith("#/components/"):
        raise ValueError(f"only references into #/components are expected: {ref}")
    target: Any = doc
    for part in ref[2:].split("/"):
        target = target[part]
    resolved = resolve_refs(target, doc)
    siblings = {key: resolve_refs(value, doc) for key, value in node.items() if key != "$ref"}
    return {**resolved, **siblings}


def validate_instance(instance: Any, schema: dict[str, Any]) -> None:
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    problems = sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))
    assert not problems, "\n".join(
        f"{'/'.join(map(str, p.absolute_path)) or '<root>'}: {p.message}" for p in problems[:10]
    )


def progress_frame_schema() -> dict[str, Any]:
    op = OPERATIONS["streamBatchProgress"]
    media = op.spec["responses"]["200"]["content"]["text/event-stream"]
    return dict(resolve_refs(media["x-sse-frame"]))


# -- calls checked against the document ---------------------------------------------------------------------


@dataclass
class Tokens:
    app: str
    user: str | None = None
    user_refresh: str | None = None

    def headers(self) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.app}"}
        if self.user is not None:
            headers["x-user-token"] = f"Bearer {self.user}"
        return headers


def check_response(op: Operation, resp: httpx.Response) -> None:
    """Status declared, media type declared, required headers present, body valid, error codes listed."""
    status = str(resp.status_code)
    assert status in op.spec["responses"], f"{op.operation_id}: status {status} is not declared"
    declared = resolve_refs(op.spec["responses"][status])
    for name, header in declared.get("headers", {}).items():
        if header.get("required"):
            assert name in resp.headers, f"{op.operation_id}: header {name} missing"
        if name in resp.headers:
            value: Any = resp.headers[name]
            if header["schema"].get("type") == "integer":
                assert value.isdigit(), f"{op.operation_id}: {name}={value!r}"
                value = int(value)
            validate_instance(value, header["schema"])
    media_type = resp.headers.get("content-type", "").split(";")[0].strip()
    content = declared.get("content", {})
    assert media_type in content, f"{op.operation_id}: {media_type!r} is not among {sorted(content)}"
    if media_type != "application/json":
        return
    body = resp.json()
    validate_instance(body, content[media_type]["schema"])
    if resp.status_code >= 400:
        listed = set(op.spec["x-error-codes"][status])
        sent = {item["code"] for item in body["errors"]}
        assert sent <= listed, f"{op.operation_id}: codes {sent - listed} are not listed for {status}"


@dataclass
class ContractClient:
    """Sends operations by `operationId`; every answer is checked against the document and remembered."""

    http: httpx.Client
    seen: dict[str, set[int]] = field(default_factory=dict)

    def url(self, operation_id: str, path: dict[str, Any] | None) -> str:
        return OPERATIONS[operation_id].path.format(**(path or {}))

    def call(
        self,
        operation_id: str,
        expect: int,
        *,
        tokens: Tokens | None = None,
        path: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        op = OPERATIONS[operation_id]
        sent = {**(tokens.headers() if tokens else {}), **(headers or {})}
        resp = self.http.request(op.method, self.url(operation_id, path), headers=sent, **kwargs)
        assert resp.status_code == expect, f"{operation_id}: {resp.status_code} {resp.text[:400]}"
        check_response(op, resp)
        self.seen.setdefault(operation_id, set()).add(resp.status_code)
        return resp

    def data(self, operation_id: str, expect: int = 200, **kwargs: Any) -> Any:
        return self.call(operation_id, expect, **kwargs).json()["data"]

    def error_codes(self, operation_id: str, expect: int, **kwargs: Any) -> list[str]:
        return [item["code"] for item in self.call(operation_id, expect, **kwargs).json()["errors"]]

    @contextlib.contextmanager
    def stream(self, operation_id: str, *, tokens: Tokens, path: dict[str, Any]) -> Iterator[httpx.Response]:
        """An open event stream whose status, media type and headers have been checked."""
        op = OPERATIONS[operation_id]
        headers = {**tokens.headers(), "Accept": "text/event-stream"}
        with self.http.stream(op.method, self.url(operation_id, path), headers=headers) as resp:
            assert resp.status_code == 200, f"{operation_id}: {resp.status_code}"
            declared = resolve_refs(op.spec["responses"]["200"])
            media_type = resp.headers.get("content-type", "").split(";")[0].strip()
            assert media_type in declared["content"]
            self.seen.setdefault(operation_id, set()).add(resp.status_code)
            yield resp


def read_frames(resp: httpx.Response) -> list[dict[str, Any]]:
    """Every `data:` frame until the server closes the stream; refuses `event:`/`id:` lines."""
    frames: list[dict[str, Any]] = []
    for line in resp.iter_lines():
        assert not line.startswith(("event:", "id:")), line
        if line.startswith("data:"):
            frames.append(json.loads(line[len("data:") :].strip()))
    return frames


# -- the world the scenarios share --------------------------------------------------------------------------


@dataclass
class Operator:
    email: str
    id: int
    tokens: Tokens


@dataclass
class World:
    api: ContractClient
    sandbox: SandboxHandle
    app: Tokens
    admin: Operator  # diego.admin: every permission on partners 1-3, subject to OTP elevation
    plain: Tokens  # diego.admin fully signed in but not elevated: OTP-guarded calls need an inline code
    limited: Operator  # assigned to partner 1 only, without any permission
    approver: Operator  # approvals and balance reading on partner 1, not subject to OTP elevation

    def inline_otp(self) -> str:
        """A fresh `elevation` code for diego.admin, to send inline with the `plain` token."""
        self.api.call(
            "requestOtp", 200, tokens=self.plain, json={"email": ADMIN_EMAIL, "purpose": "elevation"}
        )
        return self.sandbox.latest_otp(ADMIN_EMAIL)


def signed_app_login(sandbox: SandboxHandle) -> dict[str, str]:
    """The assumed merchant login body: Ed25519 over "<merchant>:<timestamp>", standard base64."""
    timestamp = str(int(time.time()))
    slug = sandbox.merchant_slug
    return {
        "merchant": slug,
        "timestamp": timestamp,
        "signature": merchant_signature(sandbox.merchant.private_pem, slug, timestamp),
    }


def app_tokens(api: ContractClient, sandbox: SandboxHandle) -> Tokens:
    pair = api.data("appLogin", json=signed_app_login(sandbox))
    return Tokens(app=pair["accessToken"])


def sign_in(api: ContractClient, sandbox: SandboxHandle, app: Tokens, email: str) -> Operator:
    """Password, then the login OTP from the sandbox mailbox: a fully signed-in, elevated operator.

    Not `tests.support.sandbox_login.operator`: these steps are operations under test, so each goes through
    the contract checks.
    """
    session = api.data("userLogin", tokens=app, json={"email": email, "password": DEMO_PASSWORD})
    pending = Tokens(app=app.app, user=session["accessToken"])
    api.call("requestOtp", 200, tokens=pending, json={"email": email, "purpose": "login"})
    code = sandbox.latest_otp(email)
    elevated = api.data("verifyOtp", tokens=pending, json={"email": email, "otp": code, "purpose": "login"})
    tokens = Tokens(app=app.app, user=elevated["accessToken"], user_refresh=elevated["refreshToken"])
    return Operator(email=email, id=int(session["id"]), tokens=tokens)


def make_operator(sandbox: SandboxHandle, **spec: Any) -> str:
    email = f"contract-{secrets.token_hex(5)}@demo.migo"
    sandbox.create_user(email=email, password=DEMO_PASSWORD, **spec)
    return email


@pytest.fixture(scope="module")
def world(sandbox: SandboxHandle) -> Iterator[World]:
    with httpx.Client(base_url=sandbox.base_url, timeout=30) as http:
        api = ContractClient(http)
        app = app_tokens(api, sandbox)
        admin = sign_in(api, sandbox, app, ADMIN_EMAIL)
        refreshed = api.data("userRefresh", tokens=app, json={"refreshToken": admin.tokens.user_refresh})
        plain = Tokens(app=app.app, user=refreshed["accessToken"], user_refresh=refreshed["refreshToken"])
        limited_email = make_operator(sandbox, partners=[PARTNER], otpElevation=False)
        approver_email = make_operator(
            sandbox,
            partners=[PARTNER],
            permissions={str(PARTNER): ["approvals:*", "balance-management:list"]},
            otpElevation=False,
        )
        yield World(
            api=api,
            sandbox=sandbox,
            app=app,
            admin=admin,
            plain=plain,
            limited=sign_in(api, sandbox, app, limited_email),
            approver=sign_in(api, sandbox, app, approver_email),
        )


# -- builders ------------------------------------------------------------------------------------------------


def free_card_ids(w: World, count: int) -> list[int]:
    page = w.api.data(
        "listPartnerCards",
        tokens=w.admin.tokens,
        path={"partnerId": PARTNER},
        params={"assigned": "false", "limit": count},
    )
    ids = [int(card["cardId"]) for card in page["items"]]
    assert len(ids) == count, "the demo partner has run out of free cards"
    return ids


def new_cardholder_fields(card_id: int) -> dict[str, Any]:
    tag = secrets.token_hex(4)
    return {
        "name": "Ana",
        "lastName": f"Contrato {tag}",
        "address": "5a Avenida 10-20, Zona 1",
        "countryOfBirth": "GT",
        "dateOfBirth": "1992-08-30",
        "maritalStatus": "casado",
        "gender": "F",
        "phoneNumber": f"5025{secrets.randbelow(10**7):07d}",
        "email": f"ana.{tag}@example.com",
        "documentType": "DPI",
        "documentNumber": f"{secrets.randbelow(10**13):013d}",
        "cardId": card_id,
    }


def make_cardholder(w: World) -> dict[str, Any]:
    body = new_cardholder_fields(free_card_ids(w, 1)[0])
    created: dict[str, Any] = w.api.data(
        "createCardholder", 201, tokens=w.admin.tokens, path={"partnerId": PARTNER}, json=body
    )
    return created


def workbook(header: list[str], rows: list[list[Any]]) -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet()
    for index, row in enumerate([header, *rows]):
        sheet.write_row(index, 0, row)
    book.close()
    return buffer.getvalue()


def cardholder_rows(card_ids: list[int]) -> list[list[Any]]:
    return [[new_cardholder_fields(card_id)[name] for name in CARDHOLDER_COLUMNS] for card_id in card_ids]


def upload_cardholders(w: World, rows: list[list[Any]]) -> str:
    files = {"users": ("cardholders.xlsx", workbook(CARDHOLDER_COLUMNS, rows), XLSX_TYPE)}
    data = w.api.data(
        "uploadCardholders",
        tokens=w.plain,
        path={"partnerId": PARTNER},
        files=files,
        data={"otp": w.inline_otp()},
    )
    return str(data["id"])


def wait_for_batch(w: World, batch_id: str) -> dict[str, Any]:
    """The batch once terminal, followed on its progress stream (no polling, no sleeping)."""
    with w.api.stream(
        "streamBatchProgress", tokens=w.admin.tokens, path={"partnerId": PARTNER, "batchId": batch_id}
    ) as resp:
        frames = read_frames(resp)
    assert frames[-1]["status"] in TERMINAL
    batch: dict[str, Any] = w.api.data(
        "getBatch", tokens=w.admin.tokens, path={"partnerId": PARTNER, "batchId": batch_id}
    )
    return batch


def make_process_request(w: World, *, evidence: tuple[str, bytes, str] | None = None) -> dict[str, Any]:
    upload = evidence or ("evidence.pdf", PDF_BYTES, "application/pdf")
    created: dict[str, Any] = w.api.data(
        "createProcessRequest",
        201,
        tokens=w.plain,
        path={"partnerId": PARTNER},
        data={"requestedAmount": "150.25", "observations": "Contract test", "otp": w.inline_otp()},
        files={"evidence": upload},
    )
    return created


def permission_id_of(permissions: dict[str, Any], resource: str, action: str) -> int:
    """The id of `resource:action` in a `UserPermissions` answer."""
    found = [
        p["permissionId"]
        for p in permissions["permissions"]
        if (p["resource"], p["action"]) == (resource, action)
    ]
    assert found, f"{resource}:{action} is not among the permissions"
    return int(found[0])


def pr_path(request_id: int) -> dict[str, Any]:
    return {"partnerId": PARTNER, "id": request_id}


# -- scenarios, one per operation ----------------------------------------------------------------------------


def s_app_login(w: World) -> None:
    pair = w.api.data("appLogin", json=signed_app_login(w.sandbox))
    assert pair["expirationRefreshToken"] > pair["expirationToken"]
    forged = {**signed_app_login(w.sandbox), "signature": base64.b64encode(b"\x00" * 64).decode()}
    assert w.api.error_codes("appLogin", 401, json=forged) == ["8008"]
    plain = w.api.data("appLogin", json={"merchant": w.sandbox.merchant_slug})
    assert plain["accessToken"] != pair["accessToken"]
    assert w.api.error_codes("appLogin", 401, json={"merchant": "no-such-merchant"}) == ["8008"]
    half_signed = {"merchant": w.sandbox.merchant_slug, "timestamp": str(int(time.time()))}
    assert w.api.error_codes("appLogin", 400, json=half_signed) == ["7000"]


def s_app_refresh(w: World) -> None:
    pair = w.api.data("appLogin", json=signed_app_login(w.sandbox))
    rotated = w.api.data("appRefresh", json={"refreshToken": pair["refreshToken"]})
    assert rotated["refreshToken"] != pair["refreshToken"]
    assert w.api.error_codes("appRefresh", 401, json={"refreshToken": pair["refreshToken"]}) == ["8009"]
    assert "7000" in w.api.error_codes("appRefresh", 400, json={})


def s_user_login(w: World) -> None:
    session = w.api.data("userLogin", tokens=w.app, json={"email": ADMIN_EMAIL, "password": DEMO_PASSWORD})
    assert session["email"] == ADMIN_EMAIL
    assert session["otpRequired"] is True
    wrong = {"email": w.limited.email, "password": "not-the-password-1"}
    assert w.api.error_codes("userLogin", 401, tokens=w.app, json=wrong) == ["8002"]
    locked = w.api.call(
        "userLogin", 403, tokens=w.app, json={"email": LOCKED_EMAIL, "password": DEMO_PASSWORD}
    )
    assert locked.json()["errors"][0]["code"] == "8003"
    assert "Retry-After" in locked.headers
    assert w.api.error_codes("userLogin", 401, json={"email": ADMIN_EMAIL, "password": DEMO_PASSWORD}) == [
        "8001"
    ]


def s_user_refresh(w: World) -> None:
    operator = sign_in(w.api, w.sandbox, w.app, w.limited.email)
    body = {"refreshToken": operator.tokens.user_refresh}
    pair = w.api.data("userRefresh", tokens=w.app, json=body)
    assert pair["refreshToken"] != body["refreshToken"]
    assert w.api.error_codes("userRefresh", 401, json=body) == ["8009"]


def s_request_otp(w: World) -> None:
    sent = w.api.data("requestOtp", tokens=w.plain, json={"email": ADMIN_EMAIL, "purpose": "elevation"})
    assert sent["expiresIn"] > 0
    unknown = w.api.data(
        "requestOtp", tokens=w.plain, json={"email": "nobody@demo.migo", "purpose": "elevation"}
    )
    assert unknown == sent
    bad = {"email": ADMIN_EMAIL, "purpose": "pin_change"}
    assert "7000" in w.api.error_codes("requestOtp", 400, tokens=w.plain, json=bad)
    assert w.api.error_codes("requestOtp", 401, tokens=w.app, json=bad) == ["8001"]


def s_verify_otp(w: World) -> None:
    session = w.api.data(
        "userLogin", tokens=w.app, json={"email": w.limited.email, "password": DEMO_PASSWORD}
    )
    pending = Tokens(app=w.app.app, user=session["accessToken"])
    w.api.call("requestOtp", 200, tokens=pending, json={"email": w.limited.email, "purpose": "login"})
    code = w.sandbox.latest_otp(w.limited.email)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    body = {"email": w.limited.email, "purpose": "login"}
    assert w.api.error_codes("verifyOtp", 400, tokens=pending, json={**body, "otp": wrong}) == ["8006"]
    elevated = w.api.data("verifyOtp", tokens=pending, json={**body, "otp": code})
    assert elevated["elevatedUntil"] > time.time()
    signed_in = Tokens(app=w.app.app, user=elevated["accessToken"])
    assert w.api.error_codes("verifyOtp", 400, tokens=signed_in, json={**body, "otp": code}) == ["8007"]


def s_current_operator(w: World) -> None:
    me = w.api.data("getCurrentOperator", tokens=w.admin.tokens)
    assert me["email"] == ADMIN_EMAIL
    assert {p["partnerId"] for p in me["partners"]} >= {PARTNER, OTHER_PARTNER}
    assert w.api.error_codes("getCurrentOperator", 401) == ["8001"]


def s_user_permissions(w: World) -> None:
    own = w.api.data(
        "getUserPermissions", tokens=w.admin.tokens, path={"cmsUserId": w.admin.id, "partnerId": PARTNER}
    )
    assert own["cmsUserId"] == w.admin.id
    assert own["permissions"]
    path = {"cmsUserId": w.admin.id, "partnerId": PARTNER}
    assert w.api.error_codes("getUserPermissions", 403, tokens=w.limited.tokens, path=path) == ["8011"]
    unknown = {"cmsUserId": 999_999, "partnerId": PARTNER}
    assert w.api.error_codes("getUserPermissions", 404, tokens=w.admin.tokens, path=unknown) == ["7100"]


def s_grant_permissions(w: World) -> None:
    own = w.api.data(
        "getUserPermissions", tokens=w.admin.tokens, path={"cmsUserId": w.admin.id, "partnerId": PARTNER}
    )
    permission_id = permission_id_of(own, "card-movements", "list")
    entry = [{"permissionId": permission_id, "partnerId": PARTNER}]
    target = {"cmsUserId": w.limited.id}
    granted = w.api.data(
        "grantPermissions", tokens=w.plain, path=target, json={"permissions": entry, "otp": w.inline_otp()}
    )
    assert permission_id in {p["permissionId"] for p in granted[0]["permissions"]}
    assert w.api.error_codes(
        "grantPermissions", 403, tokens=w.plain, path=target, json={"permissions": entry}
    ) == ["8005"]
    myself = {"cmsUserId": w.admin.id}
    assert w.api.error_codes(
        "grantPermissions", 403, tokens=w.plain, path=myself, json={"permissions": entry}
    ) == ["8024"]


def s_revoke_permissions(w: World) -> None:
    own = w.api.data(
        "getUserPermissions", tokens=w.admin.tokens, path={"cmsUserId": w.admin.id, "partnerId": PARTNER}
    )
    entry = [{"permissionId": permission_id_of(own, "card-movements", "detail"), "partnerId": PARTNER}]
    target = {"cmsUserId": w.approver.id}
    revoked = w.api.data(
        "revokePermissions", tokens=w.plain, path=target, json={"permissions": entry, "otp": w.inline_otp()}
    )
    assert entry[0]["permissionId"] not in {p["permissionId"] for p in revoked[0]["permissions"]}
    unknown = {"cmsUserId": 999_999}
    assert w.api.error_codes(
        "revokePermissions", 404, tokens=w.plain, path=unknown, json={"permissions": entry}
    ) == ["7100"]
    assert "7000" in w.api.error_codes(
        "revokePermissions", 400, tokens=w.plain, path=target, json={"permissions": []}
    )


def s_list_modules(w: World) -> None:
    modules = w.api.data("listModules", tokens=w.admin.tokens)
    assert any(m["permissions"] for m in modules)
    session = w.api.data(
        "userLogin", tokens=w.app, json={"email": w.limited.email, "password": DEMO_PASSWORD}
    )
    pending = Tokens(app=w.app.app, user=session["accessToken"])
    assert w.api.error_codes("listModules", 403, tokens=pending) == ["8005"]
    w.sandbox.set_fault("GET /app/modules", "token_expired", times=1)
    assert w.api.error_codes("listModules", 401, tokens=w.admin.tokens) == ["8000"]


def s_create_permissions(w: World) -> None:
    body = {"permissions": [{"resource": f"contract{secrets.token_hex(3)}", "action": "read"}]}
    created = w.api.data("createPermissions", 201, tokens=w.admin.tokens, json=body)
    assert created[0]["resource"] == body["permissions"][0]["resource"]
    assert w.api.error_codes("createPermissions", 403, tokens=w.limited.tokens, json=body) == ["8011"]
    assert "7000" in w.api.error_codes(
        "createPermissions", 400, tokens=w.admin.tokens, json={"permissions": []}
    )


def s_list_partners(w: World) -> None:
    partners = w.api.data("listPartners", tokens=w.admin.tokens)
    assert {p["partnerId"] for p in partners} >= {PARTNER, OTHER_PARTNER}
    bare = {"Authorization": f"Bearer {w.app.app}", "x-user-token": str(w.admin.tokens.user)}
    assert w.api.error_codes("listPartners", 401, headers=bare) == ["8001"]
    w.sandbox.set_fault("GET /app/partners", "retry_after", status=429, seconds=3, times=1)
    throttled = w.api.call("listPartners", 429, tokens=w.admin.tokens)
    assert throttled.headers["Retry-After"] == "3"


def s_partner(w: World) -> None:
    partner = w.api.data("getPartner", tokens=w.admin.tokens, path={"partnerId": PARTNER})
    assert partner["partnerId"] == PARTNER
    other = {"partnerId": OTHER_PARTNER}
    assert w.api.error_codes("getPartner", 403, tokens=w.limited.tokens, path=other) == ["8010"]


def s_balance(w: World) -> None:
    balance = w.api.data("getBalance", tokens=w.admin.tokens, path={"clientId": PARTNER})
    assert balance["clientId"] == PARTNER
    assert w.api.error_codes(
        "getBalance", 403, tokens=w.limited.tokens, path={"clientId": OTHER_PARTNER}
    ) == ["8010"]
    w.sandbox.set_fault(f"GET /app/partners/{PARTNER}/balance", "retry_after", status=503, seconds=5, times=1)
    assert (
        w.api.call("getBalance", 503, tokens=w.admin.tokens, path={"clientId": PARTNER}).headers[
            "Retry-After"
        ]
        == "5"
    )


def s_list_cms_users(w: World) -> None:
    page = w.api.data(
        "listCmsUsers",
        tokens=w.admin.tokens,
        path={"partnerId": PARTNER},
        params={"page": 1, "limit": 5, "sortBy": "name", "sortOrder": "asc"},
    )
    assert page["limit"] == 5
    assert page["items"]
    bad = {"status": "sleeping"}
    assert "7000" in w.api.error_codes(
        "listCmsUsers", 400, tokens=w.admin.tokens, path={"partnerId": PARTNER}, params=bad
    )
    assert w.api.error_codes("listCmsUsers", 403, tokens=w.limited.tokens, path={"partnerId": PARTNER}) == [
        "8011"
    ]


def s_cms_user(w: World) -> None:
    path = {"partnerId": PARTNER, "cmsUserId": w.limited.id}
    user = w.api.data("getCmsUser", tokens=w.admin.tokens, path=path)
    assert user["email"] == w.limited.email
    assert PARTNER in {p["partnerId"] for p in user["partners"]}
    unknown = {"partnerId": PARTNER, "cmsUserId": 999_999}
    assert w.api.error_codes("getCmsUser", 404, tokens=w.admin.tokens, path=unknown) == ["7100"]


def s_create_cms_user(w: World) -> None:
    email = f"contract-new-{secrets.token_hex(4)}@demo.migo"
    body = {"email": email, "name": "Nuevo Operador", "password": "Contract-Pass-2026"}
    path = {"partnerId": PARTNER}
    assert w.api.error_codes("createCmsUser", 403, tokens=w.plain, path=path, json=body) == ["8005"]
    created = w.api.data(
        "createCmsUser", 201, tokens=w.plain, path=path, json={**body, "otp": w.inline_otp()}
    )
    assert created["email"] == email
    again = {**body, "otp": w.inline_otp()}
    assert w.api.error_codes("createCmsUser", 409, tokens=w.plain, path=path, json=again) == ["8025"]
    weak = {**body, "email": f"x{email}", "password": "short"}
    assert "7000" in w.api.error_codes("createCmsUser", 400, tokens=w.plain, path=path, json=weak)


def s_update_cms_user(w: World) -> None:
    path = {"partnerId": PARTNER, "cmsUserId": w.limited.id}
    updated = w.api.data(
        "updateCmsUser", tokens=w.admin.tokens, path=path, json={"name": "Operador Limitado"}
    )
    assert updated["name"] == "Operador Limitado"
    taken = {"email": ADMIN_EMAIL}
    assert w.api.error_codes("updateCmsUser", 409, tokens=w.admin.tokens, path=path, json=taken) == ["8025"]


def s_change_cms_user_status(w: World) -> None:
    email = make_operator(w.sandbox, partners=[PARTNER])
    users = w.api.data(
        "listCmsUsers", tokens=w.admin.tokens, path={"partnerId": PARTNER}, params={"searchText": email}
    )
    path = {"partnerId": PARTNER, "cmsUserId": users["items"][0]["id"]}
    changed = w.api.data(
        "changeCmsUserStatus", tokens=w.plain, path=path, json={"status": "inactive", "otp": w.inline_otp()}
    )
    assert changed["status"] == "inactive"
    myself = {"partnerId": PARTNER, "cmsUserId": w.admin.id}
    assert w.api.error_codes(
        "changeCmsUserStatus", 403, tokens=w.plain, path=myself, json={"status": "inactive"}
    ) == ["8024"]
    assert "7000" in w.api.error_codes(
        "changeCmsUserStatus", 400, tokens=w.plain, path=path, json={"status": "asleep"}
    )


def s_list_cardholders(w: World) -> None:
    params = {"page": 1, "limit": 50, "searchText": "", "sortBy": "createdAt", "sortOrder": "desc"}
    page = w.api.data("listCardholders", tokens=w.admin.tokens, path={"partnerId": PARTNER}, params=params)
    assert len(page["items"]) == 50
    assert page["total"] >= 50
    assert "7000" in w.api.error_codes(
        "listCardholders", 400, tokens=w.admin.tokens, path={"partnerId": PARTNER}, params={"sortBy": "pan"}
    )


def s_create_cardholder(w: World) -> None:
    path = {"partnerId": PARTNER}
    first, second = free_card_ids(w, 2)
    body = new_cardholder_fields(first)
    key = {"Idempotency-Key": f"contract-{secrets.token_hex(8)}"}
    created = w.api.call("createCardholder", 201, tokens=w.admin.tokens, path=path, json=body, headers=key)
    replay = w.api.call("createCardholder", 201, tokens=w.admin.tokens, path=path, json=body, headers=key)
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json()["data"]["cardholderId"] == created.json()["data"]["cardholderId"]
    other = new_cardholder_fields(second)
    assert w.api.error_codes(
        "createCardholder", 409, tokens=w.admin.tokens, path=path, json=other, headers=key
    ) == ["8022"]
    duplicate = {**other, "email": body["email"]}
    assert "8013" in w.api.error_codes(
        "createCardholder", 409, tokens=w.admin.tokens, path=path, json=duplicate
    )
    invalid = {**other, "dateOfBirth": "1992-02-30", "gender": "X"}
    assert "7000" in w.api.error_codes(
        "createCardholder", 400, tokens=w.admin.tokens, path=path, json=invalid
    )


def s_cardholder_detail(w: World) -> None:
    holder = make_cardholder(w)
    path = {"partnerId": PARTNER, "cardholderId": holder["cardholderId"]}
    masked = w.api.data("getCardholder", tokens=w.plain, path=path)
    assert masked["piiMasked"] is True
    assert masked["documentNumber"] != holder["documentNumber"]
    full = w.api.data("getCardholder", tokens=w.plain, path=path, json={"otp": w.inline_otp()})
    assert full["piiMasked"] is False
    assert full["documentNumber"] == holder["documentNumber"]
    w.inline_otp()
    assert w.api.error_codes("getCardholder", 400, tokens=w.plain, path=path, json={"otp": "000000x"}) == [
        "8006"
    ]
    unknown = {"partnerId": PARTNER, "cardholderId": 999_999_999}
    assert w.api.error_codes("getCardholder", 404, tokens=w.admin.tokens, path=unknown) == ["8012"]


def s_update_cardholder(w: World) -> None:
    holder = make_cardholder(w)
    path = {"partnerId": PARTNER, "cardholderId": holder["cardholderId"]}
    updated = w.api.data("updateCardholder", tokens=w.admin.tokens, path=path, json={"address": "Zona 10"})
    assert updated["address"] == "Zona 10"
    assert "7000" in w.api.error_codes(
        "updateCardholder", 400, tokens=w.admin.tokens, path=path, json={"countryOfBirth": "gt"}
    )
    w.api.call("closeCardholder", 200, tokens=w.plain, path=path, json={"reason": "x", "otp": w.inline_otp()})
    assert w.api.error_codes(
        "updateCardholder", 409, tokens=w.admin.tokens, path=path, json={"name": "B"}
    ) == ["8020"]


def s_close_cardholder(w: World) -> None:
    holder = make_cardholder(w)
    path = {"partnerId": PARTNER, "cardholderId": holder["cardholderId"]}
    assert "7000" in w.api.error_codes("closeCardholder", 400, tokens=w.plain, path=path, json={})
    closed = w.api.data(
        "closeCardholder", tokens=w.plain, path=path, json={"reason": "Contract test", "otp": w.inline_otp()}
    )
    assert closed["status"] == "closed"
    assert all(card["status"] == "cancelled" for card in closed.get("cards", []))
    again = {"reason": "again", "otp": w.inline_otp()}
    assert w.api.error_codes("closeCardholder", 409, tokens=w.plain, path=path, json=again) == ["8020"]


def s_cardholder_cards(w: World) -> None:
    holder = make_cardholder(w)
    path = {"partnerId": PARTNER, "cardholderId": holder["cardholderId"]}
    cards = w.api.data("listCardholderCards", tokens=w.admin.tokens, path=path)
    assert [card["cardholderId"] for card in cards] == [holder["cardholderId"]]
    unknown = {"partnerId": PARTNER, "cardholderId": 999_999_999}
    assert w.api.error_codes("listCardholderCards", 404, tokens=w.admin.tokens, path=unknown) == ["8012"]


def s_partner_cards(w: World) -> None:
    page = w.api.data(
        "listPartnerCards", tokens=w.admin.tokens, path={"partnerId": PARTNER}, params={"assigned": "false"}
    )
    assert all(card["cardholderId"] is None for card in page["items"])
    assert "7000" in w.api.error_codes(
        "listPartnerCards",
        400,
        tokens=w.admin.tokens,
        path={"partnerId": PARTNER},
        params={"assigned": "maybe"},
    )


def _assigned_card(w: World) -> dict[str, Any]:
    holder = make_cardholder(w)
    cards = w.api.data(
        "listCardholderCards",
        tokens=w.admin.tokens,
        path={"partnerId": PARTNER, "cardholderId": holder["cardholderId"]},
    )
    card: dict[str, Any] = cards[0]
    return card


def s_activate_card(w: World) -> None:
    card = _assigned_card(w)
    path = {"partnerId": PARTNER, "cardId": card["cardId"]}
    assert w.api.data("activateCard", tokens=w.admin.tokens, path=path)["status"] == "active"
    assert w.api.error_codes("activateCard", 409, tokens=w.admin.tokens, path=path) == ["7213"]
    unknown = {"partnerId": PARTNER, "cardId": 999_999_999}
    assert w.api.error_codes("activateCard", 404, tokens=w.admin.tokens, path=unknown) == ["7200"]


def s_block_card(w: World) -> None:
    card = _assigned_card(w)
    path = {"partnerId": PARTNER, "cardId": card["cardId"]}
    w.api.call("activateCard", 200, tokens=w.admin.tokens, path=path)
    assert "7000" in w.api.error_codes("blockCard", 400, tokens=w.admin.tokens, path=path, json={})
    blocked = w.api.data("blockCard", tokens=w.admin.tokens, path=path, json={"reason": "Lost"})
    assert blocked["status"] == "blocked"
    assert w.api.error_codes("blockCard", 409, tokens=w.admin.tokens, path=path, json={"reason": "Lost"}) == [
        "7213"
    ]


def s_unblock_card(w: World) -> None:
    card = _assigned_card(w)
    path = {"partnerId": PARTNER, "cardId": card["cardId"]}
    assert w.api.error_codes("unblockCard", 409, tokens=w.admin.tokens, path=path) == ["7213"]
    w.api.call("activateCard", 200, tokens=w.admin.tokens, path=path)
    w.api.call("blockCard", 200, tokens=w.admin.tokens, path=path, json={"reason": "Lost"})
    assert w.api.data("unblockCard", tokens=w.admin.tokens, path=path)["status"] == "active"


def s_upload_cardholders(w: World) -> None:
    path = {"partnerId": PARTNER}
    rows = cardholder_rows(free_card_ids(w, 2))
    batch_id = upload_cardholders(w, rows)
    assert re.fullmatch(r"bat_[0-9A-Za-z]{26}", batch_id)
    csv_file = {"users": ("cardholders.csv", CSV_BYTES, "text/csv")}
    assert w.api.error_codes("uploadCardholders", 400, tokens=w.plain, path=path, files=csv_file) == ["8015"]
    xlsx = {"users": ("cardholders.xlsx", workbook(CARDHOLDER_COLUMNS, rows), XLSX_TYPE)}
    assert w.api.error_codes("uploadCardholders", 403, tokens=w.plain, path=path, files=xlsx) == ["8005"]
    assert wait_for_batch(w, batch_id)["status"] in TERMINAL


def s_upload_cards(w: World) -> None:
    holder = make_cardholder(w)
    row = [holder["documentType"], holder["documentNumber"], free_card_ids(w, 1)[0]]
    files = {"cards": ("cards.xlsx", workbook(CARD_COLUMNS, [row]), XLSX_TYPE)}
    path = {"partnerId": PARTNER}
    batch = w.api.data("uploadCards", tokens=w.plain, path=path, files=files, data={"otp": w.inline_otp()})
    misnamed = {"users": files["cards"]}
    assert w.api.error_codes("uploadCards", 400, tokens=w.plain, path=path, files=misnamed) == ["8015"]
    finished = wait_for_batch(w, batch["id"])
    assert (finished["type"], finished["succeeded"]) == ("cards", 1)


def s_batch_progress(w: World) -> None:
    """Slowed to two rows a second, so the stream shows progress before its terminal frame."""
    previous = w.sandbox.control("POST", "/config", json={"batch_rows_per_second": 2})["previous"]
    try:
        good = cardholder_rows(free_card_ids(w, 3))
        bad = [*good[0][:4], "1992-02-30", *good[0][5:11], 999_999_999]
        batch_id = upload_cardholders(w, [*good, bad])
        path = {"partnerId": PARTNER, "batchId": batch_id}
        with w.api.stream("streamBatchProgress", tokens=w.admin.tokens, path=path) as resp:
            frames = read_frames(resp)
    finally:
        w.sandbox.control("POST", "/config", json=previous)
    schema = progress_frame_schema()
    for frame in frames:
        validate_instance(frame, schema)
    assert len(frames) >= 2
    assert [frame["processed"] for frame in frames] == sorted(frame["processed"] for frame in frames)
    last = frames[-1]
    assert last["status"] == "completed"
    assert (last["total"], last["processed"], last["succeeded"], last["failed"]) == (4, 4, 3, 1)
    assert {error["row"] for frame in frames for error in frame["errors"]} == {5}
    unknown = {"partnerId": PARTNER, "batchId": "bat_" + "0" * 26}
    assert w.api.error_codes("streamBatchProgress", 404, tokens=w.admin.tokens, path=unknown) == ["8017"]


def s_batch(w: World) -> None:
    batch_id = upload_cardholders(w, cardholder_rows(free_card_ids(w, 1)))
    batch = wait_for_batch(w, batch_id)
    assert (batch["batchId"], batch["type"], batch["total"]) == (batch_id, "cardholders", 1)
    unknown = {"partnerId": PARTNER, "batchId": "bat_" + "0" * 26}
    assert w.api.error_codes("getBatch", 404, tokens=w.admin.tokens, path=unknown) == ["8017"]


def s_batch_results(w: World) -> None:
    good = cardholder_rows(free_card_ids(w, 1))
    bad = [*good[0][:8], "not-an-email", *good[0][9:]]
    batch_id = upload_cardholders(w, [*good, bad])
    wait_for_batch(w, batch_id)
    path = {"partnerId": PARTNER, "batchId": batch_id}
    rows = w.api.data("listBatchResults", tokens=w.admin.tokens, path=path, params={"page": 1, "limit": 10})
    assert sorted((r["row"], r["status"]) for r in rows["items"]) == [(2, "created"), (3, "failed")]
    assert "7000" in w.api.error_codes(
        "listBatchResults", 400, tokens=w.admin.tokens, path=path, params={"page": "zero"}
    )


def s_create_process_request(w: World) -> None:
    created = make_process_request(w)
    assert (created["status"], created["requestedAmount"]) == ("pending", 150.25)
    path = {"partnerId": PARTNER}
    pdf = {"evidence": ("e.pdf", PDF_BYTES, "application/pdf")}
    for amount, code in (("0", "7001"), ("12.345", "7002")):
        form = {"requestedAmount": amount}
        assert w.api.error_codes(
            "createProcessRequest", 400, tokens=w.plain, path=path, data=form, files=pdf
        ) == [code]
    csv_file = {"evidence": ("e.csv", CSV_BYTES, "text/csv")}
    assert w.api.error_codes(
        "createProcessRequest", 400, tokens=w.plain, path=path, data={"requestedAmount": "10"}, files=csv_file
    ) == ["8015"]


def s_list_process_requests(w: World) -> None:
    created = make_process_request(w)
    page = w.api.data(
        "listProcessRequests",
        tokens=w.admin.tokens,
        path={"clientId": PARTNER},
        params={"page": 1, "limit": 10},
    )
    assert page["items"][0]["id"] == created["id"]
    assert "7000" in w.api.error_codes(
        "listProcessRequests",
        400,
        tokens=w.admin.tokens,
        path={"clientId": PARTNER},
        params={"from": "2026-13-01"},
    )


def s_list_all_process_requests(w: World) -> None:
    created = make_process_request(w)
    everything = w.api.data("listAllProcessRequests", tokens=w.admin.tokens, path={"partnerId": PARTNER})
    assert everything[0]["id"] == created["id"]
    assert w.api.error_codes(
        "listAllProcessRequests", 403, tokens=w.limited.tokens, path={"partnerId": PARTNER}
    ) == ["8011"]


def s_process_request(w: World) -> None:
    created = make_process_request(w)
    found = w.api.data("getProcessRequest", tokens=w.approver.tokens, path=pr_path(created["id"]))
    assert found["requestedBy"]["id"] == w.admin.id
    assert w.api.error_codes("getProcessRequest", 404, tokens=w.admin.tokens, path=pr_path(999_999_999)) == [
        "8018"
    ]


def s_approve(w: World) -> None:
    before = w.api.data("getBalance", tokens=w.admin.tokens, path={"clientId": PARTNER})["available"]
    created = make_process_request(w)
    path = pr_path(created["id"])
    assert w.api.error_codes("approveProcessRequest", 403, tokens=w.admin.tokens, path=path, json={}) == [
        "8019"
    ]
    approved = w.api.data("approveProcessRequest", tokens=w.approver.tokens, path=path, json={"reason": "OK"})
    assert (approved["status"], approved["decidedBy"]["id"]) == ("approved", w.approver.id)
    after = w.api.data("getBalance", tokens=w.admin.tokens, path={"clientId": PARTNER})["available"]
    assert round(after - before, 2) == created["requestedAmount"]
    assert w.api.error_codes("approveProcessRequest", 409, tokens=w.approver.tokens, path=path, json={}) == [
        "8020"
    ]


def s_reject(w: World) -> None:
    created = make_process_request(w)
    path = pr_path(created["id"])
    assert "7000" in w.api.error_codes(
        "rejectProcessRequest", 400, tokens=w.approver.tokens, path=path, json={}
    )
    rejected = w.api.data(
        "rejectProcessRequest", tokens=w.approver.tokens, path=path, json={"reason": "Evidence unreadable"}
    )
    assert (rejected["status"], rejected["decisionReason"]) == ("rejected", "Evidence unreadable")
    assert w.api.error_codes(
        "rejectProcessRequest", 409, tokens=w.approver.tokens, path=path, json={"reason": "again"}
    ) == ["8020"]


def s_cancel(w: World) -> None:
    created = make_process_request(w)
    path = pr_path(created["id"])
    cancelled = w.api.data("cancelProcessRequest", tokens=w.admin.tokens, path=path, json={"reason": "Typo"})
    assert cancelled["status"] == "cancelled"
    assert w.api.error_codes("cancelProcessRequest", 409, tokens=w.admin.tokens, path=path, json={}) == [
        "8020"
    ]


def s_evidence(w: World) -> None:
    created = make_process_request(w, evidence=("comprobante.png", PNG_BYTES, "image/png"))
    resp = w.api.call("getProcessRequestEvidence", 200, tokens=w.approver.tokens, path=pr_path(created["id"]))
    assert resp.content == PNG_BYTES
    assert resp.headers["content-type"].startswith("image/png")
    assert "comprobante.png" in resp.headers["Content-Disposition"]
    assert w.api.error_codes(
        "getProcessRequestEvidence", 404, tokens=w.admin.tokens, path=pr_path(999_999_999)
    ) == ["8018"]


SCENARIOS: dict[str, Callable[[World], None]] = {
    "appLogin": s_app_login,
    "appRefresh": s_app_refresh,
    "userLogin": s_user_login,
    "userRefresh": s_user_refresh,
    "requestOtp": s_request_otp,
    "verifyOtp": s_verify_otp,
    "getCurrentOperator": s_current_operator,
    "getUserPermissions": s_user_permissions,
    "grantPermissions": s_grant_permissions,
    "revokePermissions": s_revoke_permissions,
    "listModules": s_list_modules,
    "createPermissions": s_create_permissions,
    "listPartners": s_list_partners,
    "getPartner": s_partner,
    "getBalance": s_balance,
    "listCmsUsers": s_list_cms_users,
    "createCmsUser": s_create_cms_user,
    "getCmsUser": s_cms_user,
    "updateCmsUser": s_update_cms_user,
    "changeCmsUserStatus": s_change_cms_user_status,
    "listCardholders": s_list_cardholders,
    "createCardholder": s_create_cardholder,
    "getCardholder": s_cardholder_detail,
    "updateCardholder": s_update_cardholder,
    "closeCardholder": s_close_cardholder,
    "listCardholderCards": s_cardholder_cards,
    "listPartnerCards": s_partner_cards,
    "activateCard": s_activate_card,
    "blockCard": s_block_card,
    "unblockCard": s_unblock_card,
    "uploadCardholders": s_upload_cardholders,
    "uploadCards": s_upload_cards,
    "streamBatchProgress": s_batch_progress,
    "getBatch": s_batch,
    "listBatchResults": s_batch_results,
    "createProcessRequest": s_create_process_request,
    "listProcessRequests": s_list_process_requests,
    "listAllProcessRequests": s_list_all_process_requests,
    "getProcessRequest": s_process_request,
    "approveProcessRequest": s_approve,
    "rejectProcessRequest": s_reject,
    "cancelProcessRequest": s_cancel,
    "getProcessRequestEvidence": s_evidence,
}


def test_every_operation_of_the_document_has_a_scenario() -> None:
    assert set(SCENARIOS) == set(OPERATIONS)


@pytest.mark.parametrize("operation_id", sorted(SCENARIOS))
def test_operation_answers_as_the_document_says(
    operation_id: str, world: World, clean_faults: SandboxHandle
) -> None:
    world.api.seen.pop(operation_id, None)
    SCENARIOS[operation_id](world)
    statuses = world.api.seen.get(operation_id, set())
    assert any(200 <= s < 300 for s in statuses), f"{operation_id}: no success checked"
    assert any(s >= 400 for s in statuses), f"{operation_id}: no error path checked"


def test_cardholder_detail_without_card_permission_still_answers_the_documented_record(
    world: World, clean_faults: SandboxHandle
) -> None:
    """ASSUMPTIONS.md §4 (#13): the detail keeps every list field; only `cards` needs cards-admin:detail."""
    email = make_operator(
        world.sandbox,
        partners=[PARTNER],
        permissions={str(PARTNER): ["cardholders:list", "cardholders:detail"]},
        otpElevation=False,
    )
    reader = sign_in(world.api, world.sandbox, world.app, email)
    page = world.api.data("listCardholders", tokens=reader.tokens, path={"partnerId": PARTNER})
    path = {"partnerId": PARTNER, "cardholderId": page["items"][0]["cardholderId"]}
    detail = world.api.data("getCardholder", tokens=reader.tokens, path=path)
    assert "cards" not in detail  # the full record (with `cardCount`) was validated, only the cards left out


# -- the sandbox's routes and the document name the same operations -----------------------------------------


def _shape(path: str) -> str:
    """`/app/partners/{partnerId}` and Flask's `/app/partners/<int:partner_id>` become `/app/partners/{}`."""
    return re.sub(r"<[^>]+>|\{[^}]+\}", "{}", path)


def _sandbox_app(sandbox: SandboxHandle) -> Flask:
    app = sandbox.server.app
    assert isinstance(app, Flask)
    return app


def test_every_sandbox_api_route_is_in_the_document_and_back(sandbox: SandboxHandle) -> None:
    routes = {
        (method, _shape(rule.rule[len(API_PREFIX) :]))
        for rule in _sandbox_app(sandbox).url_map.iter_rules()
        if rule.rule.startswith(API_PREFIX + "/")
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}
    }
    documented = {(op.method, _shape(op.path)) for op in OPERATIONS.values()}
    assert sorted(routes - documented) == [], "sandbox routes missing from the document"
    assert sorted(documented - routes) == [], "documented operations the sandbox does not route"
