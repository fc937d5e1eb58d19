"""Configuration: defaults → instance/config.py → environment → the overrides dict; validated, fails closed.

`SETTINGS` is the one table of every key the console reads: its default, how its environment variable is
parsed, and what it means. `instance/config.example.py` and the environment share that list. The environment
variable for key K is `CONSOLE_` + K (`CONSOLE_CMS_BASE_URL`), except keys that already start with `CONSOLE_`
(`CONSOLE_ENV`). Derived Flask / extension settings (session cookie, Flask-Session, Flask-Limiter, CSRF) are
computed here from those keys, never set by hand elsewhere.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import secrets
from collections.abc import Iterator, Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Config

from webapp.cardholders.phones import REGIONS
from webapp.config_table import DEFAULTS, SETTINGS

log = logging.getLogger(__name__)

ENVIRONMENTS = ("sandbox", "qa", "production")
ENV_PREFIX = "CONSOLE_"
MIN_SECRET_KEY_LENGTH = 32
# Values seen in examples and tutorials: a key equal to one of these is as good as none.
KNOWN_DEFAULT_SECRETS = frozenset(
    {
        "dev",
        "development",
        "secret",
        "secret-key",
        "changeme",
        "change-me",
        "change-me-please",
        "please-change-me",
        "replace-me",
        "not-a-secret",
        "insecure",
        "CHANGE-ME-to-a-long-random-string",
    }
)


class ConfigError(RuntimeError):
    """The configuration is unsafe or incomplete; the app must not start."""


def env_name(key: str) -> str:
    """The environment variable of `key`: `CONSOLE_` + key, unless the key already starts with it."""
    return key if key.startswith(ENV_PREFIX) else ENV_PREFIX + key


def from_environment(environ: Mapping[str, str]) -> dict[str, Any]:
    """The known keys whose `CONSOLE_` variables are set, parsed; an empty value means "unset".

    Not Flask's `from_prefixed_env`: it would take every `CONSOLE_` variable as a key (gunicorn's
    CONSOLE_BIND, make's CONSOLE_PORT), turn CONSOLE_ENV into ENV, and parse values as JSON, where the
    table's parsers read `yes`/`on` and comma-separated lists."""
    found: dict[str, Any] = {}
    for key, setting in SETTINGS.items():
        name = env_name(key)
        if setting.parse is None or name not in environ:
            continue
        raw = environ[name]
        found[key] = None if raw == "" else setting.parse(raw)
    return found


def unprefixed_variables(environ: Mapping[str, str]) -> Iterator[str]:
    """Known keys set in the environment under their bare name only: they are not read."""
    for key, setting in SETTINGS.items():
        name = env_name(key)
        if setting.parse is not None and name != key and key in environ and name not in environ:
            yield key


def warn_unprefixed(environ: Mapping[str, str]) -> None:
    """Name the variables the console ignores and the one to set instead (never their values)."""
    for key in unprefixed_variables(environ):
        log.warning("%s is set in the environment but not read: set %s instead", key, env_name(key))


def instance_folder(overrides: Mapping[str, Any], environ: Mapping[str, str], default: Path) -> str:
    """INSTANCE_PATH, read before everything else: the instance file lives there."""
    name = env_name("INSTANCE_PATH")
    return str(overrides.get("INSTANCE_PATH") or environ.get(name) or default)


def from_pyfile(path: Path) -> dict[str, Any]:
    """Upper-case names of `instance/config.py`, if the file exists (Flask's `Config.from_pyfile`)."""
    loaded = Config(str(path.parent))
    loaded.from_pyfile(str(path), silent=True)
    return dict(loaded)


