"""What goes over the wire: one upstream operation (ApiRequest), its answer (Reply), and JSON both ways.

Resources and tokens build ApiRequests and read Replies; only transport.py sends them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx

_SAFE_METHODS = frozenset({"GET", "HEAD"})

FilePart = tuple[str, bytes, str]


@dataclass
class ApiRequest:
    """One upstream operation. `route` is the path template used in logs (never query values)."""

    method: str
    path: str
    route: str
    params: Mapping[str, str | int] | None = None
    json: Any = None
    form: Mapping[str, str] | None = None
    files: Mapping[str, FilePart] | None = None
    headers: Mapping[str, str] | None = None
    idempotent: bool | None = None
    raw: bool = False
    deadline: float | None = None

    @property
    def is_idempotent(self) -> bool:
        return self.method.upper() in _SAFE_METHODS if self.idempotent is None else self.idempotent


@dataclass
class Reply:
    status: int
    headers: httpx.Headers
    data: Any = None
    content: bytes = b""
    message: str | None = None


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"cannot send {type(value).__name__} as JSON")


def _reject_constant(name: str) -> Any:
    raise ValueError(f"non-standard JSON constant {name}")


def parse_json(content: bytes) -> Any:
    """JSON with Decimal for non-integers (money stays exact) and no NaN/Infinity."""
    return json.loads(content, parse_float=Decimal, parse_constant=_reject_constant)


def dump_json(value: Any) -> bytes:
    """A request body: UTF-8 JSON, Decimal amounts as their exact text."""
    return json.dumps(value, default=_json_default, ensure_ascii=False).encode()
