"""Permission audits: who can do what, where; risky combinations; dormant holders; changes since last run."""

from webapp.audit.views import bp

__all__ = ["bp"]
