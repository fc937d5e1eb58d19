"""The operator's assigned partners: list with balances, and one partner's detail."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("partners", __name__)

from webapp.partners import views  # noqa: E402  (routes register on bp)

__all__ = ["bp", "views"]
