"""The Flask extensions, created once and bound per app: sign-in, CSRF, server-side sessions and rate limits.

Sessions and rate-limit counters live in Redis when REDIS_URL is set (many nodes), else on the local
filesystem and in memory (one machine). Nothing a second node would need is kept in process memory when
scaled out.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from cachelib import FileSystemCache
from flask import Flask, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_session import Session
from flask_wtf.csrf import CSRFError, CSRFProtect

csrf = CSRFProtect()
server_sessions = Session()
limiter = Limiter(key_func=get_remote_address)
# Loader and unauthorized handler: webapp/auth/session_lifecycle.py; session protection off: SECURITY.md.
login_manager = LoginManager()
login_manager.session_protection = None

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _same_origin(url: str) -> bool:
    parts = urlsplit(url)
    return (parts.scheme, parts.netloc) == (request.scheme, request.host)


def refuse_foreign_origin() -> None:
    """before_request, defence in depth next to the token: a browser says where an unsafe request came from.

    Flask-WTF's own Referer check (WTF_CSRF_SSL_STRICT) cannot work with `Referrer-Policy: no-referrer`, so
    the console checks the signals a browser still sends: `Sec-Fetch-Site`, and `Origin`/`Referer` when
    present.
    """
    if request.method not in UNSAFE_METHODS:
        return
    if request.headers.get("Sec-Fetch-Site", "").lower() == "cross-site":
        raise CSRFError("Cross-site request refused (Sec-Fetch-Site: cross-site).")
    origin = request.headers.get("Origin")
    if origin and origin != "null" and not _same_origin(origin):
        raise CSRFError("The origin does not match the host.")
    referrer = request.headers.get("Referer")
    if referrer and not _same_origin(referrer):
        raise CSRFError("The referrer does not match the host.")


def _session_backend(app: Flask) -> None:
    if app.config["SESSION_TYPE"] == "redis":
        from redis import Redis

        app.config["SESSION_REDIS"] = Redis.from_url(str(app.config["REDIS_URL"]))
    else:
        directory = Path(app.config["SESSION_FILE_DIR_PATH"])
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        # threshold=0: never prune by count (pruning would drop live sessions); entries expire by their TTL.
        app.config["SESSION_CACHELIB"] = FileSystemCache(str(directory), threshold=0, mode=0o600)


def init_app(app: Flask) -> None:
    _session_backend(app)
    server_sessions.init_app(app)
    login_manager.init_app(app)
    csrf.init_app(app)
    app.before_request(refuse_foreign_origin)
    limiter.init_app(app)
