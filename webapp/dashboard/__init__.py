"""The partner dashboard (balance, cardholders, pending top-ups) and `/`, which finds the right partner."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("dashboard", __name__)

from webapp.dashboard import views  # noqa: E402  (routes register on bp)

__all__ = ["bp", "views"]
