"""Configuration: defaults → instance/config.py → environment → the overrides dict; validated, fails closed.

Every key the console reads is in `DEFAULTS`, so `instance/config.example.py` and the environment share one
list. Derived Flask / extension settings (session cookie, Flask-Session, Flask-Limiter, CSRF) are computed
here from those keys, never set by hand elsewhere.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from collections.abc import Callable, Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from webapp.cardholders.phones import REGIONS

ENVIRONMENTS = ("sandbox", "qa", "production")
MIN_SECRET_KEY_LENGTH = 32
MAX_CONTENT_LENGTH = 17 * 1024 * 1024  # the upstream's 16 MB bulk limit plus multipart overhead
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

DEFAULTS: dict[str, Any] = {
    "SECRET_KEY": None,
    "CONSOLE_ENV": "sandbox",
    "DEBUG": False,
    "TESTING": False,
    "CMS_BASE_URL": None,
    "CMS_MERCHANT": "migo-console",
    "CMS_MERCHANT_KEY_FILE": None,
    "CMS_MERCHANT_KEY_PEM": None,
    "CMS_PUBLIC_KEY_FILE": None,
    "CMS_PUBLIC_KEY_PEM": None,
    "CMS_VERIFY_TLS": True,
    "CMS_TRANSPORT": None,
    # App login body: the documented `{merchant}` (plain), or with an Ed25519 signature (signed: needs a key).
    "CMS_APP_LOGIN": "plain",
    # Claim expectations on received tokens: each off unless set (nothing about the claims is documented).
    "CMS_TOKEN_ISSUER": None,
    "CMS_TOKEN_AUDIENCE": None,
    "CMS_TOKEN_TYPE_CLAIM": None,
    "CMS_TOKEN_REQUIRED_CLAIMS": None,
    # Assumed operations to treat as missing without asking (names from webapp/cms/capabilities.py, or
    # `assumed` for all of them); others are learned missing from the CMS's own answer.
    "CMS_CAPABILITIES_OFF": None,
    # Partners to offer when the CMS cannot list them (`1:Name,2:Other`); each is still checked upstream.
    "CMS_PARTNERS": None,
    # Seconds a verified code counts when the CMS's answer carries no elevated token.
    "CMS_ELEVATION_SECONDS": 300,
    # `always`: every sign-in asks for the emailed code; `when-asked`: only when the CMS says it needs one.
    "SIGN_IN_OTP": "always",
    # The locale Spanish pages use (the market: es_GT, es_MX, es_CO, ...); the `es` catalog serves them all,
    # and the locale decides separators and date order (es_GT writes 250,000.00, es_ES 250.000,00).
    "SPANISH_LOCALE": "es_GT",
    # Upstream time and failure budget (security-checklist §4.4); None keeps the CMS client's own default.
    "CMS_CONNECT_TIMEOUT": None,
    "CMS_READ_TIMEOUT": None,
    "CMS_DEADLINE": None,
    "CMS_GET_ATTEMPTS": None,
    "CMS_BREAKER_FAILURES": None,
    "CMS_BREAKER_RESET_SECONDS": None,
    # Connections to the CMS per process, and how long a request waits for one (F19: fail fast when full).
    "CMS_MAX_POOL": None,
    "CMS_POOL_TIMEOUT": None,
    "SANDBOX_PUBLIC_URL": None,
    "DATABASE_URL": None,
    "REDIS_URL": None,
    "SESSION_IDLE_SECONDS": 900,
    "SESSION_ABSOLUTE_SECONDS": 28800,
    "SESSION_WARNING_SECONDS": 120,
    "LOGIN_RATE_LIMIT": "5 per minute;20 per hour",
    "OTP_RATE_LIMIT": "5 per minute;20 per hour",
    # Step-up codes, per operator and per IP: codes sent, and codes refused (counted across codes).
    "STEP_UP_SEND_RATE_LIMIT": "5 per minute;60 per hour",
    "STEP_UP_RATE_LIMIT": "5 per minute;20 per hour",
    # Seconds a step-up made in the console counts for further sensitive actions; 0: every one asks.
    "STEP_UP_MAX_AGE": 0,
    "COOKIE_SECURE": None,
    "DORMANT_DAYS": 90,
    "TRUSTED_HOSTS": None,
    "PROXY_FIX_X_FOR": None,
    "PROXY_FIX_X_PROTO": None,
    "PROXY_FIX_X_HOST": 0,
    "PROXY_FIX_X_PORT": 0,
    "PROXY_FIX_X_PREFIX": 0,
    "MAX_CONTENT_LENGTH": MAX_CONTENT_LENGTH,
    # Bulk uploads: how long the progress reader waits through a silent stream before it says "stalled",
    # and how many days upload history, reports and staged files are kept (`flask uploads purge`).
    "UPLOADS_PROGRESS_IDLE_SECONDS": 30.0,
    "UPLOADS_RETENTION_DAYS": 30,
    # Days audit events stay in the database; `flask audit-trail archive` moves older ones to a file.
    "AUDIT_TRAIL_RETENTION_DAYS": 400,
    # The country a phone typed without "+" belongs to (ISO 3166 code, as libphonenumber knows them).
    "PHONE_REGION": "GT",
    # flock files of the cross-request locks when sessions live on the filesystem (None: instance/locks).
    "CONSOLE_LOCK_DIR": None,
    # /readyz details (checks, environment, token times) for this bearer token or a loopback caller only.
    "METRICS_TOKEN": None,
    # Server-Timing (upstream, render and total time) on every answer: off, it tells outsiders our internals.
    "SERVER_TIMING": False,
    "LOG_LEVEL": "INFO",
    # Times are stored in UTC and shown in this zone, named on screen (Flask-Babel reads the same key).
    "BABEL_DEFAULT_TIMEZONE": "America/Guatemala",
    "STORE_MIGRATE_ON_START": True,
    # Background jobs (webapp/jobs)
    # The queue: unset, SQLite in the instance folder (one machine); redis://… shared by every node.
    "JOBS_BROKER_URL": None,
    # The queue's name on the broker: the nodes of one console share it; two consoles on one Redis do not.
    "JOBS_QUEUE_NAME": "console-jobs",
    # Worker threads per worker process (`python -m webapp.jobs`); run N processes for N times as many.
    "JOBS_WORKERS": 2,
    # CMS calls in flight at once per worker process, across all its jobs (in total: processes x this).
    "JOBS_CMS_CONCURRENCY": 4,
    # A job whose worker stopped beating is run again up to this many attempts in all, then failed.
    "JOBS_MAX_ATTEMPTS": 3,
    # A running job's worker writes a heartbeat this often; one older than JOBS_STALE_SECONDS is gone.
    "JOBS_HEARTBEAT_SECONDS": 10,
    "JOBS_STALE_SECONDS": 60,
    # A job not finished this long after it was asked for fails as "stuck past its deadline".
    "JOBS_DEADLINE_SECONDS": 3600,
    # The reaper (deadlines, lost workers) runs every this many minutes; the clean-up daily at this UTC hour.
    "JOBS_REAPER_MINUTES": 1,
    "JOBS_RETENTION_HOUR": 3,
    # Seconds a job's result file stays downloadable.
    "JOBS_RESULT_TTL_SECONDS": 86400,
}


class ConfigError(RuntimeError):
    """The configuration is unsafe or incomplete; the app must not start."""


def _as_bool(raw: str) -> bool:
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def _as_list(raw: str) -> list[str]:
    return [item.strip() for item in raw.split(",") if item.strip()]


_ENV_PARSERS: dict[str, Callable[[str], Any]] = {
    "DEBUG": _as_bool,
    "TESTING": _as_bool,
    "CMS_VERIFY_TLS": _as_bool,
    "COOKIE_SECURE": _as_bool,
    "STORE_MIGRATE_ON_START": _as_bool,
    "SESSION_IDLE_SECONDS": int,
    "SESSION_ABSOLUTE_SECONDS": int,
    "SESSION_WARNING_SECONDS": int,
    "STEP_UP_MAX_AGE": int,
    "DORMANT_DAYS": int,
    "MAX_CONTENT_LENGTH": int,
    "PROXY_FIX_X_FOR": int,
    "PROXY_FIX_X_PROTO": int,
    "PROXY_FIX_X_HOST": int,
    "PROXY_FIX_X_PORT": int,
    "PROXY_FIX_X_PREFIX": int,
    "TRUSTED_HOSTS": _as_list,
    "CMS_CONNECT_TIMEOUT": float,
    "CMS_READ_TIMEOUT": float,
    "CMS_DEADLINE": float,
    "CMS_GET_ATTEMPTS": int,
    "CMS_BREAKER_FAILURES": int,
    "CMS_BREAKER_RESET_SECONDS": float,
    "CMS_MAX_POOL": int,
    "CMS_POOL_TIMEOUT": float,
    "CMS_ELEVATION_SECONDS": int,
    "CMS_TOKEN_REQUIRED_CLAIMS": _as_list,
    "UPLOADS_PROGRESS_IDLE_SECONDS": float,
    "UPLOADS_RETENTION_DAYS": int,
    "AUDIT_TRAIL_RETENTION_DAYS": int,
    "SERVER_TIMING": _as_bool,
}
_NOT_FROM_ENV = frozenset({"CMS_TRANSPORT"})  # a Python object, tests only


def from_environment(environ: Mapping[str, str]) -> dict[str, Any]:
    """The known keys present in the environment, parsed; an empty value means "unset"."""
    found: dict[str, Any] = {}
    for key in DEFAULTS:
        if key in _NOT_FROM_ENV or key not in environ:
            continue
        raw = environ[key]
        found[key] = None if raw == "" else _ENV_PARSERS.get(key, str)(raw)
    return found


def from_pyfile(path: Path) -> dict[str, Any]:
    """Upper-case names of `instance/config.py`, if the file exists."""
    if not path.is_file():
        return {}
    namespace: dict[str, Any] = {"__file__": str(path)}
    exec(compile(path.read_bytes(), str(path), "exec"), namespace)  # noqa: S102 - the operator's own config file
    return {key: value for key, value in namespace.items() if key.isupper()}


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
    config.setdefault("SESSION_COOKIE_NAME", "__Host-console" if secure else "console")
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
