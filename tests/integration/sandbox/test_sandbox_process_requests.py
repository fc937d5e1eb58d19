"""Process requests (balance top-ups) against the sandbox over real HTTP: create rules, evidence by content,
OTP, four-eyes approval, the balance credit, cancel, lists and the evidence download."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import httpx
import pytest

from tests.integration.sandbox.test_sandbox_cardholders import error_code, error_fields
from tests.support.sandbox import SandboxHandle
from tests.support.sandbox_login import Operator, new_operator, operator

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 40
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 40


def _email(prefix: str) -> str:
    return f"{prefix}.{uuid.uuid4().hex[:8]}@ops.example"


@pytest.fixture(scope="module")
def requester(sandbox: SandboxHandle) -> Iterator[Operator]:
    """Creates and cancels top-ups on partners 1 and 2; subject to OTP, token not elevated."""
    perms = ["balance-management:*"]
    op = new_operator(sandbox, _email("maker"), {1: perms, 2: perms}, elevated=False)
    yield op
    op.close()


@pytest.fixture(scope="module")
def approver(sandbox: SandboxHandle) -> Iterator[Operator]:
    op = new_operator(
        sandbox, _email("checker"), {1: ["approvals:*", "balance-management:list"]}, elevated=False
    )
    yield op
    op.close()


def submit(
    op: Operator,
    amount: str = "1500.50",
    evidence: tuple[str, bytes, str] | None = ("deposito.pdf", PDF, "application/pdf"),
    *,
    otp: str | None = "fresh",
    partner: int = 1,
    **kw: Any,
) -> httpx.Response:
    """POST a top-up; `otp="fresh"` asks the mailbox for a new elevation code first."""
    form: dict[str, str] = {"requestedAmount": amount, "observations": "Fondeo de nómina"}
    if otp is not None:
        form["otp"] = op.elevation_code() if otp == "fresh" else otp
    files = {"evidence": evidence} if evidence else None
    return op.http.post(f"/app/partners/{partner}/process-request", data=form, files=files, **kw)


def balance(op: Operator, partner: int = 1) -> Decimal:
    return Decimal(str(op.http.get(f"/app/partners/{partner}/balance").json()["data"]["available"]))


# -- create --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "code"),
    [
        ("", "7000"),
        ("0", "7001"),
        ("0.00", "7001"),
        ("-25", "7001"),
        ("abc", "7002"),
        ("10.123", "7002"),
        ("1,000.00", "7002"),
        ("1000000000.01", "7002"),
        ("1e3", "7002"),
        ("+5", "7002"),
        (" 5", "7002"),
        ("5 ", "7002"),
        ("007", "7002"),
        ("5.", "7002"),
    ],
)
def test_amount_rules(requester: Operator, amount: str, code: str) -> None:
    resp = submit(requester, amount, otp=None)
    assert resp.status_code == 400
    assert error_fields(resp) == {"requestedAmount": code}


@pytest.mark.parametrize(
    ("evidence", "code", "status"),
    [
        (None, "7000", 400),
        (("nota.pdf", b"<html><script>alert(1)</script></html>", "application/pdf"), "8015", 400),
        (("foto.png", b"GIF89a" + b"\x00" * 20, "image/png"), "8015", 400),
        (("grande.pdf", b"%PDF-" + b"\x00" * (10 * 1024 * 1024), "application/pdf"), "8016", 413),
    ],
    ids=["missing", "html-as-pdf", "gif-as-png", "over-10-mb"],
)
def test_evidence_is_checked_by_content_and_size(
    requester: Operator, evidence: tuple[str, bytes, str] | None, code: str, status: int
) -> None:
    resp = submit(requester, evidence=evidence, otp=None)
    assert resp.status_code == status
    assert error_code(resp) == code
    if status == 400:
        assert error_fields(resp) == {"evidence": code}


def test_create_needs_a_valid_otp_from_a_subject_operator(requester: Operator) -> None:
    missing = submit(requester, otp=None)
    assert (missing.status_code, error_code(missing)) == (403, "8005")
    requester.elevation_code()
    wrong = submit(
        requester, otp="000000" if requester.sandbox.latest_otp(requester.email) != "000000" else "111111"
    )
    assert (wrong.status_code, error_fields(wrong)) == (400, {"otp": "8006"})


@pytest.mark.parametrize("otp", ["wrong", "12345", " 123456", "abcdef"])
def test_a_wrong_inline_otp_is_refused_also_from_an_operator_not_subject_to_elevation(
    sandbox: SandboxHandle, otp: str
) -> None:
    trusted = new_operator(
        sandbox, _email("trusted"), {1: ["balance-management:*"]}, elevated=False, otp_elevation=False
    )
    code = trusted.elevation_code()
    sent = f"{(int(code) + 1) % 1_000_000:06d}" if otp == "wrong" else otp
    before = trusted.http.get("/app/partners/1/process-request").json()["data"]

    resp = submit(trusted, otp=sent)

    assert resp.status_code == 400
    assert [(e["code"], e["field"]) for e in resp.json()["errors"]] == [("8006", "otp")]
    assert trusted.http.get("/app/partners/1/process-request").json()["data"] == before
    assert submit(trusted, otp=None).status_code == 201
    trusted.close()


@pytest.mark.parametrize(
    ("content", "client_type", "stored_type"),
    [
        (PDF, "application/octet-stream", "application/pdf"),
        (PNG, "application/pdf", "image/png"),
        (JPEG, "image/png", "image/jpeg"),
        (WEBP, "text/plain", "image/webp"),
    ],
)
def test_create_stores_evidence_typed_by_its_bytes(
    requester: Operator, content: bytes, client_type: str, stored_type: str
) -> None:
    resp = submit(requester, "1234.5", ("comprobante", content, client_type))
    assert resp.status_code == 201, resp.text
    data = resp.json()["data"]
    assert (data["status"], data["requestedAmount"], data["currency"]) == ("pending", 1234.5, "GTQ")
    assert data["requestedBy"] == {"id": requester.user_id, "name": requester.email.split("@")[0],
                                   "email": requester.email}  # fmt: skip
    assert data["decidedBy"] is None
    assert data["evidence"] == {
        "fileName": "comprobante",
        "contentType": stored_type,
        "size": len(content),
        "sha256": hashlib.sha256(content).hexdigest(),
    }


@pytest.mark.parametrize("key", ["k" * 256, ""])
def test_an_idempotency_key_outside_the_contract_is_refused(requester: Operator, key: str) -> None:
    resp = submit(requester, otp=None, headers={"Idempotency-Key": key})

    assert resp.status_code == 400
    assert error_fields(resp) == {"Idempotency-Key": "7000"}


def test_the_longest_idempotency_key_the_contract_admits_is_taken(requester: Operator) -> None:
    assert submit(requester, headers={"Idempotency-Key": "k" * 255}).status_code == 201


def test_create_is_idempotent_per_key(requester: Operator) -> None:
    key = {"Idempotency-Key": uuid.uuid4().hex}
    first = submit(requester, "77.70", headers=key)
    replay = submit(requester, "77.70", headers=key)
    assert first.status_code == replay.status_code == 201
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json()["data"]["id"] == first.json()["data"]["id"]


# -- decisions -----------------------------------------------------------------------------------------------


def test_approval_credits_the_balance_once(requester: Operator, approver: Operator) -> None:
    created = submit(requester, "2500.75").json()["data"]
    before = balance(approver)
    url = f"/app/partners/1/process-requests/{created['id']}"
    without_otp = approver.http.post(f"{url}/approve", json={})
    assert (without_otp.status_code, error_code(without_otp)) == (403, "8005")
    assert balance(approver) == before
    approved = approver.http.post(
        f"{url}/approve", json={"reason": "Verificado", "otp": approver.elevation_code()}
    )
    assert approved.status_code == 200
    data = approved.json()["data"]
    assert (data["status"], data["decisionReason"], data["decidedBy"]["id"]) == (
        "approved",
        "Verificado",
        approver.user_id,
    )
    assert data["decidedAt"]
    assert balance(approver) == before + Decimal("2500.75")
    for action in ("approve", "reject"):
        again = approver.http.post(f"{url}/{action}", json={"reason": "otra vez", "otp": "123456"})
        assert (again.status_code, error_code(again)) == (409, "8020")
    assert balance(approver) == before + Decimal("2500.75")


def test_reject_needs_a_reason_and_leaves_the_balance(requester: Operator, approver: Operator) -> None:
    created = submit(requester, "999.99").json()["data"]
    before = balance(approver)
    url = f"/app/partners/1/process-requests/{created['id']}/reject"
    assert error_fields(approver.http.post(url, json={"otp": "123456"})) == {"reason": "7000"}
    rejected = approver.http.post(url, json={"reason": "Monto no coincide", "otp": approver.elevation_code()})
    assert rejected.json()["data"]["status"] == "rejected"
    assert balance(approver) == before


def test_requester_cannot_decide_their_own_request(sandbox: SandboxHandle) -> None:
    both = new_operator(sandbox, _email("both"), {1: ["balance-management:*", "approvals:*"]})
    created = submit(both, "10.00").json()["data"]
    for action in ("approve", "reject"):
        resp = both.http.post(
            f"/app/partners/1/process-requests/{created['id']}/{action}", json={"reason": "yo"}
        )
        assert (resp.status_code, error_code(resp)) == (403, "8019")
    assert (
        both.http.get(f"/app/partners/1/process-requests/{created['id']}").json()["data"]["status"]
        == "pending"
    )
    both.close()


def test_cancel_only_while_pending_and_only_with_the_permission(
    requester: Operator, approver: Operator
) -> None:
    created = submit(requester, "50.00").json()["data"]
    url = f"/app/partners/1/process-requests/{created['id']}/cancel"
    denied = approver.http.post(url, json={})
    assert (denied.status_code, error_code(denied)) == (403, "8011")
    cancelled = requester.http.post(url, json={"reason": "Duplicada"})
    assert cancelled.json()["data"]["status"] == "cancelled"
    again = requester.http.post(url, json={})
    assert (again.status_code, error_code(again)) == (409, "8020")
    approve = approver.http.post(url.replace("/cancel", "/approve"), json={"otp": "123456"})
    assert (approve.status_code, error_code(approve)) == (409, "8020")


# -- reading -------------------------------------------------------------------------------------------------


def test_paginated_list_is_newest_first_and_filters(requester: Operator, approver: Operator) -> None:
    submit(requester, "1.00")
    first = approver.http.get("/app/partners/1/process-requests", params={"limit": 5}).json()["data"]
    stamps = [item["createdAt"] for item in first["items"]]
    assert stamps == sorted(stamps, reverse=True)
    everything = approver.http.get("/app/partners/1/process-request").json()["data"]
    assert len(everything) == first["total"]
    assert [i["id"] for i in everything[:5]] == [i["id"] for i in first["items"]]
    pending = approver.http.get(
        "/app/partners/1/process-requests", params={"status": "pending", "limit": 100}
    )
    assert {i["status"] for i in pending.json()["data"]["items"]} == {"pending"}
    today = date.today().isoformat()
    recent = approver.http.get(
        "/app/partners/1/process-requests", params={"from": today, "limit": 100}
    ).json()
    assert recent["data"]["total"] >= 1
    assert all(item["createdAt"][:10] >= today for item in recent["data"]["items"])
    old = approver.http.get("/app/partners/1/process-requests", params={"to": "2000-01-01"}).json()["data"]
    assert old["total"] == 0
    bad = approver.http.get("/app/partners/1/process-requests", params={"from": "01/02/2026"})
    assert error_fields(bad) == {"from": "7000"}


def test_seeded_requests_show_requester_and_decider(sandbox: SandboxHandle) -> None:
    bruno = operator(sandbox, "bruno.aprobador@demo.migo")
    items = bruno.http.get("/app/partners/1/process-request").json()["data"]
    seeded = [i for i in items if i["requestedBy"]["email"] == "ana.operadora@demo.migo"]
    assert len(seeded) >= 12
    assert {i["status"] for i in seeded} >= {"pending", "approved", "rejected", "cancelled"}
    decided = [i for i in seeded if i["status"] in ("approved", "rejected")]
    assert {i["decidedBy"]["email"] for i in decided} == {"bruno.aprobador@demo.migo"}
    bruno.close()


def test_evidence_download_is_an_attachment_with_the_stored_type(
    requester: Operator, approver: Operator
) -> None:
    created = submit(requester, "12.00", ('../../etc/"pass"\r\nwd.png', PNG, "text/html")).json()["data"]
    resp = approver.http.get(f"/app/partners/1/process-requests/{created['id']}/evidence")
    assert resp.status_code == 200
    assert resp.content == PNG
    assert resp.headers["content-type"] == "image/png"
    assert resp.headers["x-content-type-options"] == "nosniff"
    disposition = resp.headers["content-disposition"]
    assert disposition.startswith("attachment")
    assert "\r" not in disposition
    assert "\n" not in disposition
    assert "/" not in disposition
    stored = created["evidence"]["fileName"]
    assert stored.startswith("pass")
    assert stored.endswith("wd.png")
    assert not set(stored) & set('/\\"\r\n')


def test_tenancy_and_permissions(sandbox: SandboxHandle, requester: Operator) -> None:
    created = submit(requester, "5.00").json()["data"]
    on_two = requester.http.get(f"/app/partners/2/process-requests/{created['id']}")
    assert (on_two.status_code, error_code(on_two)) == (404, "8018")
    unknown = requester.http.get("/app/partners/1/process-requests/987654")
    assert (unknown.status_code, error_code(unknown)) == (404, "8018")
    elsewhere = requester.http.get("/app/partners/3/process-requests")
    assert (elsewhere.status_code, error_code(elsewhere)) == (403, "8010")
    outsider = new_operator(sandbox, _email("outsider"), {1: ["cardholders:list"]})
    for resp in (
        outsider.http.get("/app/partners/1/process-requests"),
        outsider.http.get(f"/app/partners/1/process-requests/{created['id']}"),
        outsider.http.get(f"/app/partners/1/process-requests/{created['id']}/evidence"),
        outsider.http.get("/app/partners/1/balance"),
        submit(outsider, "5.00", otp=None),
    ):
        assert (resp.status_code, error_code(resp)) == (403, "8011")
    outsider.close()


def test_balance_has_the_documented_fields(approver: Operator) -> None:
    data = approver.http.get("/app/partners/1/balance").json()["data"]
    assert set(data) == {"id", "clientId", "available", "currency", "updatedAt", "createdAt"}
    assert (data["clientId"], data["currency"]) == (1, "GTQ")
    assert data["available"] >= 250000
