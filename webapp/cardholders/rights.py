"""What the signed-in operator may do with a partner's cardholders, as the templates' `can`."""

from __future__ import annotations

from typing import NamedTuple

from flask_login import current_user

from webapp.access import Operator
from webapp.upstream import offers


def operator() -> Operator:
    """The signed-in operator: the access gate has checked one is there before any cardholder view runs."""
    signed_in: Operator = current_user
    return signed_in


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


def rights(partner_id: int) -> Rights:
    signed_in = operator()
    return Rights(
        **{
            name: signed_in.can(partner_id, *pair)
            and (name not in _RIGHT_CAPABILITIES or offers(_RIGHT_CAPABILITIES[name]))
            for name, pair in _RIGHT_PERMISSIONS.items()
        }
    )
