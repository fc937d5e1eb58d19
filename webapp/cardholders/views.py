"""Cardholder pages: list and search, detail with reveal, create, edit, close, card actions and export.

Each view parses input, calls the CMS client and renders or redirects. The access gate has already checked
the partner and the permission named by `@requires` before any of them runs, so a partner the operator is
not assigned to never reaches upstream.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime, tzinfo
from functools import partial
from typing import Any, NamedTuple
from urllib.parse import urlencode

from flask import Blueprint, Response, abort, flash, request, session, stream_with_context, url_for
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse

from webapp.access import Operator, requires
from webapp.auth.drafts import pop_draft
from webapp.auth.token_holder import SessionTokenHolder
from webapp.cardholders import export as exporting
from webapp.cardholders import phones
from webapp.cardholders.forms import (
    BlockCardForm,
    CloseCardholderForm,
    ConfirmCardForm,
    CreateCardholderForm,
    EditCardholderForm,
    RevealForm,
    phone_region,
)
from webapp.cardholders.history import cardholder_history, target_of
from webapp.cardholders.labels import LABEL_HELPERS, cardholder_status_label, document_label
from webapp.cardholders.listing import (
    PAGE_SIZES,
    SORT_FIELDS,
    STATUSES,
    ListState,
    clean_search,
    recall_search,
    remember_search,
)
from webapp.cardholders.masking import mask_document, mask_email, mask_pan, mask_phone
from webapp.cms import errors
from webapp.cms.models import Card, Cardholder, CardholderSummary
from webapp.cms.pagination import Page
from webapp.files.export import content_disposition
from webapp.formatting import day, day_formatter, display_zone
from webapp.history import masked_fields
from webapp.htmx import hx_redirect, is_htmx, redirect, render
from webapp.parsing import parse_id
from webapp.step_up import (
    check_code_allowed,
    complete_step_up,
    count_refused_code,
    needs_step_up,
    record_step_up,
)
from webapp.store import submissions
from webapp.store.audit import record_event
from webapp.textmarks import gettext as _
from webapp.upstream import cms, offers

bp = Blueprint("cardholders", __name__, url_prefix="/p/<int:partner_id>/cardholders")


@bp.context_processor
def _labels() -> dict[str, Any]:
    return LABEL_HELPERS


RESULTS_TARGET = "cardholder-results"
CREATE_KIND = "cardholder_create"
# Failures where nothing reached the CMS, or the CMS gave no usable answer: the list shows them in place.
LIST_FAILURES = (
    errors.UpstreamUnavailable,
    errors.UpstreamTimeout,
    errors.CircuitOpen,
    errors.ServerError,
    errors.BadUpstreamResponse,
    errors.RateLimited,
)
# After these the create may or may not exist upstream: keep the key so a retry replays, never duplicates.
OUTCOME_UNKNOWN = (errors.UpstreamTimeout, errors.ServerError, errors.BadUpstreamResponse)
CARD_ACTIONS = ("activate", "block", "unblock")


def _operator() -> Operator:
    operator: Operator = current_user  # the access gate guarantees it
    return operator


def _form_status() -> int:
    """A refused form: 422 for a plain POST; htmx swaps only 2xx quietly, so it gets 200."""
    return 200 if is_htmx() else 422


def _back_to(url: str) -> BaseResponse:
    return hx_redirect(url) if is_htmx() else redirect(url)


class Rights(NamedTuple):
    """What the operator may do with this partner's cardholders, as the templates' `can`.

    Named fields, not a dict: Jinja reads `can.detail` as an attribute first, and on a dict every such read
    fails over to the item through an exception (the list read it once per row)."""

    create: bool
    detail: bool
    update: bool
    reveal: bool
    cards: bool
    activate: bool
    block: bool
    unblock: bool


_RIGHT_PERMISSIONS: dict[str, tuple[str, str]] = {
    "create": ("cardholders", "create"),
    "detail": ("cardholders", "detail"),
    "update": ("cardholders", "update"),
    "reveal": ("cardholders", "otp"),
    "cards": ("cards-admin", "detail"),
    "activate": ("cards-admin", "activate"),
    "block": ("cards-admin", "block"),
    "unblock": ("cards-admin", "unblock"),
}


# Rights that also need an assumed CMS operation (webapp/cms/capabilities.py): off once the CMS lacks it.
_RIGHT_CAPABILITIES: dict[str, str] = {
    "update": "cardholder-changes",
    "activate": "card-actions",
    "block": "card-actions",
    "unblock": "card-actions",
}


def _permissions(partner_id: int) -> Rights:
    operator = _operator()
    return Rights(
        **{
            name: operator.can(partner_id, *pair)
            and (name not in _RIGHT_CAPABILITIES or offers(_RIGHT_CAPABILITIES[name]))
            for name, pair in _RIGHT_PERMISSIONS.items()
        }
    )


# -- list ---------------------------------------------------------------------------------------------------


STATUS_KINDS = {"active": "ok", "inactive": "warning", "closed": "neutral"}


class ListRow(NamedTuple):
    """One list row, masked and formatted by the view.

    A tuple, not a dict: Jinja reads `row.name` as an attribute first, and on a dict every such read fails
    over to the item through an exception (550 of them a page)."""

    id: int
    url: str  # the detail page, or "" when the operator may not open it
    name: str
    last_name: str
    email: str
    phone: str
    document_type: str
    document: str
    status: str
    status_label: str
    kind: str
    cards: int | None
    created: str
    matched: str  # "Matched: Phone" under a search, "" otherwise


def _row(
    item: CardholderSummary,
    detail_base: str,
    status_labels: Mapping[str, str],
    matched: str = "",
    days: Callable[[datetime], str] | None = None,
) -> ListRow:
    """One list row, masked and formatted here: the template only places the values (it runs 50 times).

    `detail_base` is the detail URL without its id ("" for no link), `status_labels` are translated and `days`
    writes the display zone's calendar day (webapp/formatting.py `day_formatter`), all made once per page."""
    shown_day = days or day
    return ListRow(
        id=item.cardholder_id,
        url=f"{detail_base}{item.cardholder_id}" if detail_base else "",
        name=item.name,
        last_name=item.last_name,
        email=mask_email(item.email),
        phone=mask_phone(item.phone_number),
        document_type=document_label(item.document_type),
        document=mask_document(item.document_number),
        status=item.status,
        status_label=status_labels.get(item.status, item.status),
        kind=STATUS_KINDS.get(item.status, "neutral"),
        cards=item.card_count,
        created=shown_day(item.created_at) if item.created_at else "",
        matched=matched,
    )


