"""`/partners/`: every assigned partner with its balance; `/p/<id>/partner`: one partner's detail.

The list comes from the same upstream operation the shell's partner switcher is built from at sign-in
(`GET /app/partners` answers exactly the assigned partners). A balance is fetched only where the operator may
read it, all partners at once, and a failing balance leaves the rest of the page in place.
"""

from __future__ import annotations

from functools import partial

from flask import Blueprint, Response
from flask_login import current_user

from webapp import fanout
from webapp.access import Operator, signed_in
from webapp.auth.token_holder import SessionTokenHolder
from webapp.cms import errors
from webapp.cms.models import Balance
from webapp.htmx import render_private
from webapp.partners.labels import feature_label
from webapp.upstream import cms

bp = Blueprint("partners", __name__)

# Any one of these lets an operator see the partner balance (the upstream's own rule for #10).
BALANCE_READERS = (("balance-management", "list"), ("balance-management", "create"), ("approvals", "list"))
BALANCE_WORKERS = 4


def _can_read_balance(operator: Operator, partner_id: int) -> bool:
    return operator.can_any(partner_id, BALANCE_READERS)


def _balances(partner_ids: list[int]) -> dict[int, Balance | None]:
    """Balance per partner; None where the CMS did not answer (the page says so for that partner only)."""
    client, holder = cms(), SessionTokenHolder()
    jobs = {pid: partial(client.partners.balance, holder, pid) for pid in partner_ids}
    out: dict[int, Balance | None] = {}
    for pid, answer in fanout.settle(jobs, per_call=BALANCE_WORKERS).items():
        error = answer.error
        if isinstance(error, errors.SessionEnded) or not isinstance(error, errors.CmsError | None):
            raise error  # a session that ended upstream ends the page; so does a bug
        out[pid] = answer.value  # None where the CMS could not say
    return out


@bp.route("/partners/", methods=["GET"])
@signed_in
def index() -> Response:
    operator: Operator = current_user  # @signed_in guarantees it
    partners = cms().partners.list(SessionTokenHolder())
    readable = [p.partner_id for p in partners if _can_read_balance(operator, p.partner_id)]
    return render_private("partners/index.html", partners=partners, balances=_balances(readable))


@bp.route("/p/<int:partner_id>/partner", methods=["GET"])
@signed_in
def detail(partner_id: int) -> Response:
    """The gate has checked the partner is assigned; the balance shows only with a balance permission."""
    operator: Operator = current_user
    partner = cms().partners.get(SessionTokenHolder(), partner_id)
    balance_allowed = _can_read_balance(operator, partner_id)
    balance = _balances([partner_id]).get(partner_id) if balance_allowed else None
    return render_private(
        "partners/detail.html",
        partner=partner,
        partner_id=partner_id,
        balance=balance,
        balance_allowed=balance_allowed,
        feature_label=feature_label,
    )
