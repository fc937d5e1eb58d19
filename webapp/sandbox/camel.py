"""Records as the contract's JSON: snake_case attributes under camelCase keys, times as the API writes them.

Every answer body of the sandbox is built from its rows this way, so a field's key is always its attribute's
name in camelCase (`last_name` → `lastName`) and every timestamp has the same form (`clock.iso`).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any

from webapp.sandbox.clock import iso


@lru_cache(maxsize=1024)  # a few hundred attribute names, asked for on every answer
def camel(name: str) -> str:
    first, *rest = name.split("_")
    return first + "".join(word[:1].upper() + word[1:] for word in rest)


def _value(value: Any) -> Any:
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value.quantize(Decimal("0.01")))  # amounts travel as numbers with two decimals
    return value


def as_json(record: Any, *names: str, **renamed: str) -> dict[str, Any]:
    """`{camel(name): value}` for each attribute in `names`; `renamed` adds `key=attribute` pairs whose key is
    not the attribute's (a row's `id` answered as `cardholderId`), first, in the order given."""
    body = {key: _value(getattr(record, attribute)) for key, attribute in renamed.items()}
    body.update((camel(name), _value(getattr(record, name))) for name in names)
    return body


def columns_by_key(model: Any, *names: str) -> dict[str, Any]:
    """`{camel(name): model.name}`: the columns a list may be sorted by, under the keys `sortBy` takes."""
    return {camel(name): getattr(model, name) for name in names}
