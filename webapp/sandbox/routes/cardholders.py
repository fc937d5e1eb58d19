"""Cardholders of a partner: list (#11), create (#12), detail by POST (#13), update, close and their cards.

`create_cardholder` is also what every row of a cardholder upload goes through, so a row passes exactly
when the same body would pass the single create.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Blueprint, Response, request
from sqlalchemy import ColumnElement, Select, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from webapp.sandbox import codes
from webapp.sandbox.camel import columns_by_key
from webapp.sandbox.cardholder_rules import (
    create_problems,
    normalized,
    parse_birth_date,
    update_problems,
)
from webapp.sandbox.clock import utcnow
from webapp.sandbox.db import begin_write, session
from webapp.sandbox.domain_models import Card, Cardholder
from webapp.sandbox.envelope import ApiFailure, field_errors, ok, page, page_args
from webapp.sandbox.guard import (
    current_caller,
    guarded,
    has_permission,
    idempotent,
    json_body,
    otp_field,
    require_otp,
)

bp = Blueprint("sandbox_cardholders", __name__)

DEFAULT_LIMIT = 10
MAX_LIMIT = 100
SORTABLE = columns_by_key(Cardholder, "created_at", "name", "last_name", "email", "status")
STATUS_FILTERS = ("active", "inactive", "closed")
REASON_LIMIT = 200


# -- helpers shared by the domain routes --------------------------------------------------------------------


def paging() -> tuple[int, int]:
    """`page` (1-based, default 1) and `limit` (default 10, at most 100) from the query; 400 7000 naming the
    parameter otherwise (one rule for every list: `envelope.page_args`)."""
    return page_args(DEFAULT_LIMIT, MAX_LIMIT)


def paged(
    query: Select[Any], order: list[ColumnElement[Any]], page_no: int, limit: int
) -> tuple[list[Any], int]:
    """One page of `query` and the total count, both in SQL."""
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    rows = list(session.scalars(query.order_by(*order).offset((page_no - 1) * limit).limit(limit)))
    return rows, total


def like_pattern(text: str) -> str:
    """A `%…%` LIKE pattern that matches `text` literally (escape character `\\`)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def reason_from(body: Mapping[str, Any], *, required: bool) -> str | None:
    """A decision, close or block reason, as the contract's `Reason`: when sent (and it must be when
    `required`), text of at most 200 characters as sent with at least one that is not blank; stored trimmed.
    Anything else, `null` and `""` included, is 400 7000 (field `reason`)."""
    if "reason" not in body:
        if required:
            raise ApiFailure(codes.CHECK_PARAMETERS, "reason is required", field="reason")
        return None
    raw = body["reason"]
    if not isinstance(raw, str) or not raw.strip():
        raise ApiFailure(codes.CHECK_PARAMETERS, "reason is required", field="reason")
    if len(raw) > REASON_LIMIT:
        raise ApiFailure(
            codes.CHECK_PARAMETERS,
            f"reason must be text of at most {REASON_LIMIT} characters",
            field="reason",
        )
    return raw.strip()


def load_cardholder(partner_id: int, cardholder_id: int) -> Cardholder:
    holder = session.get(Cardholder, cardholder_id)
    if holder is None or holder.partner_id != partner_id:
        raise ApiFailure(codes.CARDHOLDER_NOT_FOUND)
    return holder


def cards_of(cardholder_id: int) -> list[Card]:
    return list(session.scalars(select(Card).where(Card.cardholder_id == cardholder_id).order_by(Card.id)))


def duplicate_fields(
    partner_id: int, email: str | None, document: tuple[str, str] | None, exclude_id: int | None = None
) -> dict[str, str]:
    """Which of email / document number another cardholder of this partner already uses."""
    problems: dict[str, str] = {}
    scope = [Cardholder.partner_id == partner_id]
    if exclude_id is not None:
        scope.append(Cardholder.id != exclude_id)
    if email is not None and session.scalar(
        select(Cardholder.id).where(*scope, func.lower(Cardholder.email) == email.lower()).limit(1)
    ):
        problems["email"] = "is already used by another cardholder"
    if document is not None and session.scalar(
        select(Cardholder.id)
        .where(*scope, Cardholder.document_type == document[0], Cardholder.document_number == document[1])
        .limit(1)
    ):
        problems["documentNumber"] = "is already used by another cardholder"
    return problems


