"""A folder of operator files kept server-side between two requests (evidence, bulk files).

What every such folder needs, in one place: owner-only files with random names (the operator's file name never
becomes a path), a JSON record beside each file saying whose it is and when it came, and a sweep of anything
past its time to live. Features add their own files per reference (`suffixes`) and their own record fields.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import time
from pathlib import Path
from typing import Any

_REF = re.compile(r"^[0-9a-f]{32}$")


class PrivateFolder:
    """One directory (mode 0700) of staged files, each `<ref><suffix>` (mode 0600) plus `<ref>.json`."""

    suffixes: tuple[str, ...] = (".bin",)

    def __init__(self, directory: Path, ttl_seconds: int) -> None:
        self.directory = Path(directory)
        self.ttl_seconds = ttl_seconds

    def new_ref(self) -> str:
        """A fresh reference in a swept, existing folder."""
        self.sweep()
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        return secrets.token_hex(16)

    def path(self, ref: str, suffix: str) -> Path:
        return self.directory / f"{ref}{suffix}"

    @staticmethod
    def write_private(path: Path, data: bytes, *, replace: bool = False) -> None:
        flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if replace else os.O_EXCL)
        fd = os.open(path, flags, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)

    def write_record(self, ref: str, record: dict[str, Any]) -> None:
        self.write_private(self.path(ref, ".json"), json.dumps({**record, "stagedAt": time.time()}).encode())

    def read_record(
        self, ref: str | None, *, partner_id: int, operator_id: int | None
    ) -> dict[str, Any] | None:
        """The record of `ref`, only for its partner (and its operator when given) and only within the TTL;
        a record past its time is deleted with its files."""
        if not ref or not _REF.match(ref):
            return None
        try:
            record: dict[str, Any] = json.loads(self.path(ref, ".json").read_text())
        except (OSError, ValueError):
            return None
        if record.get("partnerId") != partner_id:
            return None
        if operator_id is not None and record.get("operatorId") != operator_id:
            return None
        expired = time.time() - float(record.get("stagedAt", 0)) > self.ttl_seconds
        if expired or not self.path(ref, self.suffixes[0]).exists():
            self.discard(ref)
            return None
        return record

    def discard(self, ref: str | None) -> None:
        if not ref or not _REF.match(ref):
            return
        for suffix in (*self.suffixes, ".json"):
            self.path(ref, suffix).unlink(missing_ok=True)

    def sweep(self, now: float | None = None) -> int:
        """Delete every staged file older than the TTL (by its file time); answers how many were removed."""
        current = time.time() if now is None else now
        removed = 0
        if not self.directory.is_dir():
            return 0
        for path in self.directory.iterdir():
            try:
                if current - path.stat().st_mtime > self.ttl_seconds:
                    path.unlink(missing_ok=True)
                    removed += 1
            except OSError:
                continue
        return removed
