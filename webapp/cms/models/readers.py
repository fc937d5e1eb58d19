"""Field readers every model parses with: a missing required field or a wrong type raises
BadUpstreamResponse naming where it was found; unknown fields are never looked at."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar, cast

from webapp.cms.errors import ApiErrorItem, BadUpstreamResponse

Json = Mapping[str, Any]
# What a model field declares (models/declared.py): `reader(d, key, where)` reads `d[key]`.
Reader = Callable[[Json, str, str], Any]


def bad_field(where: str, key: str, why: str) -> BadUpstreamResponse:
    return BadUpstreamResponse(f"Unexpected upstream data: {where}.{key} {why}")


def as_object(value: Any, where: str) -> Json:
    if not isinstance(value, Mapping):
        raise BadUpstreamResponse(f"Unexpected upstream data: {where} is not an object")
    return value


def as_list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise BadUpstreamResponse(f"Unexpected upstream data: {where} is not a list")
    return value


T = TypeVar("T", str, int, bool)
_KIND_NAMES: dict[type, str] = {str: "a string", int: "an integer", bool: "a boolean"}


def _typed(d: Json, key: str, where: str, kind: type[T], *, required: bool) -> T | None:
    """`d[key]` when it is a `kind` (a bool is not an integer), None when absent and not required."""
    value = d.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        missing = "is missing or not " if required else "is not "
        raise bad_field(where, key, missing + _KIND_NAMES[kind])
    return value


def req_str(d: Json, key: str, where: str) -> str:
    return cast(str, _typed(d, key, where, str, required=True))


def opt_str(d: Json, key: str, where: str) -> str | None:
    return _typed(d, key, where, str, required=False)


def req_int(d: Json, key: str, where: str) -> int:
    return cast(int, _typed(d, key, where, int, required=True))


def opt_int(d: Json, key: str, where: str, default: int | None = None) -> int | None:
    value = _typed(d, key, where, int, required=False)
    return default if value is None else value


def count(d: Json, key: str, where: str) -> int:
    """A count the CMS may leave out: absent means 0."""
    return opt_int(d, key, where) or 0


def str_or(default: str) -> Reader:
    """A reader of an optional string that stands for `default` when absent or empty."""

    def read(d: Json, key: str, where: str) -> str:
        return opt_str(d, key, where) or default

    return read


def opt_bool(d: Json, key: str, where: str, default: bool = False) -> bool:
    value = _typed(d, key, where, bool, required=False)
    return default if value is None else value


def opt_true(d: Json, key: str, where: str) -> bool:
    """A flag that counts as set when the CMS leaves it out."""
    return opt_bool(d, key, where, default=True)


def to_decimal(value: Any, where: str, key: str) -> Decimal:
    """Money: JSON numbers arrive as Decimal (parse_float=Decimal in the parser); text is accepted."""
    if isinstance(value, bool) or not isinstance(value, int | Decimal | str | float):
        raise bad_field(where, key, "is not a number")
    try:
        amount = Decimal(str(value)) if not isinstance(value, Decimal) else value
    except InvalidOperation:
        raise bad_field(where, key, "is not a number") from None
    if not amount.is_finite():
        raise bad_field(where, key, "is not a finite number")
    return amount


def req_decimal(d: Json, key: str, where: str) -> Decimal:
    if key not in d:
        raise bad_field(where, key, "is missing")
    return to_decimal(d[key], where, key)


def opt_decimal(d: Json, key: str, where: str) -> Decimal | None:
    value = d.get(key)
    return None if value is None else to_decimal(value, where, key)


def parse_timestamp(value: Any, where: str, key: str) -> datetime:
    """ISO 8601 (with `Z` or an offset; naive means UTC) or Unix seconds, always returned timezone-aware."""
    if isinstance(value, bool):
        raise bad_field(where, key, "is not a timestamp")
    if isinstance(value, int | float | Decimal):
        try:
            return datetime.fromtimestamp(float(value), tz=UTC)
        except (OverflowError, OSError, ValueError):
            raise bad_field(where, key, "is not a timestamp") from None
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00") if value.endswith("Z") else value)
        except ValueError:
            raise bad_field(where, key, "is not a timestamp") from None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    raise bad_field(where, key, "is not a timestamp")


def opt_timestamp(d: Json, key: str, where: str) -> datetime | None:
    value = d.get(key)
    return None if value is None or value == "" else parse_timestamp(value, where, key)


def opt_date(d: Json, key: str, where: str) -> date | None:
    value = d.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise bad_field(where, key, "is not a date")
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        raise bad_field(where, key, "is not a date") from None


def str_list(d: Json, key: str, where: str) -> tuple[str, ...]:
    value = d.get(key)
    if value is None:
        return ()
    items = as_list(value, f"{where}.{key}")
    return tuple(str(item) for item in items if isinstance(item, str | int) and not isinstance(item, bool))


def list_of(parse: Callable[[Any], Any], *, null_is_empty: bool = False) -> Reader:
    """A reader of a list, each item parsed by `parse`: absent is empty, and so is null (or any other empty
    value) if `null_is_empty`."""

    def read(d: Json, key: str, where: str) -> list[Any]:
        value = (d.get(key) or []) if null_is_empty else d.get(key, [])
        return [parse(item) for item in as_list(value, f"{where}.{key}")]

    return read


def errors_at(d: Json, key: str, where: str) -> list[ApiErrorItem]:
    return error_items(d.get(key), f"{where}.{key}")


def error_items(value: Any, where: str) -> list[ApiErrorItem]:
    if value is None:
        return []
    out: list[ApiErrorItem] = []
    for raw in as_list(value, where):
        item = as_object(raw, where)
        code = item.get("code")
        out.append(
            ApiErrorItem(
                code=str(code) if code is not None else "",
                message=str(item.get("message") or ""),
                field=item.get("field") if isinstance(item.get("field"), str) else None,
            )
        )
    return out