def assign_free_card(partner_id: int, card_id: int, cardholder_id: int) -> None:
    """Take a free card of this partner for the cardholder, atomically; 409 8014 when it is not free.

    The card stays `inactive`: cards are activated by their own action.
    """
    taken = session.execute(
        update(Card)
        .where(
            Card.id == card_id,
            Card.partner_id == partner_id,
            Card.cardholder_id.is_(None),
            Card.status == "inactive",
        )
        .values(cardholder_id=cardholder_id)
        .execution_options(synchronize_session=False)
    )
    if getattr(taken, "rowcount", 0) != 1:
        raise ApiFailure(codes.CARD_NOT_AVAILABLE, field="cardId")


def card_is_free(partner_id: int, card_id: int) -> bool:
    return (
        session.scalar(
            select(Card.id).where(
                Card.id == card_id,
                Card.partner_id == partner_id,
                Card.cardholder_id.is_(None),
                Card.status == "inactive",
            )
        )
        is not None
    )


def create_cardholder(partner_id: int, body: Mapping[str, Any]) -> Cardholder:
    """Validate and store one cardholder with its card, in the caller's transaction (not committed).

    Errors in the order a form would fix them: field rules (7000), duplicates (8013), card (8014).
    """
    problems = create_problems(body)
    if problems:
        raise field_errors(codes.CHECK_PARAMETERS, problems)
    clean = normalized(body)
    email = str(clean["email"]).lower()
    document = (str(clean["documentType"]), str(clean["documentNumber"]))
    begin_write()  # the duplicate and card checks and the insert happen as one step
    duplicates = duplicate_fields(partner_id, email, document)
    if duplicates:
        raise field_errors(codes.DUPLICATE_CARDHOLDER, duplicates)
    if not card_is_free(partner_id, int(clean["cardId"])):
        raise ApiFailure(codes.CARD_NOT_AVAILABLE, field="cardId")
    now = utcnow()
    born = parse_birth_date(clean["dateOfBirth"])
    assert born is not None  # the rules accepted it
    holder = Cardholder(
        partner_id=partner_id,
        name=clean["name"],
        last_name=clean["lastName"],
        address=clean["address"],
        country_of_birth=clean["countryOfBirth"],
        date_of_birth=born,
        marital_status=clean["maritalStatus"],
        gender=clean["gender"],
        phone_number=clean["phoneNumber"],
        email=email,
        document_type=document[0],
        document_number=document[1],
        status="active",
        created_at=now,
        updated_at=now,
    )
    try:
        with session.begin_nested():
            session.add(holder)
            session.flush()
    except IntegrityError:
        # Another request took the email or document between the check and the insert.
        raise field_errors(
            codes.DUPLICATE_CARDHOLDER, duplicate_fields(partner_id, email, document) or {"email": "is taken"}
        ) from None
    assign_free_card(partner_id, int(clean["cardId"]), holder.id)
    return holder


def reveal_allowed(partner_id: int, inline_otp: Any) -> bool:
    """Full PII needs `cardholders:otp` and an OTP: an elevated token or a valid inline code (consumed).

    A sent code is checked before anything else, so a wrong or malformed one is a 400 and never an unmask,
    whoever sends it (also an operator not subject to OTP elevation)."""
    caller = current_caller()
    if inline_otp is not None:
        require_otp(inline_otp)
    if not has_permission(caller.user, partner_id, "cardholders", "otp"):
        return False
    return caller.elevated or inline_otp is not None


def detail_of(holder: Cardholder, *, masked: bool) -> dict[str, Any]:
    caller = current_caller()
    if has_permission(caller.user, holder.partner_id, "cards-admin", "detail"):
        cards = cards_of(holder.id)
        return holder.detail_json(cards, len(cards), masked=masked)
    count = session.scalar(select(func.count()).select_from(Card).where(Card.cardholder_id == holder.id))
    return holder.detail_json(None, int(count or 0), masked=masked)


# -- routes -------------------------------------------------------------------------------------------------