def _sent_search(search: str) -> str:
    """What goes upstream as `searchText`: a phone as people say it ("5550-1234") becomes the stored form
    ("50255501234"), which the CMS matches; any other text goes as typed."""
    return phones.search_form(search, phone_region()) if search else ""


class MatchBadges:
    """Which of the searched fields a row matched, as the list's badge text: the CMS says only that a row
    matches, so the console applies the documented rule (part of the email, phone or document number, case
    aside) to the values it was sent. One instance per page; the texts are built once per combination."""

    def __init__(self, sent: str) -> None:
        self.needle = sent.casefold()
        self.labels = (_("Email"), _("Phone"), _("Document"))
        self.texts: dict[tuple[bool, bool, bool], str] = {}

    def __call__(self, item: CardholderSummary) -> str:
        needle = self.needle
        if not needle:
            return ""
        key = (
            needle in (item.email or "").casefold(),
            needle in (item.phone_number or ""),
            needle in (item.document_number or "").casefold(),
        )
        text = self.texts.get(key)
        if text is None:
            fields = [label for label, hit in zip(self.labels, key, strict=True) if hit]
            text = self.texts[key] = _("Matched: %(fields)s", fields=", ".join(fields)) if fields else ""
        return text


# Werkzeug's own safe set for query strings, so a link built here is the one `url_for` would build.
_QUERY_SAFE = "!$'()*,/:;?@"


def _list_url(base: str, query: Mapping[str, str | int]) -> str:
    """This list in another state (a sort, a page): the template needs eight of these a page, and one
    `url_for` for the path plus the query string is the same URL for a fraction of a routing build each."""
    return f"{base}?{urlencode(query, safe=_QUERY_SAFE)}" if query else base


