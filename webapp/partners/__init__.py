"""The operator's assigned partners: list with balances, and one partner's detail."""

from webapp.partners.views import bp

__all__ = ["bp"]