@bp.get("/app/partners/<int:partner_id>/cardholders")
@guarded("cardholders", "list")
def list_cardholders(partner_id: int) -> Response:
    page_no, limit = paging()
    sort_by = request.args.get("sortBy", "").strip() or "createdAt"
    if sort_by not in SORTABLE:
        raise ApiFailure(
            codes.CHECK_PARAMETERS, "sortBy must be one of " + ", ".join(SORTABLE), field="sortBy"
        )
    sort_order = (request.args.get("sortOrder", "").strip() or "desc").lower()
    if sort_order not in ("asc", "desc"):
        raise ApiFailure(codes.CHECK_PARAMETERS, "sortOrder must be asc or desc", field="sortOrder")
    status = request.args.get("status", "").strip()
    if status and status not in STATUS_FILTERS:
        raise ApiFailure(
            codes.CHECK_PARAMETERS, "status must be one of " + ", ".join(STATUS_FILTERS), field="status"
        )

    query = select(Cardholder).where(Cardholder.partner_id == partner_id)
    if status:
        query = query.where(Cardholder.status == status)
    search = request.args.get("searchText", "").strip().lower()
    if search:
        pattern = like_pattern(search)
        query = query.where(
            or_(
                func.lower(Cardholder.email).like(pattern, escape="\\"),
                Cardholder.phone_number.like(pattern, escape="\\"),
                func.lower(Cardholder.document_number).like(pattern, escape="\\"),
            )
        )
    column = SORTABLE[sort_by]
    order: list[ColumnElement[Any]] = (
        [column.asc(), Cardholder.id.asc()] if sort_order == "asc" else [column.desc(), Cardholder.id.desc()]
    )
    holders, total = paged(query, order, page_no, limit)

    counts: dict[int, int] = {}
    if holders:
        counted = session.execute(
            select(Card.cardholder_id, func.count())
            .where(Card.cardholder_id.in_([h.id for h in holders]))
            .group_by(Card.cardholder_id)
        )
        counts = {int(holder_id): int(n) for holder_id, n in counted if holder_id is not None}
    items = [holder.summary_json(counts.get(holder.id, 0)) for holder in holders]
    return ok(page(items, page=page_no, limit=limit, total=total))


@bp.post("/app/partners/<int:partner_id>/cardholders")
@guarded("cardholders", "create")
@idempotent
def create(partner_id: int) -> Response:
    holder = create_cardholder(partner_id, json_body())
    session.commit()
    return ok(detail_of(holder, masked=False), status=201)


@bp.post("/app/partners/<int:partner_id>/cardholders/<int:cardholder_id>")
@guarded("cardholders", "detail")
def detail(partner_id: int, cardholder_id: int) -> Response:
    code = otp_field(json_body())
    holder = load_cardholder(partner_id, cardholder_id)
    masked = not reveal_allowed(partner_id, code)
    session.commit()  # an inline code, once used, stays used
    return ok(detail_of(holder, masked=masked))


@bp.patch("/app/partners/<int:partner_id>/cardholders/<int:cardholder_id>")
@guarded("cardholders", "update")
def update_cardholder(partner_id: int, cardholder_id: int) -> Response:
    body = json_body()
    problems = update_problems(body)
    if problems:
        raise field_errors(codes.CHECK_PARAMETERS, problems)
    holder = load_cardholder(partner_id, cardholder_id)
    if holder.status == "closed":
        raise ApiFailure(codes.INVALID_STATE, "A closed cardholder cannot be changed.")
    clean = normalized(body)
    if "email" in clean:
        clean["email"] = str(clean["email"]).lower()
        duplicates = duplicate_fields(partner_id, clean["email"], None, exclude_id=holder.id)
        if duplicates:
            raise field_errors(codes.DUPLICATE_CARDHOLDER, duplicates)
    columns = {
        "name": "name",
        "lastName": "last_name",
        "address": "address",
        "countryOfBirth": "country_of_birth",
        "maritalStatus": "marital_status",
        "gender": "gender",
        "phoneNumber": "phone_number",
        "email": "email",
    }
    for name, attribute in columns.items():
        if name in clean:
            setattr(holder, attribute, clean[name])
    if "dateOfBirth" in clean:
        born = parse_birth_date(clean["dateOfBirth"])
        assert born is not None
        holder.date_of_birth = born
    holder.updated_at = utcnow()
    session.commit()
    return ok(detail_of(holder, masked=not reveal_allowed(partner_id, None)))


@bp.post("/app/partners/<int:partner_id>/cardholders/<int:cardholder_id>/close")
@guarded("cardholders", "update")
def close(partner_id: int, cardholder_id: int) -> Response:
    body = json_body()
    reason = reason_from(body, required=True)
    code = otp_field(body)
    holder = load_cardholder(partner_id, cardholder_id)
    if holder.status == "closed":
        raise ApiFailure(codes.INVALID_STATE, "The cardholder is already closed.")
    require_otp(code)
    now = utcnow()
    holder.status = "closed"
    holder.closed_at = now
    holder.close_reason = reason
    holder.updated_at = now
    session.execute(
        update(Card)
        .where(Card.cardholder_id == holder.id, Card.status != "cancelled")
        .values(status="cancelled")
        .execution_options(synchronize_session=False)
    )
    session.commit()
    session.expire_all()
    return ok(detail_of(holder, masked=not reveal_allowed(partner_id, None)))


@bp.get("/app/partners/<int:partner_id>/cardholders/<int:cardholder_id>/cards")
@guarded("cards-admin", "detail")
def cardholder_cards(partner_id: int, cardholder_id: int) -> Response:
    holder = load_cardholder(partner_id, cardholder_id)
    return ok([card.to_json() for card in cards_of(holder.id)])
