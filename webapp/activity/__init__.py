"""Activity: the audit trail as a page auditors can search, export and trust (plus its verify/archive CLI)."""

from webapp.activity.views import bp

__all__ = ["bp"]
