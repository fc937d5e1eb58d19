"""The per-process CMS client, built once at create_app from config.

Keys come from PEM values or files (instance/ or a secret mount), never from the repository. When the CMS is
not configured (a bare unit-test app), `cms()` says so instead of failing at start-up.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask, current_app

from webapp.cms import CmsClient, CmsSettings
from webapp.cms.capabilities import parse_off

EXTENSION_KEY = "cms"


class UpstreamNotConfigured(RuntimeError):
    """CMS_BASE_URL (or the key of a signed app login) is missing; only tolerated outside production."""


def _pem(config: dict[str, Any], pem_key: str, file_key: str) -> bytes | None:
    value = config.get(pem_key)
    if value:
        return value.encode() if isinstance(value, str) else bytes(value)
    path = config.get(file_key)
    return Path(path).read_bytes() if path else None


# Console config key → CmsSettings field, for the upstream time and failure budget. Unset keys keep the
# client's defaults (docs/security-checklist.md §4.4); tests and benchmarks shorten them.
_BUDGET_KEYS: dict[str, str] = {
    "CMS_CONNECT_TIMEOUT": "connect_timeout",
    "CMS_READ_TIMEOUT": "read_timeout",
    "CMS_DEADLINE": "deadline",
    "CMS_GET_ATTEMPTS": "get_attempts",
    "CMS_BREAKER_FAILURES": "breaker_failures",
    "CMS_BREAKER_RESET_SECONDS": "breaker_reset_seconds",
    "CMS_MAX_POOL": "max_pool",
    "CMS_POOL_TIMEOUT": "pool_timeout",
}


def settings_from_config(config: dict[str, Any]) -> CmsSettings | None:
    base_url = config.get("CMS_BASE_URL")
    app_login = str(config.get("CMS_APP_LOGIN") or "plain")
    # The private key is read only for the signed app login: the plain one must work without it.
    private_pem = (
        _pem(config, "CMS_MERCHANT_KEY_PEM", "CMS_MERCHANT_KEY_FILE") if app_login == "signed" else None
    )
    public_pem = _pem(config, "CMS_PUBLIC_KEY_PEM", "CMS_PUBLIC_KEY_FILE")
    if not base_url or (app_login == "signed" and not private_pem):
        return None
    budget = {field: config[key] for key, field in _BUDGET_KEYS.items() if config.get(key) is not None}
    return CmsSettings(
        base_url=str(base_url),
        merchant=str(config["CMS_MERCHANT"]),
        merchant_private_key_pem=private_pem,
        upstream_public_key_pem=public_pem,
        app_login=app_login,
        token_issuer=config.get("CMS_TOKEN_ISSUER") or None,
        token_audience=config.get("CMS_TOKEN_AUDIENCE") or None,
        token_type_claim=config.get("CMS_TOKEN_TYPE_CLAIM") or None,
        token_required_claims=tuple(config.get("CMS_TOKEN_REQUIRED_CLAIMS") or ()),
        capabilities_off=parse_off(config.get("CMS_CAPABILITIES_OFF")),
        elevation_seconds=int(config.get("CMS_ELEVATION_SECONDS") or 0),
        verify_tls=bool(config.get("CMS_VERIFY_TLS", True)),
        **budget,
    )


def init_app(app: Flask) -> None:
    settings = settings_from_config(dict(app.config))
    app.extensions[EXTENSION_KEY] = (
        CmsClient(settings, transport=app.config.get("CMS_TRANSPORT")) if settings else None
    )
    app.jinja_env.globals["cms_offers"] = offers


def cms() -> CmsClient:
    """The app's CMS client (thread-safe, shared by every request of this process)."""
    client: CmsClient | None = current_app.extensions.get(EXTENSION_KEY)
    if client is None:
        raise UpstreamNotConfigured("CMS_BASE_URL (and the key a signed app login needs) is not configured.")
    return client


def offers(capability: str) -> bool:
    """Whether the CMS may offer an assumed operation (False once it is known missing); for nav and pages."""
    client: CmsClient | None = current_app.extensions.get(EXTENSION_KEY)
    return client is None or client.capabilities.offered(capability)
