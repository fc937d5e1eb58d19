"""Shapes of answers: JSON types and field names, never values, and the documented envelope."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from webapp.parsing import is_ascii_digits

ENVELOPE_KEYS = frozenset({"success", "message", "data", "errors"})
MAX_DEPTH = 6


# JSON Schema's type names, in the order to ask (a bool is an int to Python).
_JSON_TYPES: tuple[tuple[type, str], ...] = (
    (type(None), "null"),
    (bool, "boolean"),
    (int, "integer"),
    (float, "number"),
    (str, "string"),
    (list, "array"),
    (Mapping, "object"),
)


def json_type(value: Any) -> str:
    for kind, name in _JSON_TYPES:
        if isinstance(value, kind):
            return name
    return type(value).__name__


def field_types(value: Any, prefix: str = "", depth: int = 0) -> dict[str, str]:
    """`{"data.items[].email": "string", ...}`: every field path with the JSON type(s) found there."""
    found: dict[str, set[str]] = {}
    _walk(value, prefix, depth, found)
    return {path: "|".join(sorted(types)) for path, types in sorted(found.items())}


def _walk(value: Any, path: str, depth: int, found: dict[str, set[str]]) -> None:
    if path:
        found.setdefault(path, set()).add(json_type(value))
    if depth >= MAX_DEPTH:
        return
    if isinstance(value, Mapping):
        for key, item in value.items():
            _walk(item, f"{path}.{key}" if path else str(key), depth + 1, found)
    elif isinstance(value, list):
        for item in value:
            _walk(item, f"{path}[]", depth + 1, found)


def envelope_problems(body: Any) -> list[str]:
    """How `body` departs from the documented `{success, message?, data?, errors?[{code, message}]}`."""
    if not isinstance(body, Mapping):
        return [f"the body is {json_type(body)}, not an object"]
    problems: list[str] = []
    if not isinstance(body.get("success"), bool):
        problems.append("success missing" if "success" not in body else "success is not a boolean")
    extra = sorted(set(body) - ENVELOPE_KEYS)
    if extra:
        problems.append("extra top-level fields " + ", ".join(extra))
    if "message" in body and not isinstance(body["message"], str):
        problems.append(f"message is {json_type(body['message'])}")
    errors = body.get("errors")
    if errors is not None:
        if not isinstance(errors, list):
            problems.append(f"errors is {json_type(errors)}")
        else:
            for item in errors:
                if not isinstance(item, Mapping):
                    problems.append(f"an errors item is {json_type(item)}")
                    break
                if not isinstance(item.get("code"), str):
                    problems.append(f"errors[].code is {json_type(item.get('code'))}, not a string")
                    break
                if not isinstance(item.get("message"), str):
                    problems.append(f"errors[].message is {json_type(item.get('message'))}")
                    break
    return problems


def error_codes(body: Any) -> list[str]:
    """The `errors[].code` values as text (codes are not personal data)."""
    if not isinstance(body, Mapping) or not isinstance(body.get("errors"), list):
        return []
    return [str(item.get("code")) for item in body["errors"] if isinstance(item, Mapping) and "code" in item]


def raw_error_codes(body: Any) -> list[Any]:
    if not isinstance(body, Mapping) or not isinstance(body.get("errors"), list):
        return []
    return [item.get("code") for item in body["errors"] if isinstance(item, Mapping)]


def code_in_range(code: Any) -> bool:
    """Documented: business codes are strings "7000"–"8099"."""
    return isinstance(code, str) and len(code) == 4 and is_ascii_digits(code) and 7000 <= int(code) <= 8099
