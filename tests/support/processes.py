"""The sandbox and the console as real child processes, configured the way an operator would run them.

The in-thread servers of `servers.py` share one interpreter (and its GIL) with the test; the load benchmark
needs what production has instead: `python -m webapp.sandbox` and `gunicorn -c gunicorn.conf.py wsgi:app`,
each in its own process, configured only through argv and the environment.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tests.support.keys import KeyPair
from tests.support.sandbox import MERCHANT, SandboxHandle
from webapp.config import env_name

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    """A port the OS just handed out on loopback (free unless someone races us for it)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class ChildProcess:
    """A started child; its output goes to `log_path` so a failure can be explained afterwards."""

    name: str
    process: subprocess.Popen[bytes]
    url: str
    log_path: Path

    def alive(self) -> bool:
        return self.process.poll() is None

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, grace: float = 10.0) -> None:
        """SIGTERM (gunicorn's graceful stop), then SIGKILL if it lingers."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)

    def wait_until_up(self, probe_path: str, seconds: float = 60.0) -> None:
        """Poll `probe_path` until it answers below 500; fail with the child's own output otherwise."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if not self.alive():
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                if httpx.get(self.url + probe_path, timeout=2).status_code < 500:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} did not answer within {seconds:.0f} s:\n{self.log_tail()}")


def _spawn(name: str, argv: list[str], env: Mapping[str, str], workdir: Path, url: str) -> ChildProcess:
    workdir.mkdir(parents=True, exist_ok=True)
    log_path = workdir / f"{name}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(argv, cwd=ROOT, env=dict(env), stdout=log, stderr=subprocess.STDOUT)
    return ChildProcess(name=name, process=process, url=url, log_path=log_path)


def write_keys(workdir: Path, signing: KeyPair, merchant: KeyPair) -> dict[str, Path]:
    """The PEM files both processes read: the sandbox's signing key and the console's merchant key pair."""
    keys = workdir / "keys"
    keys.mkdir(parents=True, exist_ok=True)
    files = {
        "signing_private": keys / "sandbox_signing.pem",
        "signing_public": keys / "sandbox_signing.pub.pem",
        "merchant_private": keys / "console_merchant.pem",
        "merchant_public": keys / "console_merchant.pub.pem",
    }
    files["signing_private"].write_bytes(signing.private_pem)
    files["signing_public"].write_bytes(signing.public_pem)
    files["merchant_private"].write_bytes(merchant.private_pem)
    files["merchant_public"].write_bytes(merchant.public_pem)
    for path in files.values():
        path.chmod(0o600)
    return files


def start_sandbox(
    workdir: Path,
    keys: Mapping[str, Path],
    *,
    latency_ms: int = 0,
    server: str = "werkzeug",
    port: int | None = None,
    extra_args: Sequence[str] = (),
    profile: str = "full",
) -> ChildProcess:
    """`python -m webapp.sandbox` on loopback with the demo seed; answers once its mailbox responds.

    `extra_args` go to the command line as they are (e.g. `["--app-login", "signed"]`). The profile is
    always passed, so a developer's own `SANDBOX_PROFILE` does not change a test run."""
    port = port or free_port()
    instance = workdir / "sandbox-instance"
    argv = [
        sys.executable, "-m", "webapp.sandbox",
        "--host", "127.0.0.1", "--port", str(port),
        "--instance", str(instance),
        "--signing-key", str(keys["signing_private"]),
        "--merchant", f"{MERCHANT}={keys['merchant_public']}",
        "--latency-ms", str(latency_ms),
        "--profile", profile,
    ]  # fmt: skip
    if server != "werkzeug":
        argv += ["--server", server]
    argv += list(extra_args)
    child = _spawn("sandbox", argv, os.environ, workdir, f"http://127.0.0.1:{port}")
    child.wait_until_up("/_sandbox/mailbox?email=probe@test.migo", seconds=120)
    return child


@dataclass
class ChildServer:
    """A sandbox child process as the `server` of a `SandboxHandle`; its app lives in the child, not here."""

    child: ChildProcess
    app: Any = None

    @property
    def url(self) -> str:
        return self.child.url

    def stop(self) -> None:
        self.child.stop()


def sandbox_process(
    workdir: Path, signing: KeyPair, merchant: KeyPair, *, profile: str = "full"
) -> SandboxHandle:
    """A seeded sandbox in a child process, driven like the in-process one (`sandbox.start_sandbox`)."""
    child = start_sandbox(workdir, write_keys(workdir, signing, merchant), profile=profile)
    return SandboxHandle(
        server=ChildServer(child),
        signing=signing,
        merchant=merchant,
        profile=profile,
        database_url=f"sqlite:///{workdir / 'sandbox-instance' / 'sandbox.sqlite3'}",
    )


def console_environment(
    sandbox_url: str, keys: Mapping[str, Path], instance: Path, **settings: str
) -> dict[str, str]:
    """The console's configuration as environment variables (what a container would be given); `settings`
    are named by their keys (`LOG_LEVEL="DEBUG"` sets `CONSOLE_LOG_LEVEL`)."""
    instance.mkdir(parents=True, exist_ok=True)
    env = {
        key: value
        for key, value in os.environ.items()
        # A developer's own settings must not leak into a measured run.
        if not key.startswith(("CMS_", "CONSOLE_", "REDIS_", "DATABASE_", "SESSION_"))
    }
    env.update(
        {
            "CONSOLE_INSTANCE_PATH": str(instance),
            "CONSOLE_ENV": "sandbox",
            "CONSOLE_SECRET_KEY": secrets.token_urlsafe(48),
            "CONSOLE_CMS_BASE_URL": f"{sandbox_url}/cms/rest",
            "CONSOLE_CMS_MERCHANT": MERCHANT,
            "CONSOLE_CMS_MERCHANT_KEY_FILE": str(keys["merchant_private"]),
            "CONSOLE_CMS_PUBLIC_KEY_FILE": str(keys["signing_public"]),
            "CONSOLE_SANDBOX_PUBLIC_URL": sandbox_url,
            "CONSOLE_LOG_LEVEL": "WARNING",
        }
    )
    env.update({env_name(key): value for key, value in settings.items()})
    return env


def start_console(
    workdir: Path, name: str, env: Mapping[str, str], *, workers: int = 2, threads: int = 8
) -> ChildProcess:
    """`gunicorn -c gunicorn.conf.py wsgi:app` (gthread) on a free loopback port."""
    port = free_port()
    full_env = dict(env)
    full_env["CONSOLE_BIND"] = f"127.0.0.1:{port}"
    full_env["CONSOLE_WORKERS"] = str(workers)
    full_env["CONSOLE_THREADS"] = str(threads)
    argv = [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"), "wsgi:app"]
    child = _spawn(name, argv, full_env, workdir, f"http://127.0.0.1:{port}")
    child.wait_until_up("/healthz")
    return child
