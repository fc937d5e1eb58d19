"""The console's URL converters: `<int:...>` in every route reads ids as webapp.parsing does."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from werkzeug.routing import IntegerConverter, ValidationError

from webapp.parsing import ID_MAX, ID_MIN, parse_int

if TYPE_CHECKING:
    from flask import Flask


class IdConverter(IntegerConverter):
    """`<int:...>` for the whole console: ASCII digits, 1 to 2^31-1, else no route matches (404)."""

    regex = r"[0-9]+"

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min", ID_MIN)
        kwargs.setdefault("max", ID_MAX)
        super().__init__(map, *args, **kwargs)

    def to_python(self, value: str) -> int:
        parsed = parse_int(value, minimum=self.min or 0, maximum=self.max or ID_MAX)
        if parsed is None:
            raise ValidationError
        return parsed


def init_app(app: Flask) -> None:
    """Before any blueprint is registered: every `<int:...>` rule is then bounded."""
    app.url_map.converters["int"] = IdConverter
