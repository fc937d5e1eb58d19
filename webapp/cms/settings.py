"""How to reach and trust the CMS: the settings a CmsClient is built from, and the base URL rule."""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx

_LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


@dataclass(frozen=True)
class CmsSettings:
    """How to reach and trust the upstream. Defaults follow docs/security-checklist.md §4.4."""

    base_url: str
    merchant: str
    # Only the signed app login needs the private key; without a public key token signatures go unverified.
    merchant_private_key_pem: bytes | None = field(default=None, repr=False)
    upstream_public_key_pem: bytes | None = field(default=None, repr=False)
    app_login: str = "plain"
    # Claim expectations: each off (None / empty) unless configured (contract/ASSUMPTIONS.md §2).
    token_issuer: str | None = None
    token_audience: str | None = None
    token_type_claim: str | None = None
    token_required_claims: tuple[str, ...] = ()
    capabilities_off: frozenset[str] = frozenset()
    # How long a verified code counts when the CMS answers the verification without an elevated token.
    elevation_seconds: int = 300
    connect_timeout: float = 3.0
    read_timeout: float = 10.0
    write_timeout: float = 10.0
    pool_timeout: float = 2.0
    deadline: float = 15.0
    max_response_bytes: int = 5_000_000
    max_pool: int = 20
    get_attempts: int = 2
    retry_after_cap: float = 2.0
    breaker_failures: int = 5
    breaker_reset_seconds: float = 30.0
    verify_tls: bool = True
    refresh_margin: int = 30


def validate_base_url(base_url: str) -> str:
    """https only, or plain http to loopback (the sandbox); no credentials, query or fragment in the URL."""
    url = httpx.URL(base_url)
    host = url.host
    if url.scheme == "https" or (url.scheme == "http" and host in _LOOPBACK_HOSTS):
        pass
    else:
        raise ValueError("CMS base URL must be https:// (plain http only for 127.0.0.1/localhost)")
    if not host or url.userinfo or url.query or url.fragment:
        raise ValueError("CMS base URL must be a plain https://host/path URL")
    return str(url).rstrip("/")
