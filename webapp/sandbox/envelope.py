"""The documented `CustomResponse<T>` envelope, and the one exception every sandbox route raises to fail."""

from __future__ import annotations

import re
from typing import Any

from flask import Response, jsonify, request

from webapp.sandbox.codes import CHECK_PARAMETERS, Code


class ApiFailure(Exception):
    """Raised anywhere in a sandbox route; the app turns it into the error envelope."""

    def __init__(
        self,
        code: Code,
        message: str | None = None,
        *,
        field: str | None = None,
        errors: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message or code.message)
        self.code = code
        self.message = message or code.message
        self.headers = headers or {}
        if errors is not None:
            self.errors = errors
        else:
            item = {"code": code.code, "message": self.message}
            if field:
                item["field"] = field
            self.errors = [item]

    def response(self) -> Response:
        resp = jsonify({"success": False, "message": self.message, "errors": self.errors})
        resp.status_code = self.code.status
        for name, value in self.headers.items():
            resp.headers[name] = value
        return resp


def ok(data: Any = None, status: int = 200, message: str | None = "ok") -> Response:
    body: dict[str, Any] = {"success": True}
    if message is not None:
        body["message"] = message
    if data is not None:
        body["data"] = data
    resp = jsonify(body)
    resp.status_code = status
    return resp


def page(items: list[Any], *, page: int, limit: int, total: int) -> dict[str, Any]:
    """The assumed pagination wrapper (ASSUMPTIONS.md §3)."""
    return {
        "items": items,
        "page": page,
        "limit": limit,
        "total": total,
        "totalPages": (total + limit - 1) // limit if limit else 0,
    }


def field_errors(code: Code, problems: dict[str, str]) -> ApiFailure:
    """One failure carrying an error item per offending field."""
    items = [{"code": code.code, "message": msg, "field": name} for name, msg in problems.items()]
    return ApiFailure(code, code.message, errors=items)


MAX_PAGE = 2_147_483_647
_DIGITS = re.compile(r"[0-9]+")


def page_args(default_limit: int = 10, max_limit: int = 100) -> tuple[int, int]:
    """`page` (1-based) and `limit` (1 to 100) from the query string, as the contract's `page` and `limit`
    parameters say: plain ASCII digits, not padded, in range; 400 7000 naming the bad one (a `limit` above the
    maximum is refused, not quietly capped). An absent parameter takes its default."""
    values: dict[str, int] = {}
    for name, default, maximum in (("page", 1, MAX_PAGE), ("limit", default_limit, max_limit)):
        raw = request.args.get(name)
        if raw is None:
            values[name] = default
            continue
        if not _DIGITS.fullmatch(raw) or not 1 <= int(raw) <= maximum:
            raise ApiFailure(
                CHECK_PARAMETERS, f"{name} must be an integer from 1 to {maximum}.", field=name
            )
        values[name] = int(raw)
    return values["page"], values["limit"]


def sort_args(allowed: tuple[str, ...], default: str = "createdAt") -> tuple[str, bool]:
    """`sortBy` among `allowed` and whether `sortOrder` is `desc` (the default); 400 7000 otherwise."""
    sort_by = request.args.get("sortBy", "").strip() or default
    order = request.args.get("sortOrder", "").strip().lower() or "desc"
    if sort_by not in allowed:
        raise ApiFailure(CHECK_PARAMETERS, f"sortBy must be one of {', '.join(allowed)}.", field="sortBy")
    if order not in {"asc", "desc"}:
        raise ApiFailure(CHECK_PARAMETERS, "sortOrder must be asc or desc.", field="sortOrder")
    return sort_by, order == "desc"