def _fetch(partner_id: int, state: ListState, search: str, page: int, limit: int) -> Page[CardholderSummary]:
    return cms().cardholders.list(
        SessionTokenHolder(),
        partner_id,
        page=page,
        limit=limit,
        search=_sent_search(search) or None,
        sort_by=state.sort,
        sort_order=state.order,
        status=state.status or None,
    )


def _list_page(partner_id: int, state: ListState, search: str, *, lost_search: bool = False) -> Response:
    page: Page[CardholderSummary] | None = None
    failure: str | None = None
    try:
        page = _fetch(partner_id, state, search, state.page, state.limit)
    except LIST_FAILURES as exc:
        failure = exc.message
    results_only = is_htmx() and request.headers.get("HX-Target") == RESULTS_TARGET
    can = _permissions(partner_id)
    detail_base = url_for(".detail", partner_id=partner_id, cardholder_id=0)[:-1] if can.detail else ""
    status_labels = {status: cardholder_status_label(status) for status in STATUSES}
    badge = MatchBadges(_sent_search(search))
    days = day_formatter()
    return render(
        "cardholders/index.html",
        status=503 if failure and not is_htmx() else 200,
        partner_id=partner_id,
        state=state,
        search_text=search,
        lost_search=lost_search,
        page=page,
        rows=[_row(item, detail_base, status_labels, badge(item), days) for item in page.items]
        if page
        else [],
        failure=failure,
        results_only=results_only,
        can=can,
        sort_fields=SORT_FIELDS,
        statuses=STATUSES,
        status_labels=status_labels,
        list_url=partial(_list_url, url_for(".index", partner_id=partner_id)),
        page_sizes=PAGE_SIZES,
    )


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
    return _list_page(partner_id, state, search or "", lost_search=lost)


@bp.post("/search")
@requires("cardholders", "list")
def search(partner_id: int) -> BaseResponse:
    """The search text arrives in a POST body and is kept server-side; the URL gets only its id."""
    text = clean_search(request.form.get("q"))
    state = replace(ListState.from_args(request.form), page=1, search_id=remember_search(session, text))
    url = url_for(".index", partner_id=partner_id, **state.query())  # type: ignore[arg-type]
    if not is_htmx():
        return redirect(url)
    response = _list_page(partner_id, state, text)
    response.headers["HX-Push-Url"] = url
    return response


# -- export -------------------------------------------------------------------------------------------------


@bp.post("/export")
@requires("cardholders", "list")
def export(partner_id: int) -> Response:
    """The filtered list, masked as on screen. POST because the filter may name a person."""
    fmt = request.form.get("format", "")
    if fmt not in exporting.FORMATS:
        abort(400)
    state = ListState.from_args(request.form)
    search = recall_search(session, state.search_id) or ""
    first = _fetch(partner_id, state, search, 1, exporting.PAGE_LIMIT)  # fails here, before any byte is sent

    def fetch(page_no: int, limit: int) -> Page[CardholderSummary]:
        return first if page_no == 1 else _fetch(partner_id, state, search, page_no, limit)

    record_event(
        "cardholder_export",
        outcome="success",
        partner_id=partner_id,
        detail={
            "format": fmt,
            "searched": bool(search),
            "status": state.status or "all",
            "rows": min(first.total, exporting.MAX_ROWS),
        },
    )
    stem = f"cardholders-{partner_id}-{datetime.now(UTC):%Y%m%d-%H%M}"
    headers = {"Content-Disposition": content_disposition(stem, fmt)}
    if fmt == "csv":
        body = stream_with_context(_csv_or_note(exporting.summaries(fetch)))
    else:
        body = exporting.file_chunks(exporting.xlsx_file(exporting.summaries(fetch), *_export_shape()))
    return Response(body, mimetype=exporting.MIME_TYPES[fmt], headers=headers)


def _export_shape() -> tuple[list[str], exporting.Labels, tzinfo]:
    """Headers, value names and time zone of an export: the list's own, in the reader's language."""
    zone = display_zone()
    columns = exporting.header(_, getattr(zone, "key", str(zone)))
    return columns, exporting.Labels(cardholder_status_label, document_label), zone


