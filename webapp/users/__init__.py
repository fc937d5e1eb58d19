"""CMS users (operators) of a partner: list, detail, create, edit and status change."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("users", __name__, url_prefix="/p/<int:partner_id>/users")

from webapp.users import views  # noqa: E402  (routes register on bp)

__all__ = ["bp", "views"]
