"""The partner dashboard (balance, cardholders, pending top-ups) and `/`, which finds the right partner."""

from webapp.dashboard.views import bp

__all__ = ["bp"]
