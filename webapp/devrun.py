"""`make run`: the console in front of the seeded sandbox, both on loopback.

Creates what a fresh clone lacks (Ed25519 keys for the console's merchant login and for the sandbox's token
signing, `instance/config.py` with a random secret key), starts the sandbox and the console as child
processes, waits until both answer, prints the URLs and the demo sign-in, and stops both on Ctrl-C.

`SANDBOX_PROFILE=documented make run` starts the sandbox in its `documented` profile (only the documented
operations, webapp/sandbox/profile.py). Listing partners is not one of them, so the console is always given
the sandbox's partners in `CONSOLE_CMS_PARTNERS` (`1:Name,2:Other`), read from the sandbox database once it
is up.
"""

from __future__ import annotations

import os
import re
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import create_engine, select

from webapp.sandbox.config import PROFILES, default_database_url
from webapp.sandbox.models import Partner

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = ROOT / "instance"
KEYS = INSTANCE / "keys"
MERCHANT = "migo-console"
DEMO_PASSWORD = "Sandbox-Demo-2026!"  # noqa: S105 - the seeded demo accounts' published password
DEMO_ACCOUNTS = (
    ("ana.operadora@demo.migo", "operator: cardholders, cards, uploads, top-up requests"),
    ("bruno.aprobador@demo.migo", "approver of top-up requests"),
    ("carla.auditora@demo.migo", "read-only auditor"),
    ("diego.admin@demo.migo", "user administrator (everything)"),
)


PROFILE_NOTES = {
    "full": "   (documented and assumed operations; SANDBOX_PROFILE=documented for the documented ones only)",
    "documented": "   (documented operations only: the assumed ones answer 404 7010)",
}


def ensure_keypair(name: str) -> tuple[Path, Path]:
    """An Ed25519 key pair under instance/keys/, made once; private keys readable by the owner only."""
    private = KEYS / f"{name}.pem"
    public = KEYS / f"{name}.pub.pem"
    if not private.exists():
        KEYS.mkdir(parents=True, exist_ok=True)
        key = Ed25519PrivateKey.generate()
        private.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        private.chmod(0o600)
        public.write_bytes(
            key.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )
    return private, public


def ensure_config(sandbox_port: int) -> Path:
    """instance/config.py for the local sandbox setup, written once with a fresh secret key."""
    config = INSTANCE / "config.py"
    if not config.exists():
        INSTANCE.mkdir(exist_ok=True)
        config.write_text(
            "# Written by `make run` for the local sandbox; see config.example.py for every key.\n"
            f"SECRET_KEY = {secrets.token_urlsafe(48)!r}\n"
            "CONSOLE_ENV = 'sandbox'\n"
            f"CMS_MERCHANT = {MERCHANT!r}\n"
            f"CMS_MERCHANT_KEY_FILE = {str(KEYS / 'console_merchant.pem')!r}\n"
            f"CMS_PUBLIC_KEY_FILE = {str(KEYS / 'sandbox_signing.pub.pem')!r}\n"
        )
        config.chmod(0o600)
    return config


def sandbox_profile(environ: Mapping[str, str]) -> str:
    """`SANDBOX_PROFILE` from the environment (default `full`); an unknown value stops `make run` at once."""
    profile = environ.get("SANDBOX_PROFILE") or "full"
    if profile not in PROFILES:
        raise SystemExit(f"SANDBOX_PROFILE must be one of {', '.join(PROFILES)}, not {profile!r}")
    return profile


