"""The create form: its page, the write it sends (at most once per form key) and what each outcome shows."""

from __future__ import annotations

from typing import Any

from flask import Response, flash, url_for
from werkzeug.wrappers import Response as BaseResponse

from webapp.auth.token_holder import SessionTokenHolder
from webapp.cardholders.forms import CreateCardholderForm
from webapp.cardholders.history import target_of
from webapp.cardholders.list_page import LIST_FAILURES
from webapp.cardholders.masking import mask_pan
from webapp.cardholders.record_pages import detail_url
from webapp.cardholders.rights import operator
from webapp.cms import errors
from webapp.cms.models import Cardholder
from webapp.form_errors import place_cms_errors
from webapp.htmx import FORM_INVALID, redirect_after_post, render
from webapp.parsing import parse_id
from webapp.store import submissions
from webapp.submit_once import AlreadyDone, Created, InFlight, Outcome, Refused, Unknown, Write
from webapp.textmarks import gettext as _
from webapp.upstream import cms, offers

# The CMS's answer when this key already went upstream with other data: the form starts a new submission.
KEY_REUSED = "8022"


def free_cards(partner_id: int) -> list[dict[str, Any]]:
    """A few free cards of the partner to pick from; none (the field stays plain) without the right."""
    if not operator().can(partner_id, "cards-admin", "detail") or not offers("partner-cards"):
        return []
    try:
        page = cms().cards.free(SessionTokenHolder(), partner_id, page=1, limit=25)
    except (*LIST_FAILURES, errors.CapabilityMissing):
        return []
    return [{"id": c.card_id, "pan": mask_pan(c.masked_pan, c.last4, show_bin=True)} for c in page.items]


def create_page(partner_id: int, form: CreateCardholderForm, *, status: int = 200, **extra: Any) -> Response:
    return render(
        "cardholders/form.html",
        status=status,
        partner_id=partner_id,
        form=form,
        mode="create",
        action=url_for(".create", partner_id=partner_id),
        free_cards=free_cards(partner_id),
        form_errors=extra.pop("form_errors", []),
        outcome_unknown=extra.pop("outcome_unknown", False),
        **extra,
    )


def create_write(partner_id: int, form: CreateCardholderForm, key: str) -> Write[Cardholder]:
    payload = form.payload()

    def send() -> Cardholder:
        return cms().cardholders.create(SessionTokenHolder(), partner_id, payload, idempotency_key=key)

    return Write(
        event="cardholder_create",
        partner_id=partner_id,
        send=send,
        ref=lambda created: target_of(created.cardholder_id),
        success_detail=lambda created: {
            "card_id": created.cards[0].card_id if created.cards else payload["cardId"]
        },
    )


def create_answer(partner_id: int, form: CreateCardholderForm, outcome: Outcome[Cardholder]) -> BaseResponse:
    """The created cardholder's page, or the form again with what became of it."""
    match outcome:
        case Created(value=created):
            flash(_("Cardholder created."), "success")
            return redirect_after_post(detail_url(partner_id, created.cardholder_id))
        case AlreadyDone(ref=ref) if (created_id := parse_id(ref.rpartition(":")[2])) is not None:
            # A second submit of the same form (double click, reload, back and submit): never a second create.
            flash(_("This form was already submitted: here is the cardholder it created."), "info")
            return redirect_after_post(detail_url(partner_id, created_id))
        case InFlight(foreign=True):
            form.idempotency_key.data = submissions.new_key()
            message = _("This form could not be matched to your session. Check the data and submit again.")
            return create_page(partner_id, form, status=FORM_INVALID, form_errors=[message])
        case AlreadyDone() | InFlight():
            message = _("This form is already being submitted. Check the list before submitting again.")
            return create_page(partner_id, form, status=FORM_INVALID, form_errors=[message])
        case Unknown():
            return create_page(partner_id, form, status=FORM_INVALID, outcome_unknown=True)
        case Refused(error=errors.ValidationFailed() | errors.Conflict() as refusal):
            if refusal.code == KEY_REUSED:
                form.idempotency_key.data = submissions.new_key()
            leftovers = place_cms_errors(form, refusal)
            return create_page(partner_id, form, status=FORM_INVALID, form_errors=leftovers)
        case Refused(error=failure):
            raise failure  # the error page, as for any page: nothing was created and the key is free again