def _csv_or_note(items: Any) -> Any:
    """The CSV stream; if the CMS fails half-way the file ends with a line saying so, never silently short."""
    stream = exporting.csv_stream(items, *_export_shape())
    try:
        yield from stream
    except errors.CmsError:
        yield b"\r\nEXPORT INCOMPLETE: the CMS stopped answering; export again.\r\n"


# -- detail and reveal --------------------------------------------------------------------------------------


def _card_view(card: Card, *, show_bin: bool) -> dict[str, Any]:
    return {
        "id": card.card_id,
        "pan": mask_pan(card.masked_pan, card.last4, show_bin=show_bin),
        "status": card.status,
        "balance": card.balance,
        "currency": card.currency or "",
        "expires_at": card.expires_at or "",
    }


def _masked_pii(record: Cardholder) -> dict[str, str]:
    """Always masked by the console, whatever the CMS sent: revealing is its own, audited action."""
    return {
        "email": mask_email(record.email),
        "phone": mask_phone(record.phone_number),
        "document": mask_document(record.document_number),
    }


def _load(partner_id: int, cardholder_id: int, otp: str | None = None) -> Cardholder:
    return cms().cardholders.detail(SessionTokenHolder(), partner_id, cardholder_id, otp=otp)


def _detail_context(partner_id: int, record: Cardholder) -> dict[str, Any]:
    can = _permissions(partner_id)
    cards = [_card_view(card, show_bin=can.cards) for card in record.cards]
    return {
        "partner_id": partner_id,
        "record": record,
        "pii": _masked_pii(record),
        "cards": cards,
        "history": cardholder_history(
            partner_id, record.cardholder_id, cards={c["id"]: c["pan"] for c in cards}
        ),
        "can": can,
        "reveal_form": RevealForm(formdata=None),
        "revealed": None,
        "force_code": False,
    }


@bp.get("/<int:cardholder_id>")
@requires("cardholders", "detail")
def detail(partner_id: int, cardholder_id: int) -> Response:
    record = _load(partner_id, cardholder_id)
    return render("cardholders/detail.html", **_detail_context(partner_id, record))


# Set when the CMS kept a record masked after a step-up: the next code for it goes with the request itself.
REVEAL_INLINE_KEY = "reveal_inline"


@bp.post("/<int:cardholder_id>/reveal")
@requires("cardholders", "otp")
def reveal(partner_id: int, cardholder_id: int) -> Response:
    """Full document, phone and email, shown once in this answer and never stored; every reveal is audited."""
    form = RevealForm()
    context: dict[str, Any] = {
        "partner_id": partner_id,
        "cardholder_id": cardholder_id,
        "reveal_form": form,
        "revealed": None,
        "force_code": False,
        "can": _permissions(partner_id),
    }
    target = target_of(cardholder_id)
    typed = (form.otp.data or "").strip()
    # The CMS kept this record masked after a step-up: its code goes with the request itself, and the CMS's
    # answer is the check (the flag is the server's own, set below; a form cannot claim it).
    inline_due = bool(typed) and session.get(REVEAL_INLINE_KEY) == target
    inline_code = typed if inline_due or not needs_step_up() else ""
    if not form.validate() or (not inline_due and not complete_step_up(form, action="cardholder_pii_reveal")):
        return render("cardholders/reveal.html", status=_form_status(), **context)
    form.otp.data = ""  # never render a code back
    if inline_code:
        check_code_allowed(_operator(), action="cardholder_pii_reveal")
    try:
        record = _load(partner_id, cardholder_id, otp=inline_code or None)
    except errors.ValidationFailed as exc:  # an inline code the CMS refused
        count_refused_code(_operator())
        form.otp.errors = [
            _("The code has expired. Send a new one.") if exc.code == "8007" else _("The code is not valid.")
        ]
        context["force_code"] = True
        return render("cardholders/reveal.html", status=_form_status(), **context)
    if record.pii_masked:
        # The CMS kept it masked: this account needs a code with the request itself.
        session[REVEAL_INLINE_KEY] = target
        record_event("cardholder_pii_reveal", outcome="refused", target=target, partner_id=partner_id)
        context["force_code"] = True
        form.otp.errors = [_("The CMS asks for a fresh code to show this data: send one and enter it.")]
        return render("cardholders/reveal.html", status=_form_status(), **context)
    session.pop(REVEAL_INLINE_KEY, None)
    if inline_due:
        record_step_up("cardholder_pii_reveal")  # the CMS took the fresh code with the request
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


