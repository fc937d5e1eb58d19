"""Cardholder routes: list and search, export, detail with reveal, create, edit, close and card actions.

Each route parses input and hands over: the list and export to `list_page`, the record's pages to
`record_pages`, the writes to `create_page` and `change_pages`, which send them through the one write path
(webapp/submit_once.py). The access gate has already checked the partner and the permission named by
`@requires` before any of them runs, so a partner the operator is not assigned to never reaches upstream.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from flask import Blueprint, Response, abort, flash, request, session, url_for
from werkzeug.wrappers import Response as BaseResponse

from webapp.access import requires
from webapp.auth.drafts import pop_draft
from webapp.cardholders import change_pages as changes
from webapp.cardholders import export as exporting
from webapp.cardholders.create_page import create_answer, create_page, create_write
from webapp.cardholders.forms import CloseCardholderForm, CreateCardholderForm, EditCardholderForm, RevealForm
from webapp.cardholders.labels import LABEL_HELPERS
from webapp.cardholders.list_page import export_file, list_page
from webapp.cardholders.listing import ListState, clean_search, recall_search, remember_search
from webapp.cardholders.record_pages import (
    REVEAL,
    detail_context,
    detail_url,
    inline_code_due,
    load,
    reveal_answer,
    reveal_context,
)
from webapp.htmx import FORM_INVALID, is_htmx, redirect, redirect_after_post, render
from webapp.step_up import complete_step_up, needs_step_up
from webapp.submit_once import fresh_key, submit_once
from webapp.textmarks import gettext as _

bp = Blueprint("cardholders", __name__, url_prefix="/p/<int:partner_id>/cardholders")


@bp.context_processor
def _labels() -> dict[str, Any]:
    return LABEL_HELPERS


# -- list and export ----------------------------------------------------------------------------------------


@bp.get("/")
@requires("cardholders", "list")
def index(partner_id: int) -> Response:
    state = ListState.from_args(request.args)
    search = recall_search(session, state.search_id)
    lost = bool(state.search_id) and search is None
    if lost:
        state = replace(state, search_id="")
    if session.get("partner_id") != partner_id:  # an unchanged session is not written back
        session["partner_id"] = partner_id
    return list_page(partner_id, state, search or "", lost_search=lost)


@bp.post("/search")
@requires("cardholders", "list")
def search(partner_id: int) -> BaseResponse:
    """The search text arrives in a POST body and is kept server-side; the URL gets only its id."""
    text = clean_search(request.form.get("q"))
    state = replace(ListState.from_args(request.form), page=1, search_id=remember_search(session, text))
    url = url_for(".index", partner_id=partner_id, **state.query())  # type: ignore[arg-type]
    if not is_htmx():
        return redirect(url)
    response = list_page(partner_id, state, text)
    response.headers["HX-Push-Url"] = url
    return response


@bp.post("/export")
@requires("cardholders", "list")
def export(partner_id: int) -> Response:
    """The filtered list, masked as on screen. POST because the filter may name a person."""
    fmt = request.form.get("format", "")
    if fmt not in exporting.FORMATS:
        abort(400)
    state = ListState.from_args(request.form)
    return export_file(partner_id, fmt, state, recall_search(session, state.search_id) or "")


# -- detail and reveal --------------------------------------------------------------------------------------


@bp.get("/<int:cardholder_id>")
@requires("cardholders", "detail")
def detail(partner_id: int, cardholder_id: int) -> Response:
    record = load(partner_id, cardholder_id)
    return render("cardholders/detail.html", **detail_context(partner_id, record))


@bp.post("/<int:cardholder_id>/reveal")
@requires("cardholders", "otp")
def reveal(partner_id: int, cardholder_id: int) -> Response:
    """Full document, phone and email, shown once in this answer and never stored; every reveal is audited."""
    form = RevealForm()
    context = reveal_context(partner_id, cardholder_id, form)
    typed = (form.otp.data or "").strip()
    inline_due = inline_code_due(cardholder_id, typed)
    inline_code = typed if inline_due or not needs_step_up() else ""
    if not form.validate() or (not inline_due and not complete_step_up(form, action=REVEAL)):
        return render("cardholders/reveal.html", status=FORM_INVALID, **context)
    return reveal_answer(partner_id, cardholder_id, context, inline_code=inline_code, inline_due=inline_due)


# -- create, edit, close ------------------------------------------------------------------------------------


@bp.route("/new", methods=["GET", "POST"])
@requires("cardholders", "create")
def create(partner_id: int) -> BaseResponse:
    if request.method == "GET":
        form = CreateCardholderForm(formdata=None, data=pop_draft() or {})
        form.idempotency_key.data = fresh_key(form.idempotency_key.data)
        return create_page(partner_id, form)
    form = CreateCardholderForm()
    key = form.idempotency_key.data = fresh_key(form.idempotency_key.data)
    if not form.validate():
        return create_page(partner_id, form, status=FORM_INVALID)
    outcome = submit_once(create_write(partner_id, form, key), key)
    return create_answer(partner_id, form, outcome)


@bp.route("/<int:cardholder_id>/edit", methods=["GET", "POST"])
@requires("cardholders", "update")
def edit(partner_id: int, cardholder_id: int) -> BaseResponse:
    record = load(partner_id, cardholder_id)
    if request.method == "GET":
        return changes.edit_page(partner_id, record, changes.edit_form(record))
    form = EditCardholderForm()
    if not form.validate():
        return changes.edit_page(partner_id, record, form, status=FORM_INVALID)
    changed = form.changes(changes.current_values(record))
    if not changed:
        flash(_("Nothing changed."), "info")
        return redirect_after_post(detail_url(partner_id, cardholder_id))
    outcome = submit_once(changes.update_write(partner_id, record, changed))
    return changes.edit_answer(partner_id, record, form, outcome)


@bp.route("/<int:cardholder_id>/close", methods=["GET", "POST"])
@requires("cardholders", "update")
def close(partner_id: int, cardholder_id: int) -> BaseResponse:
    record = load(partner_id, cardholder_id)
    if record.status == "closed":
        flash(_("This cardholder is already closed."), "info")
        return redirect_after_post(detail_url(partner_id, cardholder_id))
    if request.method == "GET":
        return changes.close_page(partner_id, record, CloseCardholderForm(formdata=None))
    form = CloseCardholderForm()
    if not form.validate() or not complete_step_up(form, action="cardholder_close"):
        return changes.close_page(partner_id, record, form, status=FORM_INVALID)
    outcome = submit_once(changes.close_write(partner_id, cardholder_id, form.reason.data))
    return changes.close_answer(partner_id, record, form, outcome)


# -- card actions -------------------------------------------------------------------------------------------


def _card_action(partner_id: int, cardholder_id: int, card_id: int, action: str) -> BaseResponse:
    """Confirm (GET), then act (POST), on a card that belongs to this cardholder."""
    record = load(partner_id, cardholder_id)
    card = next((c for c in record.cards if c.card_id == card_id), None)
    if card is None:
        abort(404)
    context = changes.card_action_context(partner_id, record, card, action)
    if request.method == "GET":
        return changes.card_action_page(context)
    form = context["form"]
    if not form.validate():
        return changes.card_action_page(context, status=FORM_INVALID)
    outcome = submit_once(changes.card_write(partner_id, cardholder_id, card_id, action, form))
    return changes.card_answer(context, outcome)


@bp.route("/<int:cardholder_id>/cards/<int:card_id>/activate", methods=["GET", "POST"])
@requires("cards-admin", "activate")
def activate_card(partner_id: int, cardholder_id: int, card_id: int) -> BaseResponse:
    return _card_action(partner_id, cardholder_id, card_id, "activate")


@bp.route("/<int:cardholder_id>/cards/<int:card_id>/block", methods=["GET", "POST"])
@requires("cards-admin", "block")
def block_card(partner_id: int, cardholder_id: int, card_id: int) -> BaseResponse:
    return _card_action(partner_id, cardholder_id, card_id, "block")


@bp.route("/<int:cardholder_id>/cards/<int:card_id>/unblock", methods=["GET", "POST"])
@requires("cards-admin", "unblock")
def unblock_card(partner_id: int, cardholder_id: int, card_id: int) -> BaseResponse:
    return _card_action(partner_id, cardholder_id, card_id, "unblock")
