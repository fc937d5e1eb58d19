"""One cardholder's pages: the record as the console shows it (masked, with its cards and history) and the
audited reveal of its personal data."""

from __future__ import annotations

from typing import Any

from flask import Response, session, url_for

from webapp.auth.token_holder import SessionTokenHolder
from webapp.cardholders.forms import RevealForm
from webapp.cardholders.history import cardholder_history, target_of
from webapp.cardholders.masking import mask_document, mask_email, mask_pan, mask_phone
from webapp.cardholders.rights import operator, rights
from webapp.cms import errors
from webapp.cms.models import Card, Cardholder
from webapp.htmx import FORM_INVALID, render
from webapp.step_up import check_code_allowed, count_refused_code, record_step_up
from webapp.store.audit import record_event
from webapp.textmarks import gettext as _
from webapp.upstream import cms

REVEAL = "cardholder_pii_reveal"
# Set when the CMS kept a record masked after a step-up: the next code for it goes with the request itself.
REVEAL_INLINE_KEY = "reveal_inline"


def load(partner_id: int, cardholder_id: int, otp: str | None = None) -> Cardholder:
    return cms().cardholders.detail(SessionTokenHolder(), partner_id, cardholder_id, otp=otp)


def detail_url(partner_id: int, cardholder_id: int) -> str:
    return url_for(".detail", partner_id=partner_id, cardholder_id=cardholder_id)


def card_view(card: Card, *, show_bin: bool) -> dict[str, Any]:
    return {
        "id": card.card_id,
        "pan": mask_pan(card.masked_pan, card.last4, show_bin=show_bin),
        "status": card.status,
        "balance": card.balance,
        "currency": card.currency or "",
        "expires_at": card.expires_at or "",
    }


def masked_pii(record: Cardholder) -> dict[str, str]:
    """Always masked by the console, whatever the CMS sent: revealing is its own, audited action."""
    return {
        "email": mask_email(record.email),
        "phone": mask_phone(record.phone_number),
        "document": mask_document(record.document_number),
    }


def detail_context(partner_id: int, record: Cardholder) -> dict[str, Any]:
    can = rights(partner_id)
    cards = [card_view(card, show_bin=can.cards) for card in record.cards]
    return {
        "partner_id": partner_id,
        "record": record,
        "pii": masked_pii(record),
        "cards": cards,
        "history": cardholder_history(
            partner_id, record.cardholder_id, cards={c["id"]: c["pan"] for c in cards}
        ),
        "can": can,
        "reveal_form": RevealForm(formdata=None),
        "revealed": None,
        "force_code": False,
    }


# -- reveal -------------------------------------------------------------------------------------------------


def reveal_context(partner_id: int, cardholder_id: int, form: RevealForm) -> dict[str, Any]:
    return {
        "partner_id": partner_id,
        "cardholder_id": cardholder_id,
        "reveal_form": form,
        "revealed": None,
        "force_code": False,
        "can": rights(partner_id),
    }


def inline_code_due(cardholder_id: int, typed: str) -> bool:
    """The CMS kept this record masked after a step-up: its code goes with the request itself, and the CMS's
    answer is the check (the flag is the server's own, set by `reveal_answer`; a form cannot claim it)."""
    return bool(typed) and session.get(REVEAL_INLINE_KEY) == target_of(cardholder_id)


def reveal_answer(
    partner_id: int, cardholder_id: int, context: dict[str, Any], *, inline_code: str, inline_due: bool
) -> Response:
    """The record fetched unmasked (with the code inline when due) and shown once; every outcome audited."""
    context["reveal_form"].otp.data = ""  # never render a code back
    if inline_code:
        check_code_allowed(operator(), action=REVEAL)
    try:
        record = load(partner_id, cardholder_id, otp=inline_code or None)
    except errors.ValidationFailed as exc:  # an inline code the CMS refused
        count_refused_code(operator())
        expired = exc.code == "8007"
        message = _("The code has expired. Send a new one.") if expired else _("The code is not valid.")
        return _ask_code(context, message)
    target = target_of(cardholder_id)
    if record.pii_masked:
        # The CMS kept it masked: this account needs a code with the request itself.
        session[REVEAL_INLINE_KEY] = target
        record_event("cardholder_pii_reveal", outcome="refused", target=target, partner_id=partner_id)
        message = _("The CMS asks for a fresh code to show this data: send one and enter it.")
        return _ask_code(context, message)
    session.pop(REVEAL_INLINE_KEY, None)
    if inline_due:
        record_step_up(REVEAL)  # the CMS took the fresh code with the request
    record_event(
        "cardholder_pii_reveal",
        outcome="success",
        target=target,
        partner_id=partner_id,
        detail={"fields": ["documentNumber", "phoneNumber", "email"]},
    )
    context["revealed"] = {
        "email": record.email or "",
        "phone": record.phone_number or "",
        "document": record.document_number or "",
        "document_type": record.document_type or "",
    }
    return render("cardholders/reveal.html", **context)


def _ask_code(context: dict[str, Any], message: str) -> Response:
    """The reveal form again, asking for a code typed into it (the CMS checks it with the request)."""
    context["force_code"] = True
    context["reveal_form"].otp.errors = [message]
    return render("cardholders/reveal.html", status=FORM_INVALID, **context)