def _is_loopback_url(url: str | None) -> bool:
    host = urlsplit(url or "").hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def build_config(
    instance_path: str, overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """The merged, derived and validated configuration. Raises ConfigError when it is unsafe."""
    config: dict[str, Any] = dict(DEFAULTS)
    config.update(from_pyfile(Path(instance_path) / "config.py"))
    config.update(from_environment(os.environ if environ is None else environ))
    config.update(overrides or {})
    problems = validate(config)
    if problems:
        raise ConfigError("Refusing to start: " + "; ".join(problems))
    derive(config, instance_path)
    return config


def validate(config: Mapping[str, Any]) -> list[str]:
    """Every reason this configuration must not run; production fails closed."""
    problems: list[str] = []
    env = config.get("CONSOLE_ENV")
    if env not in ENVIRONMENTS:
        problems.append(f"CONSOLE_ENV must be one of {', '.join(ENVIRONMENTS)}")
    if config["SESSION_WARNING_SECONDS"] >= config["SESSION_IDLE_SECONDS"]:
        problems.append("SESSION_WARNING_SECONDS must be shorter than SESSION_IDLE_SECONDS")
    max_age = config.get("STEP_UP_MAX_AGE")
    if not isinstance(max_age, int) or isinstance(max_age, bool) or max_age < 0:
        problems.append("STEP_UP_MAX_AGE must be a whole number of seconds, 0 or more")
    problems.extend(_cms_problems(config))
    problems.extend(_upload_problems(config))
    problems.extend(_locale_problems(config))
    if config.get("PHONE_REGION") is not None and config["PHONE_REGION"] not in REGIONS:
        problems.append("PHONE_REGION must be a two-letter region code libphonenumber knows, e.g. GT")
    if env != "sandbox" and not config.get("SECRET_KEY"):
        # A generated key is one per process: two workers would refuse each other's forms and sessions.
        problems.append("SECRET_KEY is missing (only the sandbox may run on a generated key)")
    if env != "production":
        return problems
    if config.get("DEBUG"):
        problems.append("DEBUG is on")
    key = str(config.get("SECRET_KEY") or "")  # a missing key is reported above
    if key and len(key) < MIN_SECRET_KEY_LENGTH:
        problems.append(f"SECRET_KEY is shorter than {MIN_SECRET_KEY_LENGTH} characters")
    elif key in KNOWN_DEFAULT_SECRETS:
        problems.append("SECRET_KEY is a well-known default")
    base_url = str(config.get("CMS_BASE_URL") or "")
    if urlsplit(base_url).scheme != "https":
        problems.append("CMS_BASE_URL must be an https:// URL")
    if not config.get("CMS_VERIFY_TLS", True):
        problems.append("TLS verification (CMS_VERIFY_TLS) is off")
    if not config.get("REDIS_URL"):
        problems.append("REDIS_URL is unset (sessions and rate limits would live in one process)")
    if not config.get("TRUSTED_HOSTS"):
        problems.append("TRUSTED_HOSTS is unset")
    if config.get("PROXY_FIX_X_FOR") is None or config.get("PROXY_FIX_X_PROTO") is None:
        problems.append("PROXY_FIX_X_FOR / PROXY_FIX_X_PROTO hop counts are unset (use 0 when no proxy)")
    if config.get("COOKIE_SECURE") is False:
        problems.append("COOKIE_SECURE is off")
    return problems


def _positive(value: Any, *, whole: bool) -> bool:
    kinds = (int,) if whole else (int, float)
    return isinstance(value, kinds) and not isinstance(value, bool) and value > 0


def _upload_problems(config: Mapping[str, Any]) -> list[str]:
    problems: list[str] = []
    if not _positive(config.get("UPLOADS_PROGRESS_IDLE_SECONDS"), whole=False):
        problems.append("UPLOADS_PROGRESS_IDLE_SECONDS must be a number of seconds above 0")
    if not _positive(config.get("UPLOADS_RETENTION_DAYS"), whole=True):
        problems.append("UPLOADS_RETENTION_DAYS must be a whole number of days, 1 or more")
    if not _positive(config.get("AUDIT_TRAIL_RETENTION_DAYS"), whole=True):
        problems.append("AUDIT_TRAIL_RETENTION_DAYS must be a whole number of days, 1 or more")
    return problems


def _locale_problems(config: Mapping[str, Any]) -> list[str]:
    from babel import Locale, UnknownLocaleError

    from webapp.formatting import zone_problem

    problems: list[str] = []
    zone = zone_problem(config.get("BABEL_DEFAULT_TIMEZONE"))
    if zone:
        problems.append(zone)
    spanish = config.get("SPANISH_LOCALE")
    try:
        parsed = Locale.parse(spanish) if isinstance(spanish, str) and spanish else None
    except (UnknownLocaleError, ValueError):
        parsed = None
    if parsed is None or parsed.language != "es":
        problems.append(f"SPANISH_LOCALE must be a Spanish locale such as es_GT or es_ES, not {spanish!r}")
    return problems


def _cms_problems(config: Mapping[str, Any]) -> list[str]:
    """The CMS settings that cannot work together, in any environment."""
    from webapp.cms.capabilities import parse_off
    from webapp.partner_list import parse_partners

    problems: list[str] = []
    mode = config.get("CMS_APP_LOGIN")
    if mode not in ("plain", "signed"):
        problems.append("CMS_APP_LOGIN must be plain or signed")
    elif mode == "signed" and not (config.get("CMS_MERCHANT_KEY_FILE") or config.get("CMS_MERCHANT_KEY_PEM")):
        problems.append("CMS_APP_LOGIN=signed needs the merchant private key (CMS_MERCHANT_KEY_FILE)")
    elevation = config.get("CMS_ELEVATION_SECONDS")
    if not isinstance(elevation, int) or isinstance(elevation, bool) or elevation < 0:
        problems.append("CMS_ELEVATION_SECONDS must be a whole number of seconds, 0 or more")
    if config.get("SIGN_IN_OTP") not in ("always", "when-asked"):
        problems.append("SIGN_IN_OTP must be always or when-asked")
    try:
        parse_off(config.get("CMS_CAPABILITIES_OFF"))
    except ValueError as exc:
        problems.append(f"CMS_CAPABILITIES_OFF: {exc}")
    try:
        parse_partners(config.get("CMS_PARTNERS"))
    except ValueError as exc:
        problems.append(f"CMS_PARTNERS: {exc}")
    return problems


def derive(config: dict[str, Any], instance_path: str) -> None:
    """Fill the Flask and extension settings that follow from the console's own keys."""
    if not config.get("SECRET_KEY"):
        # Only reachable in the sandbox (validate refuses elsewhere): a per-process key keeps a quick local
        # run working.
        config["SECRET_KEY"] = secrets.token_urlsafe(48)
        config["SECRET_KEY_GENERATED"] = True
    config["INSTANCE_PATH"] = instance_path
    if config.get("PHONE_REGION") is None:  # an empty variable means "unset", as for every other key
        config["PHONE_REGION"] = DEFAULTS["PHONE_REGION"]
    if config.get("COOKIE_SECURE") is None:
        plain_http_dev = config["TESTING"] or (
            config["CONSOLE_ENV"] == "sandbox" and _is_loopback_url(config.get("CMS_BASE_URL"))
        )
        config["COOKIE_SECURE"] = not plain_http_dev
    if not config.get("DATABASE_URL"):
        config["DATABASE_URL"] = f"sqlite:///{Path(instance_path) / 'console.sqlite3'}"

    secure = bool(config["COOKIE_SECURE"])
    # `__Host-` needs Secure, Path=/ and no Domain; a plain-http dev run falls back to a bare name.
    if not config.get("SESSION_COOKIE_NAME"):
        config["SESSION_COOKIE_NAME"] = "__Host-console" if secure else "console"
    config["SESSION_COOKIE_SECURE"] = secure
    config["SESSION_COOKIE_HTTPONLY"] = True
    config["SESSION_COOKIE_SAMESITE"] = "Lax"
    config["SESSION_COOKIE_PATH"] = "/"
    config["SESSION_COOKIE_DOMAIN"] = None
    config["SESSION_PERMANENT"] = True
    config["PERMANENT_SESSION_LIFETIME"] = timedelta(seconds=int(config["SESSION_ABSOLUTE_SECONDS"]))
    # Write the session record only when it changed: idle time is tracked by `last_seen` (coarsely, see
    # auth.session_lifecycle), and the record's own lifetime is the absolute limit.
    config["SESSION_REFRESH_EACH_REQUEST"] = False
    config["SESSION_TYPE"] = "redis" if config.get("REDIS_URL") else "cachelib"
    config["SESSION_KEY_PREFIX"] = "console:session:"
    config["SESSION_FILE_DIR_PATH"] = str(Path(instance_path) / "sessions")

    config["RATELIMIT_STORAGE_URI"] = config.get("REDIS_URL") or "memory://"
    config["RATELIMIT_HEADERS_ENABLED"] = True
    config["RATELIMIT_KEY_PREFIX"] = "console-limits"

    config["WTF_CSRF_TIME_LIMIT"] = None  # the token lives as long as the (already time-limited) session
    # Flask-WTF's HTTPS Referer check needs a Referer, which `Referrer-Policy: no-referrer` withholds;
    # extensions.refuse_foreign_origin checks Sec-Fetch-Site / Origin / Referer instead.
    config["WTF_CSRF_SSL_STRICT"] = False
    config["PREFERRED_URL_SCHEME"] = "https" if secure else "http"
