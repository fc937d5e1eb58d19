"""Cards of a partner: the free-card pool and the activate / block / unblock state machine."""

from __future__ import annotations

from flask import Blueprint, Response, request
from sqlalchemy import select

from webapp.sandbox import codes
from webapp.sandbox.db import session
from webapp.sandbox.domain_models import CARD_STATUSES, Card
from webapp.sandbox.envelope import ApiFailure, ok, page
from webapp.sandbox.guard import guarded, json_body
from webapp.sandbox.routes.cardholders import paged, paging, reason_from

bp = Blueprint("sandbox_cards", __name__)

# action → (statuses it may start from, status it leads to)
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "activate": (frozenset({"inactive"}), "active"),
    "block": (frozenset({"active"}), "blocked"),
    "unblock": (frozenset({"blocked"}), "active"),
}


def load_card(partner_id: int, card_id: int) -> Card:
    card = session.get(Card, card_id)
    if card is None or card.partner_id != partner_id:
        raise ApiFailure(codes.CARD_NOT_FOUND)
    return card


def apply_transition(card: Card, action: str) -> None:
    """Move the card along the state machine or answer 409 7213; a free card cannot be used at all."""
    allowed_from, target = TRANSITIONS[action]
    if card.cardholder_id is None:
        raise ApiFailure(codes.INVALID_STATUS_CARD, "The card is not assigned to a cardholder.")
    if card.status not in allowed_from:
        raise ApiFailure(codes.INVALID_STATUS_CARD)
    card.status = target


@bp.get("/app/partners/<int:partner_id>/cards")
@guarded("cards-admin", "detail")
def list_cards(partner_id: int) -> Response:
    page_no, limit = paging()
    query = select(Card).where(Card.partner_id == partner_id)
    assigned = request.args.get("assigned", "").strip().lower()
    if assigned == "false":
        query = query.where(Card.cardholder_id.is_(None), Card.status == "inactive")
    elif assigned == "true":
        query = query.where(Card.cardholder_id.is_not(None))
    elif assigned:
        raise ApiFailure(codes.CHECK_PARAMETERS, "assigned must be true or false", field="assigned")
    status = request.args.get("status", "").strip()
    if status:
        if status not in CARD_STATUSES:
            raise ApiFailure(
                codes.CHECK_PARAMETERS, "status must be one of " + ", ".join(CARD_STATUSES), field="status"
            )
        query = query.where(Card.status == status)
    cards, total = paged(query, [Card.id.asc()], page_no, limit)
    return ok(page([card.to_json() for card in cards], page=page_no, limit=limit, total=total))


def _transition(partner_id: int, card_id: int, action: str) -> Response:
    card = load_card(partner_id, card_id)
    apply_transition(card, action)
    session.commit()
    return ok(card.to_json())


@bp.post("/app/partners/<int:partner_id>/cards/<int:card_id>/activate")
@guarded("cards-admin", "activate")
def activate(partner_id: int, card_id: int) -> Response:
    return _transition(partner_id, card_id, "activate")


@bp.post("/app/partners/<int:partner_id>/cards/<int:card_id>/block")
@guarded("cards-admin", "block")
def block(partner_id: int, card_id: int) -> Response:
    reason_from(json_body(), required=True)
    return _transition(partner_id, card_id, "block")


@bp.post("/app/partners/<int:partner_id>/cards/<int:card_id>/unblock")
@guarded("cards-admin", "unblock")
def unblock(partner_id: int, card_id: int) -> Response:
    return _transition(partner_id, card_id, "unblock")
