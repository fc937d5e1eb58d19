"""The documented `CustomResponse<T>` envelope, and the one exception every sandbox route raises to fail."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify

from webapp.sandbox.codes import Code


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
