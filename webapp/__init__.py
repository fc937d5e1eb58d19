"""The operator console: `create_app` wires the parts together and does no work of its own."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

ROOT = Path(__file__).resolve().parent.parent


def _install_sign_in(app: Flask) -> None:
    """Sign-in, sessions and the partner switcher; its session checks must run before the access gate."""
    from webapp import auth

    auth.init_app(app)


def _install_features(app: Flask) -> None:
    """One blueprint per domain: package, blueprint, URL prefix and template folder share the name."""
    from webapp import activity, audit, partners, permissions, process_requests, saved_views, uploads, users
    from webapp.cardholders.views import bp as cardholders_bp  # the package root stays Flask-free for rules
    from webapp.dashboard import bp as dashboard_bp

    for blueprint in (
        dashboard_bp,
        cardholders_bp,
        uploads.bp,
        process_requests.bp,
        partners.bp,
        users.bp,
        permissions.bp,
        audit.bp,
        activity.bp,
        saved_views.bp,
    ):
        app.register_blueprint(blueprint)


def _install_jobs(app: Flask) -> None:
    """Background jobs (webapp/jobs): the queue, its job kinds and the My jobs pages."""
    from webapp import jobs

    jobs.init_app(app)


def _install_step_up(app: Flask) -> None:
    """The fresh-code flow every sensitive form shares (webapp.step_up)."""
    from webapp import step_up
    from webapp.auth import rate_limits

    rate_limits.init_step_up(app)
    app.register_blueprint(step_up.bp)
    app.jinja_env.globals["needs_step_up"] = step_up.needs_step_up


def _proxy_fix(app: Flask) -> None:
    hops = {
        name: int(app.config.get(f"PROXY_FIX_X_{name.upper()}") or 0)
        for name in ("for", "proto", "host", "port", "prefix")
    }
    if any(hops.values()):
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app,
            x_for=hops["for"],
            x_proto=hops["proto"],
            x_host=hops["host"],
            x_port=hops["port"],
            x_prefix=hops["prefix"],
        )


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    from webapp import (
        access,
        errors,
        extensions,
        fanout,
        formatting,
        health,
        htmx,
        i18n,
        metrics,
        routing,
        security_headers,
        status_badges,
        store,
        theme,
        upstream,
    )
    from webapp.activity.cli import audit_trail as audit_trail_commands
    from webapp.cms_cli import cms as cms_commands
    from webapp.config import build_config, instance_folder, warn_unprefixed
    from webapp.logging_setup import configure_logging

    overrides = dict(overrides or {})
    instance_path = instance_folder(overrides, os.environ, ROOT / "instance")
    app = Flask(
        __name__,
        instance_path=instance_path,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    app.config.update(build_config(instance_path, overrides))
    configure_logging(app)
    warn_unprefixed(os.environ)
    _proxy_fix(app)
    routing.init_app(app)  # bounded `<int:...>` ids, before any route is added
    metrics.init_app(app)  # first: its timer starts before, and its status is read after, every other hook

    security_headers.init_app(app)
    extensions.init_app(app)
    store.init_app(app)
    upstream.init_app(app)
    htmx.init_app(app)
    fanout.init_app(app)
    status_badges.init_app(app)
    i18n.init_app(app)
    formatting.init_app(app)
    theme.init_app(app)

    _install_sign_in(app)  # its session checks must run before the access gate
    access.init_app(app)
    _install_features(app)
    _install_jobs(app)
    _install_step_up(app)
    errors.init_app(app)
    app.register_blueprint(health.bp)
    app.cli.add_command(cms_commands)
    app.cli.add_command(audit_trail_commands)
    return app
