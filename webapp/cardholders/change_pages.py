"""Changes to an existing cardholder: the edit form, the close confirmation and the card actions, with the
write each one sends and what each outcome shows. None of them has a form key: an edit or a block sent twice
leaves the record as once."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from flask import Response, flash, url_for
from werkzeug.wrappers import Response as BaseResponse

from webapp.auth.drafts import pop_draft
from webapp.auth.token_holder import SessionTokenHolder
from webapp.cardholders.forms import (
    BlockCardForm,
    CloseCardholderForm,
    ConfirmCardForm,
    EditCardholderForm,
)
from webapp.cardholders.history import target_of
from webapp.cardholders.record_pages import card_view, detail_url, masked_pii
from webapp.cms import errors
from webapp.cms.models import Card, Cardholder
from webapp.form_errors import place_cms_errors
from webapp.history import masked_fields
from webapp.htmx import FORM_INVALID, redirect_after_post, render
from webapp.submit_once import Created, Outcome, Refused, Unknown, Write
from webapp.textmarks import gettext as _
from webapp.upstream import cms


def _answer(
    outcome: Outcome[Any], form: Any, again: Callable[..., Response], done: str, url: str
) -> BaseResponse:
    """`done` flashed on the way to `url`, or the form `again` with the CMS's refusal beside its fields. Any
    other failure (unknown, unavailable, forbidden) is raised, so it shows the error page as a read would; no
    form key here, so there is no earlier submission to show."""
    match outcome:
        case Created():
            flash(done, "success")
            return redirect_after_post(url)
        case Refused(error=errors.ValidationFailed() | errors.Conflict() as refusal):
            return again(status=FORM_INVALID, form_errors=place_cms_errors(form, refusal))
        case Unknown(error=failure) | Refused(error=failure):
            raise failure
    raise AssertionError(f"a write without a form key has no earlier submission: {outcome!r}")


# -- edit ---------------------------------------------------------------------------------------------------


def current_values(record: Cardholder) -> dict[str, str]:
    """The editable values as text, PII included only to compare against (never rendered from here)."""
    return {
        "name": record.name,
        "lastName": record.last_name,
        "address": record.address or "",
        "countryOfBirth": record.country_of_birth or "",
        "dateOfBirth": record.date_of_birth.isoformat() if record.date_of_birth else "",
        "maritalStatus": record.marital_status or "",
        "gender": record.gender or "",
        "phoneNumber": "" if record.pii_masked else record.phone_number or "",
        "email": "" if record.pii_masked else record.email or "",
    }


def edit_form(record: Cardholder) -> EditCardholderForm:
    """The form filled with the record (never its phone or email) and any draft kept at a sign-out."""
    current = current_values(record)
    shown = {name: value for name, value in current.items() if name not in ("phoneNumber", "email")}
    return EditCardholderForm(formdata=None, data={**shown, **(pop_draft() or {})})


def edit_page(partner_id: int, record: Cardholder, form: EditCardholderForm, **extra: Any) -> Response:
    return render(
        "cardholders/form.html",
        status=extra.pop("status", 200),
        partner_id=partner_id,
        form=form,
        mode="edit",
        record=record,
        pii=masked_pii(record),
        action=url_for(".edit", partner_id=partner_id, cardholder_id=record.cardholder_id),
        free_cards=[],
        form_errors=extra.pop("form_errors", []),
        outcome_unknown=False,
    )


def update_write(partner_id: int, record: Cardholder, changes: dict[str, object]) -> Write[Cardholder]:
    cardholder_id = record.cardholder_id
    # Masked before they reach the store (webapp/history.py); phone and email come from the record itself,
    # which `current_values` leaves empty when the CMS answered them masked.
    before = {**current_values(record), "phoneNumber": record.phone_number or "", "email": record.email or ""}
    return Write(
        event="cardholder_update",
        partner_id=partner_id,
        send=lambda: cms().cardholders.update(SessionTokenHolder(), partner_id, cardholder_id, changes),
        target=target_of(cardholder_id),
        detail={"fields": sorted(changes)},
        success_detail=lambda _updated: {
            "before": masked_fields({name: before.get(name, "") for name in changes}),
            "after": masked_fields(changes),
        },
    )


def edit_answer(
    partner_id: int, record: Cardholder, form: EditCardholderForm, outcome: Outcome[Cardholder]
) -> BaseResponse:
    again = partial(edit_page, partner_id, record, form)
    return _answer(outcome, form, again, _("Changes saved."), detail_url(partner_id, record.cardholder_id))


# -- close --------------------------------------------------------------------------------------------------


def close_page(partner_id: int, record: Cardholder, form: CloseCardholderForm, **extra: Any) -> Response:
    live_cards = [c for c in record.cards if c.status != "cancelled"]
    return render(
        "cardholders/close.html",
        status=extra.pop("status", 200),
        partner_id=partner_id,
        record=record,
        form=form,
        live_cards=[card_view(c, show_bin=True) for c in live_cards],
        live_count=len(live_cards) if record.cards else None,
        form_errors=extra.pop("form_errors", []),
    )


def close_write(partner_id: int, cardholder_id: int, reason: str) -> Write[Cardholder]:
    return Write(
        event="cardholder_close",
        partner_id=partner_id,
        send=lambda: cms().cardholders.close(SessionTokenHolder(), partner_id, cardholder_id, reason),
        target=target_of(cardholder_id),
        success_detail=lambda closed: {
            "cards_cancelled": sum(1 for c in closed.cards if c.status == "cancelled"),
            "reason": reason,
        },
    )


def close_answer(
    partner_id: int, record: Cardholder, form: CloseCardholderForm, outcome: Outcome[Cardholder]
) -> BaseResponse:
    if isinstance(outcome, Refused) and isinstance(outcome.error, errors.OtpRequired):
        form.otp.errors = [_("This action needs a fresh code: send one and enter it.")]
        return close_page(partner_id, record, form, status=FORM_INVALID)
    done = _("Cardholder closed. Their cards are cancelled.")
    again = partial(close_page, partner_id, record, form)
    return _answer(outcome, form, again, done, detail_url(partner_id, record.cardholder_id))


# -- card actions -------------------------------------------------------------------------------------------

CARD_ACTIONS = ("activate", "block", "unblock")
CardForm = BlockCardForm | ConfirmCardForm


def card_action_context(partner_id: int, record: Cardholder, card: Card, action: str) -> dict[str, Any]:
    """The confirmation page's context, with the form the action takes (a block asks for a reason)."""
    form: CardForm = BlockCardForm() if action == "block" else ConfirmCardForm()
    return {
        "partner_id": partner_id,
        "record": record,
        "card": card_view(card, show_bin=True),
        "action": action,
        "form": form,
        "form_errors": [],
    }


def card_write(partner_id: int, cardholder_id: int, card_id: int, action: str, form: CardForm) -> Write[Card]:
    reason = form.reason.data if isinstance(form, BlockCardForm) else ""

    def send() -> Card:
        cards, holder = cms().cards, SessionTokenHolder()
        if action == "activate":
            return cards.activate(holder, partner_id, card_id)
        if action == "block":
            return cards.block(holder, partner_id, card_id, reason)
        return cards.unblock(holder, partner_id, card_id)

    return Write(
        event=f"card_{action}",
        partner_id=partner_id,
        send=send,
        target=target_of(cardholder_id),
        detail={"card_id": card_id},
        success_detail=lambda _card: {"reason": reason} if reason else {},
    )


def card_action_page(context: dict[str, Any], **extra: Any) -> Response:
    return render("cardholders/card_action.html", **{**context, **extra})


def card_answer(context: dict[str, Any], outcome: Outcome[Card]) -> BaseResponse:
    done = {
        "activate": _("Card activated."),
        "block": _("Card blocked."),
        "unblock": _("Card unblocked."),
    }[context["action"]]
    url = detail_url(context["partner_id"], context["record"].cardholder_id)
    return _answer(outcome, context["form"], partial(card_action_page, context), done, url)
