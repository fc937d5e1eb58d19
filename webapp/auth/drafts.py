"""Unsaved forms kept across an ended session, so a forced re-login never loses the operator's work.

A draft is keyed by the operator's email and the page path, holds only non-secret fields, lives in the shared
session backend (every node sees it) for an hour, and is handed back exactly once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from flask import current_app, request
from flask_login import current_user

from webapp.auth import backend

DRAFT_TTL_SECONDS = 3600
# Never kept: secrets, one-time codes and anti-forgery tokens.
_SECRET_MARKERS = ("password", "otp", "csrf", "token", "secret")
_SECRET_NAMES = frozenset({"pin", "pan", "cvv", "card_number", "cardnumber"})


def _key(email: str, path: str) -> str:
    digest = hashlib.sha256(f"{email.strip().lower()}\n{path}".encode()).hexdigest()
    return f"draft:{digest}"


def is_secret_field(name: str) -> bool:
    lowered = name.lower()
    return lowered in _SECRET_NAMES or any(marker in lowered for marker in _SECRET_MARKERS)


def non_secret_fields(items: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    """The form's fields minus anything secret, multi-valued fields kept whole."""
    kept: dict[str, list[str]] = {}
    for name, value in items:
        if not is_secret_field(name):
            kept.setdefault(name, []).append(value)
    return kept


def save_draft(email: str, path: str, fields: dict[str, list[str]]) -> None:
    if fields:
        backend.kv_set(current_app, _key(email, path), {"path": path, "fields": fields}, DRAFT_TTL_SECONDS)


def pop_draft(path: str | None = None) -> dict[str, str | list[str]] | None:
    """The signed-in operator's draft for `path` (default: this request's path), removed as it is read.

    Single-valued fields come back as strings, repeated fields as lists, ready for `Form(data=...)`.
    """
    if not current_user.is_authenticated:
        return None
    stored = backend.kv_pop(current_app, _key(current_user.email, path or request.path))
    if not stored or not isinstance(stored.get("fields"), dict):
        return None
    return {name: values[0] if len(values) == 1 else values for name, values in stored["fields"].items()}
