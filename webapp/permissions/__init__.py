"""Modules and their permissions, the administrators' create-permission form, and the permission editor."""

from webapp.permissions.views import bp

__all__ = ["bp"]