# -- create -------------------------------------------------------------------------------------------------


def _free_cards(partner_id: int) -> list[dict[str, Any]]:
    """A few free cards of the partner to pick from; none (the field stays plain) without the right."""
    if not _operator().can(partner_id, "cards-admin", "detail") or not offers("partner-cards"):
        return []
    try:
        page = cms().cards.free(SessionTokenHolder(), partner_id, page=1, limit=25)
    except (*LIST_FAILURES, errors.CapabilityMissing):
        return []
    return [{"id": c.card_id, "pan": mask_pan(c.masked_pan, c.last4, show_bin=True)} for c in page.items]


def _create_page(partner_id: int, form: CreateCardholderForm, *, status: int = 200, **extra: Any) -> Response:
    return render(
        "cardholders/form.html",
        status=status,
        partner_id=partner_id,
        form=form,
        mode="create",
        action=url_for(".create", partner_id=partner_id),
        free_cards=_free_cards(partner_id),
        form_errors=extra.pop("form_errors", []),
        outcome_unknown=extra.pop("outcome_unknown", False),
        **extra,
    )


def _apply_upstream_errors(form: Any, exc: errors.CmsError) -> list[str]:
    """Upstream errors onto the fields they name; the rest (no field, or an unknown one) for the form."""
    leftovers: list[str] = []
    for item in exc.errors or []:
        field = form._fields.get(item.field) if item.field else None
        text = f"{item.message} ({item.code})" if item.code else item.message
        if field is not None:
            field.errors = [*field.errors, text]
        else:
            leftovers.append(f"{item.field}: {text}" if item.field else text)
    if not exc.errors:
        leftovers.append(exc.message)
    return leftovers


@bp.route("/new", methods=["GET", "POST"])
@requires("cardholders", "create")
def create(partner_id: int) -> BaseResponse:
    if request.method == "GET":
        draft = pop_draft()
        form = CreateCardholderForm(formdata=None, data=draft or {})
        if not submissions.is_valid_key(form.idempotency_key.data):
            form.idempotency_key.data = submissions.new_key()
        return _create_page(partner_id, form)

    form = CreateCardholderForm()
    key = form.idempotency_key.data
    if not submissions.is_valid_key(key):
        key = form.idempotency_key.data = submissions.new_key()
    if not form.validate():
        return _create_page(partner_id, form, status=_form_status())

    operator = _operator()
    earlier = submissions.claim(key, kind=CREATE_KIND, actor_id=operator.id, partner_id=partner_id)
    if earlier is not None:
        return _already_submitted(partner_id, form, earlier)
    try:
        created = cms().cardholders.create(
            SessionTokenHolder(), partner_id, form.payload(), idempotency_key=key
        )
    except (errors.ValidationFailed, errors.Conflict) as exc:
        submissions.release(key)
        if exc.code == "8022":  # this key already went upstream with other data: start a new submission
            form.idempotency_key.data = submissions.new_key()
        record_event(CREATE_KIND, outcome="refused", partner_id=partner_id, detail={"code": exc.code})
        leftovers = _apply_upstream_errors(form, exc)
        return _create_page(partner_id, form, status=_form_status(), form_errors=leftovers)
    except OUTCOME_UNKNOWN:
        submissions.unknown(key)
        record_event(CREATE_KIND, outcome="unknown", partner_id=partner_id)
        return _create_page(partner_id, form, status=_form_status(), outcome_unknown=True)
    except errors.CmsError:
        submissions.release(key)
        raise
    submissions.succeeded(key, target_of(created.cardholder_id))
    record_event(
        CREATE_KIND,
        outcome="success",
        target=target_of(created.cardholder_id),
        partner_id=partner_id,
        detail={"card_id": created.cards[0].card_id if created.cards else form.payload()["cardId"]},
    )
    flash(_("Cardholder created."), "success")
    return _back_to(url_for(".detail", partner_id=partner_id, cardholder_id=created.cardholder_id))


