"""How personal data looks on screen and in exports when it has not been revealed.

The console masks whatever the CMS sends: the list answers full values (masking is the console's job there),
and even a detail answer that came back unmasked is masked again unless the operator asked to reveal it.
Each mask keeps only what an operator needs to tell two people apart.
"""

from __future__ import annotations

from typing import Final

DOT: Final = "•"
# PCI DSS 3.4.1: at most the first six and the last four digits of a card number, ever.
PAN_HEAD: Final = 6
PAN_TAIL: Final = 4


def _tail(value: str, keep: int) -> str:
    """`keep` trailing characters, the rest as dots; short values show fewer so at least half is hidden."""
    visible = min(keep, len(value) // 2)
    return DOT * (len(value) - visible) + (value[-visible:] if visible else "")


def mask_document(value: str | None) -> str:
    """Document numbers: the last four."""
    return _tail(value, 4) if value else ""


def mask_phone(value: str | None) -> str:
    """Phones: the last four of a full number (country code included), three of a short one."""
    if not value:
        return ""
    return _tail(value, 4 if len(value) >= 10 else 3)


def mask_email(value: str | None) -> str:
    """Emails: the first character and the domain (`a•••@example.com`)."""
    if not value:
        return ""
    local, sep, domain = value.rpartition("@")
    if not sep or not local:
        return _tail(value, 2)
    return f"{local[:1]}{DOT * 3}@{domain}"


def _digits(text: str | None) -> str:
    return "".join(ch for ch in (text or "") if ch.isascii() and ch.isdigit())


def mask_pan(masked_pan: str | None, last4: str | None, *, show_bin: bool) -> str:
    """A card number for display: `•••• 1234`, or `411111 •••••• 1234` for operators allowed the BIN.

    Built from the digits alone and never from more than the first six and the last four, even if an upstream
    answer ever carried a full number.
    """
    tail = _digits(last4)[-PAN_TAIL:] or _digits(masked_pan)[-PAN_TAIL:]
    if len(tail) != PAN_TAIL:
        return DOT * 4
    head = (masked_pan or "")[:PAN_HEAD]
    if show_bin and len(head) == PAN_HEAD and head.isascii() and head.isdigit():
        return f"{head} {DOT * 6} {tail}"
    return f"{DOT * 4} {tail}"
