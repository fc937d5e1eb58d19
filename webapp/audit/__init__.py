"""Permission audits: who can do what, where; risky combinations; dormant holders; changes since last run."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("audit", __name__, url_prefix="/p/<int:partner_id>/audit")

from webapp.audit import views  # noqa: E402  (routes register on bp)

__all__ = ["bp", "views"]
