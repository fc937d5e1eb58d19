"""Modules and their permissions, the administrators' create-permission form, and the permission editor."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("permissions", __name__, url_prefix="/p/<int:partner_id>/permissions")

from webapp.permissions import views  # noqa: E402  (routes register on bp)

__all__ = ["bp", "views"]
