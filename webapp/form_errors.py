"""The CMS's refusals put beside the form fields they name: one rule for every form of the console."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from webapp.cms import errors


def place_cms_errors(
    form: Any, exc: errors.CmsError, *, field_map: Mapping[str, str] | None = None
) -> list[str]:
    """Each CMS error item beside the field it names (`field_map` renames a CMS field to the form's), with its
    code; answers the messages no field of the form takes (no field, an unknown one, the CSRF token), for the
    form's banner. An answer without items gives its message alone."""
    names = field_map or {}
    loose: list[str] = []
    for item in exc.errors:
        name = names.get(item.field or "", item.field or "")
        target = form._fields.get(name) if name and name != "csrf_token" else None
        text = f"{item.message} ({item.code})" if item.code else item.message
        if target is not None:
            target.errors = [*target.errors, text]
        else:
            loose.append(f"{item.field}: {text}" if item.field else text)
    if not exc.errors:
        loose.append(exc.message)
    return loose
