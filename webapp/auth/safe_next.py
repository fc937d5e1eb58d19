"""Where to go after signing in: only a same-site relative path, never another origin (open redirect)."""

from __future__ import annotations

from urllib.parse import urlsplit

# Paths that would loop straight back into the sign-in flow or act on arrival.
_REFUSED_PREFIXES = ("/auth/",)


def safe_next(candidate: str | None) -> str | None:
    """`candidate` when it is a plain absolute path on this site, else None.

    Refuses scheme-relative `//host`, backslash tricks browsers normalise to `//`, schemes, control characters
    and anything that parses with a scheme or a host.
    """
    if not candidate or len(candidate) > 2000:
        return None
    if not candidate.startswith("/") or candidate.startswith("//"):
        return None
    if "\\" in candidate or any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in candidate):
        return None
    parts = urlsplit(candidate)
    if parts.scheme or parts.netloc:
        return None
    if candidate.startswith(_REFUSED_PREFIXES):
        return None
    return candidate
