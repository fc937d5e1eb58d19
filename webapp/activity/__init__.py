"""Activity: the audit trail as a page auditors can search, export and trust (plus its verify/archive CLI)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("activity", __name__, url_prefix="/p/<int:partner_id>/activity")

from webapp.activity import views  # noqa: E402  (routes register on bp)

__all__ = ["bp", "views"]
