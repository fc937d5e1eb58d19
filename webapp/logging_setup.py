"""Structured JSON logs, one line per record, with secrets and card data scrubbed on the way out.

The redaction filter sits on the console's handler, so it sees every record that handler writes: the app's
own, the CMS client's, httpx's and werkzeug's. `security_event` scrubs its fields before logging as well, so
test handlers (caplog) never hold a secret either.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import IO, Any

from flask import Flask, g, has_request_context, request
from flask_login import current_user

HANDLER_NAME = "console-json"
REDACTED = "[redacted]"
security_log = logging.getLogger("webapp.security")

# Field names whose values are secret whatever they look like.
_SECRET_KEY_RE = re.compile(
    r"pass(word|wd)?|otp|token|secret|authorization|cookie|csrf|signature|private|api[_-]?key", re.I
)
# `password=…`, `"otp": "…"`, `x-user-token: Bearer …` inside free text.
_SECRET_PAIR_RE = re.compile(
    r"(?P<key>[\w-]*(?:pass(?:word|wd)?|otp|token|secret|authorization|csrf|signature)[\w-]*)"
    r"(?P<sep>[\"']?\s*[:=]\s*[\"']?)(?P<value>(?:bearer\s+)?[^\s\"',;&}]+)",
    re.I,
)
_BEARER_RE = re.compile(r"\bBearer\s+[A-Za-z0-9._~+/=-]+", re.I)
_JWT_RE = re.compile(r"\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
_DIGIT_RUN_RE = re.compile(r"(?<!\d)\d{13,19}(?!\d)")
# Card numbers are often written in groups: 4111 1111 1111 1111 / 4111-1111-1111-1111.
_GROUPED_PAN_RE = re.compile(r"(?<!\d)\d{4}(?:[ -]\d{2,6}){2,4}(?!\d)")

# Attributes every LogRecord has; anything else on a record came from `extra=`.
_STANDARD_ATTRS = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}


def luhn_valid(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def _mask_digit_run(match: re.Match[str]) -> str:
    run = match.group(0)
    digits = re.sub(r"\D", "", run)
    if len(digits) == 13:  # a DPI (Guatemalan ID) is 13 digits: never log it whole
        return "[redacted-id]"
    if 13 <= len(digits) <= 19 and luhn_valid(digits):
        return f"[pan …{digits[-4:]}]"
    return run


def scrub_text(text: str) -> str:
    """Remove tokens, secrets in key=value pairs, card numbers and 13-digit IDs from free text."""
    text = _JWT_RE.sub(REDACTED, text)
    text = _BEARER_RE.sub("Bearer " + REDACTED, text)
    text = _SECRET_PAIR_RE.sub(lambda m: f"{m.group('key')}{m.group('sep')}{REDACTED}", text)
    text = _GROUPED_PAN_RE.sub(_mask_digit_run, text)
    return _DIGIT_RUN_RE.sub(_mask_digit_run, text)


def scrub_value(value: Any, key: str = "") -> Any:
    """Scrub one field value; secret-named keys lose their value entirely."""
    if key and _SECRET_KEY_RE.search(key) and value not in (None, "", 0, False):
        return REDACTED
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, Mapping):
        return {str(k): scrub_value(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [scrub_value(item) for item in value]
    if isinstance(value, int | float | bool) or value is None:
        if isinstance(value, int) and not isinstance(value, bool):
            return scrub_value(str(value)) if len(str(abs(value))) >= 13 else value
        return value
    return scrub_text(str(value))


class RedactionFilter(logging.Filter):
    """Rewrites each record in place so no formatter or handler after it can see the secret."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            message = str(record.msg)
        record.msg = scrub_text(message)
        record.args = None
        for key in [k for k in vars(record) if k not in _STANDARD_ATTRS]:
            setattr(record, key, scrub_value(getattr(record, key), key))
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = scrub_text(record.exc_text)
        record.exc_info = None  # the scrubbed text above is what gets written
        return True


def _request_fields() -> dict[str, Any]:
    if not has_request_context():
        return {}
    fields: dict[str, Any] = {"request_id": g.get("request_id"), "ip": request.remote_addr}
    actor_id = g.get("actor_id")
    if actor_id is None:
        try:
            actor_id = current_user.id if current_user.is_authenticated else None
        except Exception:  # a broken session store must not stop a log line
            actor_id = None
    fields["actor_id"] = actor_id
    return fields


class JsonFormatter(logging.Formatter):
    """One JSON object per line; JSON string escaping keeps CR/LF in values from forging extra lines."""

    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "event": getattr(record, "event", None) or record.getMessage(),
        }
        payload.update({k: v for k, v in _request_fields().items() if k not in payload})
        if getattr(record, "event", None):
            payload["message"] = record.getMessage()
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRS and key not in {"event"}:
                payload.setdefault(key, value)
        if record.exc_text:
            payload["exc"] = record.exc_text
        return json.dumps(payload, default=str, ensure_ascii=False)


def configure_logging(app: Flask, stream: IO[str] | None = None) -> logging.Handler:
    """Install (or replace) the console's JSON handler on the root logger."""
    root = logging.getLogger()
    for existing in [h for h in root.handlers if h.get_name() == HANDLER_NAME]:
        root.removeHandler(existing)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.set_name(HANDLER_NAME)
    handler.addFilter(RedactionFilter())
    handler.setFormatter(JsonFormatter())
    root.addHandler(handler)
    level = logging.getLevelName(str(app.config.get("LOG_LEVEL", "INFO")).upper())
    root.setLevel(level if isinstance(level, int) else logging.INFO)
    # httpx/httpcore DEBUG lines carry request headers (tokens): never below WARNING.
    for noisy in ("httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return handler


def security_event(name: str, **fields: Any) -> None:
    """Log a named security event (login failure, csrf_failure, authz_denied, …) with scrubbed fields."""
    level = fields.pop("level", logging.WARNING)
    # A field named like a LogRecord attribute ("name", "msg") would make logging raise: suffix it.
    extra = {
        (f"{key}_" if key in _STANDARD_ATTRS else key): scrub_value(value, key)
        for key, value in fields.items()
    }
    extra["event"] = name
    security_log.log(level, name, extra=extra)
