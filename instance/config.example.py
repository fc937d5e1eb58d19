"""Example console configuration. Copy to instance/config.py (git-ignored) and adjust.

Order of precedence: built-in defaults (SETTINGS in webapp/config_table.py) → this file → environment
variables → the dict passed to create_app (tests). Only upper-case names are read here. The environment
variable of a key is CONSOLE_ + the key (CONSOLE_SECRET_KEY, CONSOLE_CMS_BASE_URL); keys that already start
with CONSOLE_ keep their name (CONSOLE_ENV, CONSOLE_LOCK_DIR). A bare SECRET_KEY or CMS_BASE_URL in the
environment is not read (the console logs a warning naming the variable to use).

With CONSOLE_ENV = "production" the console refuses to start unless DEBUG is off, SECRET_KEY is long and
random, CMS_BASE_URL is https://, TLS verification is on, and REDIS_URL, TRUSTED_HOSTS and the ProxyFix hop
counts are set. README "Pointing the console at the real CMS" says how to find the right CMS_* values for a
new environment with the conformance probe.
"""

# Secret for signing CSRF tokens and sessions, 32+ random characters. Required everywhere but the sandbox
# (without one each process would make up its own, and workers would reject each other's forms):
#   python -c "import secrets; print(secrets.token_urlsafe(48))"
# SECRET_KEY = "CHANGE-ME-to-a-long-random-string"

# Which upstream this is; drives the environment badge: "sandbox" | "qa" | "production".
# CONSOLE_ENV = "sandbox"

# The CMS Backoffice API. Production: https://api.ali.app/cms/rest  QA: https://ali-qa.ali.app/cms/rest
# CMS_BASE_URL = "http://127.0.0.1:5001/cms/rest"
# CMS_MERCHANT = "migo-console"
# App login body: "plain" sends the documented {merchant}; "signed" adds an Ed25519 signature of
# "<merchant>:<timestamp>" and needs the merchant private key below.
# CMS_APP_LOGIN = "plain"
# The console's Ed25519 merchant private key (PEM), as a file path (preferred) or the PEM itself; signed only.
# CMS_MERCHANT_KEY_FILE = "instance/keys/merchant.pem"
# CMS_MERCHANT_KEY_PEM = b"-----BEGIN PRIVATE KEY-----\n..."
# The upstream's Ed25519 public key (PEM); when set, the signature of every token received is verified.
# CMS_PUBLIC_KEY_FILE = "instance/keys/sandbox-signing.pub.pem"
# CMS_PUBLIC_KEY_PEM = b"-----BEGIN PUBLIC KEY-----\n..."
# Claim expectations on received tokens, each off until set (nothing about the claims is documented).
# CMS_TOKEN_ISSUER = "ali-api-cms-rest"
# CMS_TOKEN_AUDIENCE = "ali-api-cms-rest"
# CMS_TOKEN_TYPE_CLAIM = "typ"            # then app / app_refresh / user / user_refresh are expected in it
# CMS_TOKEN_REQUIRED_CLAIMS = ["exp", "sub"]
# Partners to offer when the CMS cannot list an operator's partners (each is still checked at sign-in).
# CMS_PARTNERS = "1:Banco Quetzal,2:Fintech Maya"
# Assumed operations to treat as missing up front (webapp/cms/capabilities.py), or "assumed" for all;
# others are learned missing from the CMS's own 404 7010 / 405 / 501 answer.
# CMS_CAPABILITIES_OFF = "cms-users,permission-grants"
# Seconds a verified code counts when the CMS answers the verification without an elevated token.
# CMS_ELEVATION_SECONDS = 300
# "always": every sign-in asks for the emailed code; "when-asked": only when the CMS's login answer says so.
# SIGN_IN_OTP = "always"
# The locale of the Spanish pages (the market); the Spanish catalog serves every es_* locale. It decides the
# separators and date order too (es_GT: 250,000.00 and 7/12/2026; es_ES: 250.000,00).
# SPANISH_LOCALE = "es_GT"
# Verify the CMS's TLS certificate. Never False in production.
# CMS_VERIFY_TLS = True
# Upstream time and failure budget; unset keeps the client's defaults (docs/security-checklist.md §4.4):
# connect 3 s, read 10 s, 15 s overall per call, 2 attempts for reads, breaker open after 5 failures for 30 s.
# CMS_CONNECT_TIMEOUT = 3.0
# CMS_READ_TIMEOUT = 10.0
# CMS_DEADLINE = 15.0
# CMS_GET_ATTEMPTS = 2
# CMS_BREAKER_FAILURES = 5
# CMS_BREAKER_RESET_SECONDS = 30.0
# Connections to the CMS per process (size it to the worker threads) and the wait for a free one.
# CMS_MAX_POOL = 20
# CMS_POOL_TIMEOUT = 2.0
# Tests only: an httpx transport object instead of the network (not read from the environment).
# CMS_TRANSPORT = None

