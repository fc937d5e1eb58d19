"""Every configuration key the console reads, in one table: its default, how its environment variable
(`CONSOLE_` + the key: webapp/config.py `env_name`) is parsed, and what it means.

webapp/config.py loads them (defaults → instance/config.py → environment → overrides), validates them and
derives Flask's own settings; `instance/config.example.py` documents the same keys for an operator.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from webapp.fanout import DEFAULT_WORKERS as DEFAULT_FANOUT_WORKERS

MAX_CONTENT_LENGTH = 17 * 1024 * 1024  # the upstream's 16 MB bulk limit plus multipart overhead


def _as_bool(raw: str) -> bool:
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def _as_list(raw: str) -> list[str]:
    return [item.strip() for item in raw.split(",") if item.strip()]


@dataclass(frozen=True)
class Setting:
    """One configuration key: its default, the parser of its environment variable (None: never from the
    environment) and a one-line meaning."""

    default: Any
    parse: Callable[[str], Any] | None
    meaning: str


SETTINGS: dict[str, Setting] = {
    # Where the console runs and how it keeps its secrets.
    "INSTANCE_PATH": Setting(
        None, str, "the instance folder (config.py, keys, SQLite, sessions); None: instance/"
    ),
    "CONSOLE_ENV": Setting(
        "sandbox", str, "sandbox | qa | production: the environment badge and how strict the checks"
    ),
    "SECRET_KEY": Setting(
        None, str, "signs sessions and CSRF tokens; 32+ random characters, required but in the sandbox"
    ),
    "DEBUG": Setting(False, _as_bool, "Flask debug mode; production refuses it"),
    "TESTING": Setting(False, _as_bool, "Flask testing mode (plain-http cookies)"),
    "LOG_LEVEL": Setting("INFO", str, "level of the JSON log on stderr"),
    # The upstream CMS.
    "CMS_BASE_URL": Setting(
        None, str, "the CMS Backoffice API root; https only, plain http only to loopback"
    ),
    "CMS_MERCHANT": Setting("migo-console", str, "the merchant slug Migo issued for this environment"),
    "CMS_MERCHANT_KEY_FILE": Setting(
        None, str, "the merchant's Ed25519 private key (PEM file); signed app login only"
    ),
    "CMS_MERCHANT_KEY_PEM": Setting(None, str, "the same key as PEM text, instead of the file"),
    "CMS_PUBLIC_KEY_FILE": Setting(
        None, str, "the CMS's Ed25519 public key (PEM file): every token received is verified"
    ),
    "CMS_PUBLIC_KEY_PEM": Setting(None, str, "the same key as PEM text, instead of the file"),
    "CMS_VERIFY_TLS": Setting(True, _as_bool, "verify the CMS's TLS certificate; production refuses False"),
    "CMS_TRANSPORT": Setting(None, None, "an httpx transport object instead of the network (tests only)"),
    "CMS_APP_LOGIN": Setting(
        "plain", str, "app login body: the documented {merchant} (plain), or Ed25519-signed"
    ),
    # Claim expectations on received tokens: each off unless set (nothing about the claims is documented).
    "CMS_TOKEN_ISSUER": Setting(None, str, "the `iss` every verified token must carry"),
    "CMS_TOKEN_AUDIENCE": Setting(None, str, "the `aud` every verified token must carry"),
    "CMS_TOKEN_TYPE_CLAIM": Setting(
        None, str, "the claim naming a token's type (app, app_refresh, user, user_refresh)"
    ),
    "CMS_TOKEN_REQUIRED_CLAIMS": Setting(
        None, _as_list, "claims every verified token must carry (comma separated)"
    ),
    # Names from webapp/cms/capabilities.py, or `assumed` for all of them; others are learned missing from the
    # CMS's own answer.
    "CMS_CAPABILITIES_OFF": Setting(None, str, "assumed operations to treat as missing without asking"),
    "CMS_PARTNERS": Setting(None, str, "partners to offer when the CMS cannot list them (`1:Name,2:Other`)"),
    "CMS_ELEVATION_SECONDS": Setting(
        300, int, "seconds a verified code counts when the CMS gives no elevated token"
    ),
    # Upstream time and failure budget (docs/security-checklist.md §4.4); None keeps the client's defaults.
    "CMS_CONNECT_TIMEOUT": Setting(None, float, "seconds to connect to the CMS (client default 3)"),
    "CMS_READ_TIMEOUT": Setting(
        None, float, "seconds to wait for each read from the CMS (client default 10)"
    ),
    "CMS_DEADLINE": Setting(
        None, float, "overall seconds per CMS call, retries included (client default 15)"
    ),
    "CMS_GET_ATTEMPTS": Setting(None, int, "attempts for a read that failed in transit (client default 2)"),
    "CMS_BREAKER_FAILURES": Setting(
        None, int, "failures in a row that open the circuit breaker (client default 5)"
    ),
    "CMS_BREAKER_RESET_SECONDS": Setting(None, float, "seconds the breaker stays open (client default 30)"),
    # docs/faults.md F19: a request waiting for a connection fails fast when the pool is full.
    "CMS_MAX_POOL": Setting(None, int, "connections to the CMS per process (size it to the worker threads)"),
    "CMS_POOL_TIMEOUT": Setting(None, float, "seconds a request waits for a free connection"),
    "SANDBOX_PUBLIC_URL": Setting(None, str, "sandbox only: its root, for the link to its OTP mailbox"),
    # Sign-in, sessions and step-up.
    "SIGN_IN_OTP": Setting(
        "always", str, "always: every sign-in asks for the code; when-asked: only when the CMS asks"
    ),
    "SESSION_IDLE_SECONDS": Setting(900, int, "idle seconds before a session ends"),
    "SESSION_ABSOLUTE_SECONDS": Setting(28800, int, "seconds after sign-in a session ends, active or not"),
    "SESSION_WARNING_SECONDS": Setting(120, int, "seconds before the idle end the page warns"),
    "SESSION_COOKIE_NAME": Setting(
        None, str, "the session cookie's name; None: __Host-console, or console on plain http"
    ),
    "COOKIE_SECURE": Setting(
        None, _as_bool, "Secure cookies; None: on except in tests or a loopback sandbox run"
    ),
    "LOGIN_RATE_LIMIT": Setting("5 per minute;20 per hour", str, "password attempts per email and per IP"),
    "OTP_RATE_LIMIT": Setting(
        "5 per minute;20 per hour", str, "sign-in code attempts and resends per email and per IP"
    ),
    "STEP_UP_SEND_RATE_LIMIT": Setting(
        "5 per minute;60 per hour", str, "step-up codes sent, per operator and per IP"
    ),
    "STEP_UP_RATE_LIMIT": Setting(
        "5 per minute;20 per hour", str, "step-up codes refused (across codes), per operator and IP"
    ),
    "STEP_UP_MAX_AGE": Setting(
        0, int, "seconds a step-up made in the console counts for further sensitive actions"
    ),
    # Stores.
    "DATABASE_URL": Setting(
        None, str, "the console store (audit trail, uploads); None: SQLite under the instance folder"
    ),
    "STORE_MIGRATE_ON_START": Setting(True, _as_bool, "run the store's migrations at start-up"),
    "REDIS_URL": Setting(None, str, "sessions, rate limits and locks shared by nodes; None: one node only"),
    "CONSOLE_LOCK_DIR": Setting(
        None, str, "flock files of cross-request locks without Redis; None: instance/locks"
    ),
    # Serving.
    "TRUSTED_HOSTS": Setting(None, _as_list, "host names this console answers to (comma separated)"),
    "PROXY_FIX_X_FOR": Setting(None, int, "proxy hops trusted for X-Forwarded-For; production needs it set"),
    "PROXY_FIX_X_PROTO": Setting(
        None, int, "proxy hops trusted for X-Forwarded-Proto; production needs it set"
    ),
    "PROXY_FIX_X_HOST": Setting(0, int, "proxy hops trusted for X-Forwarded-Host"),
    "PROXY_FIX_X_PORT": Setting(0, int, "proxy hops trusted for X-Forwarded-Port"),
    "PROXY_FIX_X_PREFIX": Setting(0, int, "proxy hops trusted for X-Forwarded-Prefix"),
    "MAX_CONTENT_LENGTH": Setting(MAX_CONTENT_LENGTH, int, "largest request body accepted, in bytes"),
    "METRICS_TOKEN": Setting(
        None, str, "bearer token for /metrics and the /readyz details (else loopback only)"
    ),
    # Off by default: it tells outsiders our internals.
    "SERVER_TIMING": Setting(
        False, _as_bool, "send Server-Timing (upstream, render and total time) on every answer"
    ),
    "FANOUT_WORKERS": Setting(
        DEFAULT_FANOUT_WORKERS, int, "threads per process shared by pages asking the CMS many things at once"
    ),
    # Features.
    "DORMANT_DAYS": Setting(90, int, "days without a sign-in after which an operator is shown as dormant"),
    "UPLOADS_PROGRESS_IDLE_SECONDS": Setting(
        30.0, float, "seconds of a silent progress stream before `still processing`"
    ),
    "UPLOADS_RETENTION_DAYS": Setting(30, int, "days upload history, reports and staged files are kept"),
    "AUDIT_TRAIL_RETENTION_DAYS": Setting(
        400, int, "days audit events stay in the database before archiving"
    ),
    "SAVED_VIEWS_MENU_SECONDS": Setting(
        30.0, float, "seconds a node may show a colleague's view shared (or deleted) on another node late"
    ),
    "PHONE_REGION": Setting("GT", str, "the country (ISO 3166) of a phone typed without +"),
    # The `es` catalog serves every Spanish market; the locale decides separators and date order.
    "SPANISH_LOCALE": Setting(
        "es_GT", str, "the locale of the Spanish pages (es_GT writes 250,000.00, es_ES 250.000,00)"
    ),
    # Flask-Babel reads the same key.
    "BABEL_DEFAULT_TIMEZONE": Setting(
        "America/Guatemala", str, "the zone times are shown in (stored in UTC)"
    ),
    # Background jobs (webapp/jobs); webapp/jobs/settings.py checks them together.
    "JOBS_BROKER_URL": Setting(
        None, str, "the jobs queue: redis://… shared by every node; None: SQLite in the instance folder"
    ),
    "JOBS_QUEUE_NAME": Setting("console-jobs", str, "the queue's name on the broker, one per console"),
    "JOBS_WORKERS": Setting(2, int, "worker threads per jobs worker process (`python -m webapp.jobs`)"),
    "JOBS_CMS_CONCURRENCY": Setting(
        4, int, "CMS calls in flight per jobs worker process, across all its jobs"
    ),
    "JOBS_CMS_CONCURRENCY_TOTAL": Setting(
        16, int, "CMS calls in flight across every jobs worker on every node (leased from the queue's store)"
    ),
    "JOBS_MAX_ATTEMPTS": Setting(3, int, "attempts of a job whose worker stopped, before it fails"),
    "JOBS_HEARTBEAT_SECONDS": Setting(10.0, float, "seconds between a running job's heartbeats"),
    "JOBS_STALE_SECONDS": Setting(60.0, float, "seconds without a heartbeat after which a worker is gone"),
    "JOBS_DEADLINE_SECONDS": Setting(
        3600.0, float, "seconds after it was asked for that a job fails as stuck past its deadline"
    ),
    "JOBS_REAPER_MINUTES": Setting(1, int, "minutes between reaper passes (deadlines, lost workers)"),
    "JOBS_RETENTION_HOUR": Setting(3, int, "UTC hour of the daily clean-up of staged files and reports"),
    "JOBS_RESULT_TTL_SECONDS": Setting(86400, int, "seconds a job's result file stays downloadable"),
}

DEFAULTS: dict[str, Any] = {key: setting.default for key, setting in SETTINGS.items()}
# Flask and extension settings `derive` computes from the keys above; not settable on their own.
DERIVED = frozenset(
    {
        "SECRET_KEY_GENERATED",
        "SESSION_COOKIE_SECURE",
        "SESSION_COOKIE_HTTPONLY",
        "SESSION_COOKIE_SAMESITE",
        "SESSION_COOKIE_PATH",
        "SESSION_COOKIE_DOMAIN",
        "SESSION_PERMANENT",
        "PERMANENT_SESSION_LIFETIME",
        "SESSION_REFRESH_EACH_REQUEST",
        "SESSION_TYPE",
        "SESSION_KEY_PREFIX",
        "SESSION_FILE_DIR_PATH",
        "RATELIMIT_STORAGE_URI",
        "RATELIMIT_HEADERS_ENABLED",
        "RATELIMIT_KEY_PREFIX",
        "WTF_CSRF_TIME_LIMIT",
        "WTF_CSRF_SSL_STRICT",
        "PREFERRED_URL_SCHEME",
    }
)
