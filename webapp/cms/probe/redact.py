"""Redaction of everything the probe prints or writes.

The probe reports field names and JSON types, never values; what can still carry a value is text: upstream
error messages and exception messages. Those pass through here: the secrets the probe handled (password,
OTP code, tokens, the operator's email and name), the personal values it saw in answers (names, emails,
phones, document and card numbers, addresses) and anything that looks like one of those.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

# Values under these keys are personal when the object describes a person (it has one of PERSON_MARKERS):
# a cardholder, an operator, a requester. Modules and partners have names too, and those are not personal.
PERSONAL_KEYS = frozenset(
    {"name", "lastname", "email", "phonenumber", "phone", "documentnumber", "address", "dateofbirth"}
)
PERSON_MARKERS = frozenset({"email", "lastName", "phoneNumber", "documentNumber"})
# Always secret or personal, wherever they occur.
ALWAYS_KEYS = frozenset(
    {"maskedpan", "pan", "cardnumber", "last4", "filename", "observations", "decisionreason", "reason"}
)
SECRET_KEY_PARTS = ("token", "password", "otp", "secret", "signature")
MIN_SECRET_LENGTH = 3
MIN_NAME_PART = 4

_JWT = re.compile(r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
_BEARER = re.compile(r"(?i)\bbearer\s+\S+")
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
# Six or more digits, possibly grouped: OTP codes, phones, document and card numbers.
_LONG_NUMBER = re.compile(r"(?<![\w.])(?:\+?\d{6,}|\d{3,4}(?:[ -]\d{3,4}){2,})(?![\w])")


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _number(match: re.Match[str]) -> str:
    """A long digit run becomes [number]; an ISO date (the run's own timestamp) stays."""
    return match.group(0) if _ISO_DATE.fullmatch(match.group(0)) else "[number]"


class Redactor:
    def __init__(self) -> None:
        self._secrets: set[str] = set()

    def add(self, *values: Any) -> None:
        for value in values:
            if isinstance(value, bool) or value is None:
                continue
            text = str(value).strip()
            if len(text) >= MIN_SECRET_LENGTH:
                self._secrets.add(text)
                if " " in text:  # a full name: each part of it too
                    self._secrets.update(p for p in text.split() if len(p) >= MIN_NAME_PART)

    def learn(self, body: Any) -> None:
        """Remember the personal and secret values of an answer, so no message can echo them."""
        if isinstance(body, Mapping):
            person = any(marker in body for marker in PERSON_MARKERS)
            for key, value in body.items():
                lowered = str(key).lower()
                if isinstance(value, str | int | float) and (
                    (person and lowered in PERSONAL_KEYS)
                    or lowered in ALWAYS_KEYS
                    or any(part in lowered for part in SECRET_KEY_PARTS)
                ):
                    self.add(value)
                else:
                    self.learn(value)
        elif isinstance(body, list):
            for item in body:
                self.learn(item)

    def __call__(self, text: str) -> str:
        for secret in sorted(self._secrets, key=len, reverse=True):
            if secret in text:
                # Whole words only: a learned "Ana" must not turn "Analysis" into "[redacted]lysis".
                text = re.sub(rf"(?<!\w){re.escape(secret)}(?!\w)", "[redacted]", text)
        text = _JWT.sub("[token]", text)
        text = _BEARER.sub("Bearer [token]", text)
        text = _EMAIL.sub("[email]", text)
        return _LONG_NUMBER.sub(_number, text)

    def deep(self, value: Any) -> Any:
        """Redact every string (keys included) of a JSON-like value."""
        if isinstance(value, str):
            return self(value)
        if isinstance(value, Mapping):
            return {self(str(k)): self.deep(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.deep(v) for v in value]
        return value

    def many(self, texts: Iterable[str]) -> list[str]:
        return [self(t) for t in texts]