# Sandbox only: the sandbox root; the sign-in page then links to <it>/_sandbox/mailbox for OTP codes.
# SANDBOX_PUBLIC_URL = "http://127.0.0.1:5001"

# Console store (audit trail). Default: SQLite under instance/. Many nodes: PostgreSQL.
# DATABASE_URL = "postgresql+psycopg://console@db.internal:5432/console"
# Run Alembic migrations at start-up (under a PostgreSQL advisory lock).
# STORE_MIGRATE_ON_START = True

# Sessions, rate-limit counters and refresh locks. None: filesystem under instance/ and process memory
# (one machine only). Required in production.
# REDIS_URL = "redis://redis.internal:6379/0"

# Session lifetime: idle timeout (PCI DSS 8.2.8: at most 15 min), absolute limit, warning shown before idle
# end.
# SESSION_IDLE_SECONDS = 900
# SESSION_ABSOLUTE_SECONDS = 28800
# SESSION_WARNING_SECONDS = 120

# Brute-force limits on the password and OTP steps (per IP and per email), Flask-Limiter syntax.
# LOGIN_RATE_LIMIT = "5 per minute;20 per hour"
# OTP_RATE_LIMIT = "5 per minute;20 per hour"
# Step-up codes (per operator and per IP): codes sent, and codes refused, counted across codes (a new code
# does not reset the count).
# STEP_UP_SEND_RATE_LIMIT = "5 per minute;60 per hour"
# STEP_UP_RATE_LIMIT = "5 per minute;20 per hour"

# Seconds a code given in the console counts for the next sensitive actions (reveal, approval, permission
# change, bulk send...). 0: every one asks for a fresh code. The sign-in code never counts. Independent of
# CMS_ELEVATION_SECONDS: a code is also asked whenever the CMS's elevation has lapsed.
# STEP_UP_MAX_AGE = 0

# Session cookie Secure flag (and the __Host- name). Default: True except in tests or a loopback sandbox
# run.
# COOKIE_SECURE = True
# The session cookie's name. Default: __Host-console with secure cookies, console on plain http.
# SESSION_COOKIE_NAME = "__Host-console"

# Operators with no sign-in for this many days are flagged as dormant.
# DORMANT_DAYS = 90

# The sidebar's saved views are kept per node for this many seconds: an operator's own save or delete shows on
# their next page on any node, a colleague's shared view saved on another node within this time.
# SAVED_VIEWS_MENU_SECONDS = 30.0

# Host names this console answers to (Host header validation). Required in production.
# TRUSTED_HOSTS = ["console.example.com"]

# Reverse-proxy hops to trust for X-Forwarded-* (werkzeug ProxyFix). Production requires X_FOR and X_PROTO
# to be set explicitly (0 when the console faces clients directly).
# PROXY_FIX_X_FOR = 1
# PROXY_FIX_X_PROTO = 1
# PROXY_FIX_X_HOST = 0
# PROXY_FIX_X_PORT = 0
# PROXY_FIX_X_PREFIX = 0

# Threads per process shared by the pages that ask the CMS many things at once (sign-in, partner balances,
# a user's permissions, the dashboard, the permission audit); one call never holds more than 8 of them.
# FANOUT_WORKERS = 16

# Largest accepted request body (bulk files are up to 16 MB upstream).
# MAX_CONTENT_LENGTH = 17 * 1024 * 1024

