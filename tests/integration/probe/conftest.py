"""The probe command against a sandbox over loopback: a console app, a fresh operator, a code reader."""

from __future__ import annotations

import io
import re
import sqlite3
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from flask import Flask

from tests.support import leak_scan
from tests.support.console import ALL_PERMISSIONS, make_console
from tests.support.sandbox import DEMO_PASSWORD, SandboxHandle

SUMMARY = re.compile(r"^(\d+) of (\d+) assumptions hold$")
# Calls the probe may make with a method other than GET without --allow-writes: sign-in, the OTP step and
# the documented read-by-POST of a cardholder (#13).
READ_POSTS = (
    re.compile(r"^POST /app/auth/login$"),
    re.compile(r"^POST /app/users/login$"),
    re.compile(r"^(POST|PUT) /app/users/auth/otp$"),
    re.compile(r"^POST /app/partners/\d+/cardholders/\d+$"),
)


class MailboxCode(io.RawIOBase):
    """Standard input for the command: the operator's newest code, read from the mailbox when prompted."""

    def __init__(self, sandbox: SandboxHandle, email: str) -> None:
        self._sandbox, self._email = sandbox, email
        self._pending: bytes | None = None
        self.codes: list[str] = []

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if len(buffer) == 0:
            return 0  # click probes the stream with read(0) before any prompt
        if self._pending is None:
            code = self._sandbox.latest_otp(self._email)
            self.codes.append(code)
            self._pending = f"{code}\n".encode()
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size


@dataclass
class ProbeRun:
    result: Result
    email: str
    codes: list[str] = field(default_factory=list)

    @property
    def stdout(self) -> str:
        return self.result.stdout

    @property
    def summary(self) -> tuple[int, int]:
        last = self.stdout.rstrip("\n").rsplit("\n", 1)[-1]
        match = SUMMARY.match(last)
        assert match, f"last line is not the summary: {last!r}"
        return int(match.group(1)), int(match.group(2))

    def rows(self) -> dict[str, str]:
        """Verdict per assumption, from the table (assumption text → verdict)."""
        verdicts = ("not checked", "holds", "differs", "absent")
        found: dict[str, str] = {}
        for line in self.stdout.splitlines():
            for verdict in verdicts:
                marker = f"  {verdict}  "
                if marker in line or line.rstrip().endswith(f"  {verdict}"):
                    found[line.split("  ", 1)[0].strip()] = verdict
                    break
        return found


@pytest.fixture
def probe_operator(sandbox: SandboxHandle) -> str:
    """A fresh operator with every permission on partners 1 and 2 (the probe changes nothing of theirs)."""
    email = f"probe-{uuid.uuid4().hex[:10]}@test.migo"
    pairs = sorted(ALL_PERMISSIONS)
    sandbox.create_user(
        email=email, name="Probe Operator", password=DEMO_PASSWORD, permissions={"1": pairs, "2": pairs}
    )
    return email


@pytest.fixture
def console_app(sandbox: SandboxHandle, tmp_path: Path) -> Callable[..., Flask]:
    def make(**overrides: Any) -> Flask:
        return make_console(sandbox, tmp_path, **overrides)

    return make


@pytest.fixture
def run_probe(
    sandbox: SandboxHandle, probe_operator: str, console_app: Callable[..., Flask]
) -> Callable[..., ProbeRun]:
    """`flask cms probe ARGS` with credentials from the environment and the code answered from the mailbox."""

    def run(
        *args: str, app: Flask | None = None, handle: SandboxHandle | None = None, **env: str | None
    ) -> ProbeRun:
        app = app or console_app()
        box = handle or sandbox
        stdin = MailboxCode(box, env.get("CMS_PROBE_EMAIL") or probe_operator)
        environ: dict[str, str | None] = {
            "CMS_PROBE_EMAIL": probe_operator,
            "CMS_PROBE_PASSWORD": DEMO_PASSWORD,
            "CMS_PROBE_OTP": None,
            "CONSOLE_CMS_PARTNERS": None,
        }
        environ.update(env)
        from webapp.cms_cli import cms

        result = app.test_cli_runner().invoke(cms, ["probe", *args], input=stdin, env=environ)
        return ProbeRun(result, str(environ["CMS_PROBE_EMAIL"]), stdin.codes)

    return run


def personal_values(handle: SandboxHandle) -> set[str]:
    """Every personal value in the sandbox: names, emails, phones, documents of cardholders and operators."""
    url = handle.database_url
    values: set[str] = set()
    with sqlite3.connect(url.removeprefix("sqlite:///")) as db:
        for row in db.execute(
            "SELECT name, last_name, email, phone_number, document_number, address FROM cardholders"
        ):
            values.update(str(v) for v in row if v)
        for row in db.execute("SELECT email, name FROM cms_users"):
            values.update(str(v) for v in row if v)
        values.update(str(row[0]) for row in db.execute("SELECT pan FROM cards") if row[0])
    # Short first names also occur as ordinary words; the full names and the rest must never appear.
    return {v for v in values if len(v) >= 6}


def leaks(text: str, handle: SandboxHandle, codes: list[str]) -> list[str]:
    """What in `text` must never be printed or written: tokens, password, codes, personal values."""
    found = [f"JWT {leak_scan.mask(t)}" for t in leak_scan.jwts(text)]
    if DEMO_PASSWORD in text:
        found.append("the password")
    found += [f"OTP code {leak_scan.mask(c)}" for c in codes if c in text]
    found += [f"card number {leak_scan.mask(p)}" for p in leak_scan.card_numbers(text, allow_13=True)]
    found += [f"email {leak_scan.mask(e)}" for e in re.findall(r"[\w.+-]+@[\w-]+\.[\w.-]+", text)]
    found += [f"personal value {leak_scan.mask(v)}" for v in personal_values(handle) if v in text]
    return found


def write_calls(handle: SandboxHandle) -> list[str]:
    """Calls the sandbox received that were neither GET nor one of the probe's reading POSTs."""
    out = []
    for call in handle.calls():
        line = f"{call['method']} {call['path']}"
        if call["method"] in {"GET", "HEAD"} or any(p.match(line) for p in READ_POSTS):
            continue
        out.append(line)
    return out
