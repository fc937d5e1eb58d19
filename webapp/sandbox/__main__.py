"""Run the sandbox: `python -m webapp.sandbox --host 127.0.0.1 --port 5001 --instance instance`.

Keys come from files (`--signing-key PEM`, `--merchant NAME=PUBKEYFILE`, repeatable). Loopback only unless
`--host` says otherwise: the sandbox has no protection for its `/_sandbox` controls.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from werkzeug.serving import WSGIRequestHandler, run_simple

from webapp.sandbox import create_sandbox_app
from webapp.sandbox.config import APP_LOGIN_MODES, PROFILES


class PathOnlyRequestLog(WSGIRequestHandler):
    """Access log without query strings: a search for a document number must not land in a log line."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        self.log("info", '"%s %s" %s', self.command, self.path.split("?", 1)[0], code)


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m webapp.sandbox", description="Migo CMS API sandbox")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5001)
    parser.add_argument("--instance", default="instance", help="folder holding the sandbox's SQLite file")
    parser.add_argument("--signing-key", help="Ed25519 private key PEM the sandbox signs tokens with")
    parser.add_argument(
        "--merchant",
        action="append",
        default=[],
        metavar="NAME=PUBKEYFILE",
        help="a merchant allowed to sign in",
    )
    parser.add_argument(
        "--app-login",
        choices=APP_LOGIN_MODES,
        default="plain",
        help="plain: {merchant} signs in a registered merchant; signed: timestamp and signature required",
    )
    parser.add_argument("--seed", choices=("demo", "none"), default="demo")
    parser.add_argument("--latency-ms", type=int, default=0)
    parser.add_argument(
        "--profile",
        choices=PROFILES,
        default=os.environ.get("SANDBOX_PROFILE") or "full",
        help="documented: only the documented operations and answers (default: $SANDBOX_PROFILE or full)",
    )
    parser.add_argument(
        "--server",
        choices=("werkzeug", "gunicorn"),
        default="werkzeug",
        help="gunicorn: one gthread worker that keeps connections alive (werkzeug closes each one)",
    )
    parser.add_argument("--threads", type=int, default=32, help="threads of the gunicorn worker")
    return parser.parse_args(argv)


def build_config(args: argparse.Namespace) -> dict[str, Any]:
    instance = Path(args.instance).resolve()
    instance.mkdir(parents=True, exist_ok=True)
    merchants: dict[str, bytes] = {}
    for item in args.merchant:
        name, sep, path = item.partition("=")
        if not sep or not name or not path:
            raise SystemExit(f"--merchant expects NAME=PUBKEYFILE, got {item!r}")
        merchants[name] = Path(path).read_bytes()
    config: dict[str, Any] = {
        "SANDBOX_DATABASE_URL": f"sqlite:///{instance / 'sandbox.sqlite3'}",
        "SANDBOX_MERCHANTS": merchants,
        "SANDBOX_SEED": args.seed,
        "SANDBOX_APP_LOGIN": args.app_login,
        "SANDBOX_LATENCY_MS": args.latency_ms,
        "SANDBOX_PROFILE": args.profile,
    }
    if args.signing_key:
        config["SANDBOX_SIGNING_KEY_PEM"] = Path(args.signing_key).read_bytes()
    return config


def _serve_with_gunicorn(args: argparse.Namespace, config: dict[str, Any]) -> None:
    """One worker only: faults, call records and the mailbox live in that process's memory."""
    from gunicorn.app.base import BaseApplication

    class SandboxServer(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            settings = {
                "bind": f"{args.host}:{args.port}",
                "worker_class": "gthread",
                "workers": 1,
                "threads": args.threads,
                "keepalive": 30,
                "accesslog": None,
                "errorlog": "-",
            }
            for key, value in settings.items():
                self.cfg.set(key, value)

        def load(self) -> Any:
            return create_sandbox_app(config)  # in the worker, after the fork: no shared SQLite handles

    SandboxServer().run()


def main(argv: list[str] | None = None) -> None:
    args = _parse(argv)
    config = build_config(args)
    if args.server == "gunicorn":
        print(
            f"CMS sandbox (gunicorn, keep-alive, profile {args.profile}) on http://{args.host}:{args.port}/cms/rest"
        )
        _serve_with_gunicorn(args, config)
        return
    app = create_sandbox_app(config)
    print(
        f"CMS sandbox (profile {args.profile}) on http://{args.host}:{args.port}/cms/rest"
        "  (mailbox: /_sandbox/mailbox.html)"
    )
    run_simple(
        args.host,
        args.port,
        app,
        threaded=True,
        use_reloader=False,
        use_debugger=False,
        use_evalex=False,
        request_handler=PathOnlyRequestLog,
    )


if __name__ == "__main__":
    main()