# Bulk uploads: seconds the progress reader waits through a silent stream before showing "still processing",
# and days upload history and reports are kept. `flask --app wsgi uploads purge`, run daily from cron,
# deletes what is older and sweeps staged files past their TTL (bulk files 2 h, top-up evidence 30 min).
# UPLOADS_PROGRESS_IDLE_SECONDS = 30.0
# UPLOADS_RETENTION_DAYS = 30

# Days audit events stay in the database. `flask --app wsgi audit-trail archive` (cron, e.g. monthly) writes
# older ones to a file with the chain's anchor and removes them; `audit-trail verify` checks the hash chain.
# AUDIT_TRAIL_RETENTION_DAYS = 400

# The country a phone number typed without "+" belongs to, in forms, bulk files and the cardholder search
# (a region code libphonenumber knows). A number of another country is typed with + and its country code.
# PHONE_REGION = "GT"

# Folder of the lock files that keep token refreshes one at a time when sessions live on the filesystem
# (default: instance/locks). With REDIS_URL the locks live in Redis.
# CONSOLE_LOCK_DIR = "/var/lib/console/locks"

# /readyz tells anyone only "ready" or "unavailable"; its details (each check, the session backend, the app
# token's times) go to callers sending `Authorization: Bearer <METRICS_TOKEN>` and to loopback callers.
# /metrics (Prometheus) answers only those callers too; under gunicorn also set the environment variable
# PROMETHEUS_MULTIPROC_DIR to an empty directory of its own so a scrape sees every worker.
# METRICS_TOKEN = "a-long-random-string"
# Server-Timing header (upstream, render and total time) on every answer; off: it describes internals.
# SERVER_TIMING = False

# Log level of the JSON logs on stderr.
# LOG_LEVEL = "INFO"

# Times are stored and exported in UTC and shown in this IANA time zone, with its offset beside each time.
# BABEL_DEFAULT_TIMEZONE = "America/Guatemala"

# Where instance/ lives (keys, SQLite, sessions) is chosen before this file is read: set the
# CONSOLE_INSTANCE_PATH environment variable (default: <project>/instance).
# INSTANCE_PATH = "/var/lib/console/instance"

# Flask's debug and testing modes; production refuses DEBUG.
# DEBUG = False
# TESTING = False

# Background jobs (webapp/jobs): long work runs in worker processes, `python -m webapp.jobs` (`make run`
# starts one). Unset broker: the queue is a SQLite file in instance/ (one machine). Scaled out: every node's
# console and workers point at the same Redis (and the same DATABASE_URL, where the job records live).
# JOBS_BROKER_URL = "redis://redis.internal:6379/1"
# JOBS_QUEUE_NAME = "console-jobs"
# Worker threads per worker process; CMS calls at once per worker process across all its jobs, and across
# every worker on every node (leased in blocks from the queue's Redis or SQLite file; a dead worker's lease
# lapses after JOBS_STALE_SECONDS). Page views keep their own connections.
# JOBS_WORKERS = 2
# JOBS_CMS_CONCURRENCY = 4
# JOBS_CMS_CONCURRENCY_TOTAL = 16
# A worker writes each running job's heartbeat every JOBS_HEARTBEAT_SECONDS; a job whose heartbeat is older
# than JOBS_STALE_SECONDS lost its worker and is run again, up to JOBS_MAX_ATTEMPTS attempts in all. A job
# not finished JOBS_DEADLINE_SECONDS after it was asked for fails as "stuck past its deadline".
# JOBS_HEARTBEAT_SECONDS = 10
# JOBS_STALE_SECONDS = 60
# JOBS_MAX_ATTEMPTS = 3
# JOBS_DEADLINE_SECONDS = 3600
# The reaper runs every JOBS_REAPER_MINUTES (a divisor of 60); the clean-up of staged files and reports
# (what `flask uploads purge` does) runs daily at JOBS_RETENTION_HOUR, UTC. Result files stay downloadable
# for JOBS_RESULT_TTL_SECONDS.
# JOBS_REAPER_MINUTES = 1
# JOBS_RETENTION_HOUR = 3
# JOBS_RESULT_TTL_SECONDS = 86400
