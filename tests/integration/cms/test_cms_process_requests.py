"""Process requests (balance top-ups) through the client: create, lists, decisions, evidence, balance."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from decimal import Decimal

import pytest

from tests.integration.cms.conftest import ANA, BRUNO, DIEGO, SessionHolder
from webapp.cms import CmsClient, errors

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _create(cms: CmsClient, holder: SessionHolder, amount: str = "1250.75") -> int:
    created = cms.process_requests.create(
        holder,
        1,
        Decimal(amount),
        "Recarga de prueba",
        "comprobante.pdf",
        PDF,
        "application/pdf",
        str(uuid.uuid4()),
    )
    assert created.status == "pending"
    assert created.requested_amount == Decimal(amount)
    return created.id


def test_create_list_get_and_evidence(cms: CmsClient, sign_in: Callable[..., SessionHolder]) -> None:
    ana = sign_in(ANA)
    request_id = _create(cms, ana)
    page = cms.process_requests.list(ana, 1, page=1, limit=5, status="pending")
    assert request_id in {p.id for p in page.items}
    assert all(p.status == "pending" for p in page.items)
    assert request_id in {p.id for p in cms.process_requests.all(ana, 1)}
    detail = cms.process_requests.get(ana, 1, request_id)
    assert detail.requested_by is not None
    assert detail.requested_by.email == ANA
    assert detail.evidence is not None
    assert detail.evidence.size == len(PDF)
    evidence = cms.process_requests.evidence(ana, 1, request_id)
    assert evidence.content == PDF
    assert evidence.content_type == "application/pdf"
    assert evidence.file_name.endswith(".pdf")


def test_amount_rules_come_back_as_field_errors(
    cms: CmsClient, sign_in: Callable[..., SessionHolder]
) -> None:
    ana = sign_in(ANA)
    for amount, code in (("0", "7001"), ("10.005", "7002")):
        with pytest.raises(errors.ValidationFailed) as info:
            cms.process_requests.create(
                ana, 1, Decimal(amount), None, "c.pdf", PDF, "application/pdf", str(uuid.uuid4())
            )
        assert info.value.code == code
    with pytest.raises(errors.ValidationFailed) as bad_file:
        cms.process_requests.create(
            ana, 1, Decimal("5"), None, "c.pdf", b"<html>", "application/pdf", str(uuid.uuid4())
        )
    assert bad_file.value.code == "8015"


def test_approval_credits_the_balance(cms: CmsClient, sign_in: Callable[..., SessionHolder]) -> None:
    ana, bruno = sign_in(ANA), sign_in(BRUNO)
    before = cms.partners.balance(ana, 1).available
    request_id = _create(cms, ana, "300.10")
    approved = cms.process_requests.approve(bruno, 1, request_id, "Comprobante verificado.")
    assert approved.status == "approved"
    assert approved.decided_by is not None
    assert approved.decided_by.email == BRUNO
    assert cms.partners.balance(ana, 1).available == before + Decimal("300.10")
    with pytest.raises(errors.Conflict) as again:
        cms.process_requests.reject(bruno, 1, request_id, "too late")
    assert again.value.code == "8020"


def test_reject_cancel_and_self_approval(cms: CmsClient, sign_in: Callable[..., SessionHolder]) -> None:
    diego, bruno = sign_in(DIEGO), sign_in(BRUNO)
    own = _create(cms, diego)
    with pytest.raises(errors.Forbidden) as self_approval:
        cms.process_requests.approve(diego, 1, own, "mine")
    assert self_approval.value.code == "8019"
    rejected = cms.process_requests.reject(bruno, 1, own, "Monto no coincide.")
    assert (rejected.status, rejected.decision_reason) == ("rejected", "Monto no coincide.")
    other = _create(cms, diego, "20.00")
    assert cms.process_requests.cancel(diego, 1, other, "duplicada").status == "cancelled"


def test_ana_cannot_approve(cms: CmsClient, sign_in: Callable[..., SessionHolder]) -> None:
    ana = sign_in(ANA)
    request_id = _create(cms, ana)
    with pytest.raises(errors.PermissionDenied):
        cms.process_requests.approve(ana, 1, request_id)
    with pytest.raises(errors.NotFound):
        cms.process_requests.get(ana, 1, 99_999_999)
