"""CMS users (operators) of a partner: list, detail, create, edit and status change."""

from webapp.users.views import bp

__all__ = ["bp"]
