"""The CMS API sandbox: a separate Flask app that imitates the Migo CMS Backoffice API over HTTP."""

from __future__ import annotations

import importlib
import logging
import os
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import Flask, Response
from sqlalchemy import func, select
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter, Map

from webapp.sandbox import codes, faults, profile, tokens
from webapp.sandbox.codes import Code
from webapp.sandbox.config import APP_LOGIN_MODES, DEFAULTS, default_database_url
from webapp.sandbox.db import Base, init_engine, session
from webapp.sandbox.envelope import ApiFailure

log = logging.getLogger("webapp.sandbox")

API_PREFIX = "/cms/rest"
PLATFORM_ROUTES = ("auth", "users", "partners", "modules")
DOMAIN_ROUTES = ("cardholders", "cards", "uploads", "process_requests")
_STATUS_CODES: dict[int, Code] = {
    400: codes.CHECK_PARAMETERS,
    404: codes.NOT_FOUND,
    405: codes.NOT_FOUND,  # an unknown method on a known path is an unknown route, like the API answers it
    413: codes.FILE_TOO_LARGE,
}
MAX_ID = 2_147_483_647


class BoundedInt(IntegerConverter):
    """`<int:...>` path values as the contract's identifiers: 1 to 2^31-1 in plain digits. Anything else does
    not match the route, so it answers 404 7010 like any unknown path."""

    def __init__(self, url_map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min", 1)
        kwargs.setdefault("max", MAX_ID)
        super().__init__(url_map, *args, **kwargs)


def _signing_key_pem(app: Flask) -> bytes:
    pem = app.config.get("SANDBOX_SIGNING_KEY_PEM")
    if pem:
        return pem if isinstance(pem, bytes) else str(pem).encode()
    ephemeral = Ed25519PrivateKey.generate()
    return ephemeral.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _prepare_database(app: Flask) -> None:
    from webapp.sandbox import domain_models, models  # noqa: F401  (register their tables)
    from webapp.sandbox.control import upsert_merchant
    from webapp.sandbox.models import Partner
    from webapp.sandbox.seed import seed_demo

    url = app.config.get("SANDBOX_DATABASE_URL") or default_database_url(app.instance_path)
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        os.makedirs(os.path.dirname(os.path.abspath(url[len("sqlite:///") :])), exist_ok=True)
    engine = init_engine(url)
    Base.metadata.create_all(engine)
    with app.app_context():
        for slug, public_pem in (app.config.get("SANDBOX_MERCHANTS") or {}).items():
            upsert_merchant(slug, public_pem if isinstance(public_pem, bytes) else str(public_pem).encode())
        session.commit()
        empty = not session.scalar(select(func.count()).select_from(Partner))
        if empty and app.config.get("SANDBOX_SEED") == "demo":
            app.extensions["sandbox_seed_summary"] = seed_demo()
        session.remove()


def _register_blueprints(app: Flask) -> None:
    from webapp.sandbox.control import bp as control_bp

    for name in (*PLATFORM_ROUTES, *DOMAIN_ROUTES):
        module = importlib.import_module(f"webapp.sandbox.routes.{name}")
        app.register_blueprint(module.bp, url_prefix=API_PREFIX)
    app.register_blueprint(control_bp)


def _register_error_handlers(app: Flask) -> None:
    def api_failure(exc: ApiFailure) -> Response:
        return exc.response()

    def http_error(exc: HTTPException) -> Response:
        status = exc.code or 500
        known = _STATUS_CODES.get(status)
        if known is None:
            known = Code(codes.CONSULT_WITH_SUPPORT.code, status, exc.name)
        return ApiFailure(known).response()

    def last_resort(exc: Exception) -> Response:
        log.exception("sandbox request failed", exc_info=exc)
        session.rollback()
        return ApiFailure(codes.CONSULT_WITH_SUPPORT).response()

    app.register_error_handler(ApiFailure, api_failure)
    app.register_error_handler(HTTPException, http_error)
    app.register_error_handler(Exception, last_resort)


def create_sandbox_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the sandbox: settings, database (created and seeded when empty), routes, faults, errors."""
    app = Flask(__name__)
    app.config.update(DEFAULTS)
    app.config["MAX_CONTENT_LENGTH"] = 32 * 1024 * 1024  # hard cap; routes enforce the documented limits
    app.config.update(config or {})
    if app.config["SANDBOX_APP_LOGIN"] not in APP_LOGIN_MODES:
        raise ValueError(f"SANDBOX_APP_LOGIN must be one of {', '.join(APP_LOGIN_MODES)}")
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.url_map.converters["int"] = BoundedInt
    tokens.install_signing_key(app.extensions, _signing_key_pem(app))
    _prepare_database(app)
    faults.install(app)
    _register_blueprints(app)
    _register_error_handlers(app)
    profile.install(app)  # after the routes: the `documented` profile maps them to the contract
    app.teardown_appcontext(lambda _exc: session.remove())
    from webapp.sandbox.routes.uploads import resume_batches

    resume_batches(app)  # batches a previous process left half done carry on
    return app
