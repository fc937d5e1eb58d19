"""Models read from the CMS by declaration: a field's API key is its name in camelCase and its reader
(models/readers.py) follows from its type, so `last_name: str | None` reads `lastName` with `opt_str`;
`api(reader, key=...)` declares a field that departs from that, and one `from_api` builds the instance.

A subclass of ApiModel is made a frozen dataclass when it is defined (`kw_only=True` as a class keyword
where wanted) and names, with `where="..."`, the place a bad field is reported at. Its (field, key, reader)
table is worked out once, when the class is defined: a list page parses every row through it. A model
whose parsing is special overrides `from_api` and builds on `read_api`.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any, ClassVar, Self, dataclass_transform

from webapp.cms.models import readers as read

Reader = read.Reader

# The reader of each plain type, by its annotation as written (the modules use postponed annotations).
_BY_TYPE: dict[str, Reader] = {
    "str": read.req_str,
    "str | None": read.opt_str,
    "int": read.req_int,
    "int | None": read.opt_int,
    "bool": read.opt_bool,
    "Decimal": read.req_decimal,
    "Decimal | None": read.opt_decimal,
    "datetime | None": read.opt_timestamp,
    "date | None": read.opt_date,
    "tuple[str, ...]": read.str_list,
}


def api(reader: Reader | None = None, *, key: str | None = None, default: Any = dataclasses.MISSING) -> Any:
    """A field read by `reader(d, key, where)` (default: by its type) from `key` (default: its camelCase
    name)."""
    return dataclasses.field(default=default, metadata={"api": (key, reader)})


def _camel(name: str) -> str:
    return re.sub(r"_([a-z0-9])", lambda m: m.group(1).upper(), name)


def _entry(f: dataclasses.Field[Any]) -> tuple[str, str, Reader]:
    key, reader = f.metadata.get("api", (None, None))
    reader = reader or _BY_TYPE.get(str(f.type))
    if reader is None:
        raise TypeError(f"{f.name}: no reader for {f.type!r}; declare one with api()")
    return f.name, key or _camel(f.name), reader


@dataclass_transform(frozen_default=True, field_specifiers=(api, dataclasses.field))
class ApiModel:
    where: ClassVar[str] = ""
    _api: ClassVar[tuple[tuple[str, str, Reader], ...]] = ()

    def __init_subclass__(cls, *, where: str = "", kw_only: bool = False, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        dataclasses.dataclass(frozen=True, kw_only=kw_only)(cls)
        cls.where = where or cls.where
        cls._api = tuple(_entry(f) for f in dataclasses.fields(cls))  # type: ignore[arg-type]

    @classmethod
    def read_api(cls, raw: Any, where: str | None = None) -> tuple[read.Json, dict[str, Any]]:
        """The answer as an object and its declared fields, errors named at `where` (default the model's),
        for a `from_api` that adds to them."""
        w = where or cls.where
        d = read.as_object(raw, w)
        return d, {name: reader(d, key, w) for name, key, reader in cls._api}

    @classmethod
    def from_api(cls, raw: Any, where: str | None = None) -> Self:
        return cls(**cls.read_api(raw, where)[1])

    @classmethod
    def api_keys(cls) -> tuple[str, ...]:
        return tuple(key for _, key, _ in cls._api)

    def to_api(self) -> dict[str, Any]:
        """The fields under their API keys (the body of a create)."""
        return {key: getattr(self, name) for name, key, _ in self._api}
