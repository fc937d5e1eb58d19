"""Saved views: save a list's filters and sort under a name, share it, open it from the sidebar."""

from webapp.saved_views.views import bp

__all__ = ["bp"]