def _already_submitted(
    partner_id: int, form: CreateCardholderForm, earlier: submissions.Submission
) -> BaseResponse:
    """A second submit of the same form (double click, reload, back and submit): never a second create."""
    if earlier.status == submissions.SUCCEEDED and earlier.result_ref:
        created_id = parse_id(earlier.result_ref.rpartition(":")[2])
        if created_id is not None:
            flash(_("This form was already submitted: here is the cardholder it created."), "info")
            return _back_to(url_for(".detail", partner_id=partner_id, cardholder_id=created_id))
    if earlier.status == "foreign":
        form.idempotency_key.data = submissions.new_key()
        message = _("This form could not be matched to your session. Check the data and submit again.")
    else:
        message = _("This form is already being submitted. Check the list before submitting again.")
    return _create_page(partner_id, form, status=_form_status(), form_errors=[message])


# -- edit ---------------------------------------------------------------------------------------------------


def _current_values(record: Cardholder) -> dict[str, str]:
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


def _before_value(record: Cardholder, current: dict[str, str], name: str) -> str:
    if name == "phoneNumber":
        return record.phone_number or ""
    if name == "email":
        return record.email or ""
    return current.get(name, "")


def _edit_page(partner_id: int, record: Cardholder, form: EditCardholderForm, **extra: Any) -> Response:
    return render(
        "cardholders/form.html",
        status=extra.pop("status", 200),
        partner_id=partner_id,
        form=form,
        mode="edit",
        record=record,
        pii=_masked_pii(record),
        action=url_for(".edit", partner_id=partner_id, cardholder_id=record.cardholder_id),
        free_cards=[],
        form_errors=extra.pop("form_errors", []),
        outcome_unknown=False,
    )


@bp.route("/<int:cardholder_id>/edit", methods=["GET", "POST"])
@requires("cardholders", "update")
def edit(partner_id: int, cardholder_id: int) -> BaseResponse:
    record = _load(partner_id, cardholder_id)
    current = _current_values(record)
    if request.method == "GET":
        shown = {name: value for name, value in current.items() if name not in ("phoneNumber", "email")}
        form = EditCardholderForm(formdata=None, data={**shown, **(pop_draft() or {})})
        return _edit_page(partner_id, record, form)

    form = EditCardholderForm()
    if not form.validate():
        return _edit_page(partner_id, record, form, status=_form_status())
    changes = form.changes(current)
    detail_url = url_for(".detail", partner_id=partner_id, cardholder_id=cardholder_id)
    if not changes:
        flash(_("Nothing changed."), "info")
        return _back_to(detail_url)
    try:
        cms().cardholders.update(SessionTokenHolder(), partner_id, cardholder_id, changes)
    except (errors.ValidationFailed, errors.Conflict) as exc:
        record_event(
            "cardholder_update",
            outcome="refused",
            target=target_of(cardholder_id),
            partner_id=partner_id,
            detail={"code": exc.code, "fields": sorted(changes)},
        )
        leftovers = _apply_upstream_errors(form, exc)
        return _edit_page(partner_id, record, form, status=_form_status(), form_errors=leftovers)
    record_event(
        "cardholder_update",
        outcome="success",
        target=target_of(cardholder_id),
        partner_id=partner_id,
        detail={
            "fields": sorted(changes),
            # Masked before they reach the store (webapp/history.py); phone and email come from the record
            # itself, which `current` leaves empty when the CMS answered them masked.
            "before": masked_fields({name: _before_value(record, current, name) for name in changes}),
            "after": masked_fields(changes),
        },
    )
    flash(_("Changes saved."), "success")
    return _back_to(detail_url)


# -- close --------------------------------------------------------------------------------------------------


def _close_page(partner_id: int, record: Cardholder, form: CloseCardholderForm, **extra: Any) -> Response:
    live_cards = [c for c in record.cards if c.status != "cancelled"]
    return render(
        "cardholders/close.html",
        status=extra.pop("status", 200),
        partner_id=partner_id,
        record=record,
        form=form,
        live_cards=[_card_view(c, show_bin=True) for c in live_cards],
        live_count=len(live_cards) if record.cards else None,
        form_errors=extra.pop("form_errors", []),
    )