def partners_setting(database_url: str) -> str:
    """The sandbox's partners as `CMS_PARTNERS` wants them: `1:Banco Quetzal,2:Fintech Maya` (id order).

    Commas and colons separate the entries, so a name's own are turned into spaces."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            query = select(Partner.partner_id, Partner.name).order_by(Partner.partner_id)
            rows = connection.execute(query).all()
    finally:
        engine.dispose()
    return ",".join(f"{pid}:{' '.join(re.sub('[,:]', ' ', name).split())}" for pid, name in rows)


def wait_until_up(url: str, process: subprocess.Popen[bytes], what: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the {what} exited with status {process.returncode}; see its output above")
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.25)
    raise SystemExit(f"the {what} did not answer at {url} within {seconds:.0f} s")


def _stop_on_sigterm(_signum: int, _frame: object) -> None:
    """`kill` (or a terminal closing) ends the run like Ctrl-C, so the children are stopped too."""
    raise KeyboardInterrupt


def main() -> int:
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    console_port = int(os.environ.get("CONSOLE_PORT", "5000"))
    sandbox_port = int(os.environ.get("SANDBOX_PORT", "5001"))
    ensure_keypair("console_merchant")
    signing_private, _ = ensure_keypair("sandbox_signing")
    ensure_config(sandbox_port)
    profile = sandbox_profile(os.environ)

    sandbox_url = f"http://127.0.0.1:{sandbox_port}"
    console_url = f"http://127.0.0.1:{console_port}"
    env = dict(os.environ)
    env.update(
        {
            "CONSOLE_CMS_BASE_URL": f"{sandbox_url}/cms/rest",
            "CONSOLE_SANDBOX_PUBLIC_URL": sandbox_url,
            "CONSOLE_ENV": env.get("CONSOLE_ENV", "sandbox"),
            # One process on one machine: rate-limit counters without Redis live in process memory.
            "CONSOLE_WORKERS": env.get("CONSOLE_WORKERS", "1"),
        }
    )
    sandbox = subprocess.Popen(  # noqa: S603 - fixed argv of our own module
        [
            sys.executable, "-m", "webapp.sandbox",
            "--host", "127.0.0.1", "--port", str(sandbox_port),
            "--instance", str(INSTANCE),
            "--signing-key", str(signing_private),
            "--merchant", f"{MERCHANT}={KEYS / 'console_merchant.pub.pem'}",
            "--profile", profile,
        ],
        cwd=ROOT, env=env,
    )
    console = None
    jobs_worker = None
    try:
        wait_until_up(f"{sandbox_url}/_sandbox/mailbox?email=x", sandbox, "sandbox", seconds=120)
        env.setdefault("CONSOLE_CMS_PARTNERS", partners_setting(default_database_url(str(INSTANCE))))
        console = subprocess.Popen(  # noqa: S603 - fixed argv
            [
                sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"),
                "--bind", f"127.0.0.1:{console_port}", "wsgi:app",
            ],
            cwd=ROOT, env=env,
        )
        wait_until_up(f"{console_url}/healthz", console, "console")
        # One background-jobs worker next to the console (webapp/jobs/__main__.py); same instance folder.
        jobs_worker = subprocess.Popen(  # noqa: S603 - fixed argv of our own module
            [sys.executable, "-m", "webapp.jobs", "--instance", str(INSTANCE)], cwd=ROOT, env=env
        )
        print(
            "\n"
            f"  Console   {console_url}/\n"
            f"  Sandbox   {sandbox_url}/cms/rest   (OTP mailbox: {sandbox_url}/_sandbox/mailbox)\n"
            f"  Profile   {profile}{PROFILE_NOTES[profile]}\n\n"
            f"  Demo sign-in, password for all: {DEMO_PASSWORD}\n"
            "  (the OTP code arrives in the sandbox mailbox)\n"
            + "".join(f"    {email:<28} {role}\n" for email, role in DEMO_ACCOUNTS)
            + "\n  Ctrl-C stops all three (the sandbox, the console and its jobs worker).\n",
            flush=True,
        )
        console.wait()
    except KeyboardInterrupt:
        pass
    finally:
        for proc in (jobs_worker, console, sandbox):
            if proc is not None and proc.poll() is None:
                proc.terminate()
        for proc in (jobs_worker, console, sandbox):
            if proc is not None:
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
