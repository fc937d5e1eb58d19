"""Process requests: partner balance top-ups, asked for by one operator and decided by another.

Pages under `/p/<partner_id>/top-ups/`: the list with the partner balance, a request form with its evidence
file, the detail with the evidence previewed, and the approve / reject / cancel confirmations.
"""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("process_requests", __name__, url_prefix="/p/<int:partner_id>/top-ups")

from webapp.process_requests import views  # noqa: E402  (routes register on bp)

__all__ = ["bp", "views"]