@bp.route("/<int:cardholder_id>/close", methods=["GET", "POST"])
@requires("cardholders", "update")
def close(partner_id: int, cardholder_id: int) -> BaseResponse:
    record = _load(partner_id, cardholder_id)
    detail_url = url_for(".detail", partner_id=partner_id, cardholder_id=cardholder_id)
    if record.status == "closed":
        flash(_("This cardholder is already closed."), "info")
        return _back_to(detail_url)
    if request.method == "GET":
        return _close_page(partner_id, record, CloseCardholderForm(formdata=None))

    form = CloseCardholderForm()
    if not form.validate() or not complete_step_up(form, action="cardholder_close"):
        return _close_page(partner_id, record, form, status=_form_status())
    try:
        closed = cms().cardholders.close(SessionTokenHolder(), partner_id, cardholder_id, form.reason.data)
    except errors.OtpRequired:
        form.otp.errors = [_("This action needs a fresh code: send one and enter it.")]
        return _close_page(partner_id, record, form, status=_form_status())
    except (errors.ValidationFailed, errors.Conflict) as exc:
        leftovers = _apply_upstream_errors(form, exc)
        return _close_page(partner_id, record, form, status=_form_status(), form_errors=leftovers)
    cancelled = sum(1 for c in closed.cards if c.status == "cancelled")
    record_event(
        "cardholder_close",
        outcome="success",
        target=target_of(cardholder_id),
        partner_id=partner_id,
        detail={"cards_cancelled": cancelled, "reason": form.reason.data},
    )
    flash(_("Cardholder closed. Their cards are cancelled."), "success")
    return _back_to(detail_url)


# -- card actions -------------------------------------------------------------------------------------------


def _card_action(partner_id: int, cardholder_id: int, card_id: int, action: str) -> BaseResponse:
    """Confirm (GET), then act (POST), on a card that belongs to this cardholder."""
    record = _load(partner_id, cardholder_id)
    card = next((c for c in record.cards if c.card_id == card_id), None)
    if card is None:
        abort(404)
    form: BlockCardForm | ConfirmCardForm = BlockCardForm() if action == "block" else ConfirmCardForm()
    context: dict[str, Any] = {
        "partner_id": partner_id,
        "record": record,
        "card": _card_view(card, show_bin=True),
        "action": action,
        "form": form,
        "form_errors": [],
    }
    if request.method == "GET":
        return render("cardholders/card_action.html", **context)
    if not form.validate():
        return render("cardholders/card_action.html", status=_form_status(), **context)
    cards = cms().cards
    holder = SessionTokenHolder()
    detail_url = url_for(".detail", partner_id=partner_id, cardholder_id=cardholder_id)
    try:
        if action == "activate":
            cards.activate(holder, partner_id, card_id)
        elif action == "block":
            assert isinstance(form, BlockCardForm)
            cards.block(holder, partner_id, card_id, form.reason.data)
        else:
            cards.unblock(holder, partner_id, card_id)
    except (errors.ValidationFailed, errors.Conflict) as exc:
        record_event(
            f"card_{action}",
            outcome="refused",
            target=target_of(cardholder_id),
            partner_id=partner_id,
            detail={"card_id": card_id, "code": exc.code},
        )
        context["form_errors"] = _apply_upstream_errors(form, exc)
        return render("cardholders/card_action.html", status=_form_status(), **context)
    done_detail: dict[str, Any] = {"card_id": card_id}
    if isinstance(form, BlockCardForm) and form.reason.data:
        done_detail["reason"] = form.reason.data
    record_event(
        f"card_{action}",
        outcome="success",
        target=target_of(cardholder_id),
        partner_id=partner_id,
        detail=done_detail,
    )
    done = {
        "activate": _("Card activated."),
        "block": _("Card blocked."),
        "unblock": _("Card unblocked."),
    }
    flash(done[action], "success")
    return _back_to(detail_url)


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
