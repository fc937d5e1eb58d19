"""The operator's file, kept server-side between the dry run and the submit.

Under `instance/uploads/` (never under static/), mode 0600, named by a random reference (never by the
operator's file name), bound to the operator and partner that staged it, and deleted after the submit or
after a TTL. Beside the original, the converted workbook that was sent is kept until the upstream confirmed
it: a retry after a lost answer must send the very same bytes, or the upstream's idempotency check (same key,
same body) would see a different request. No Flask in here: the caller passes the directory.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Final

STAGING_DIR_NAME: Final = "uploads"
STAGING_TTL_SECONDS: Final = 2 * 60 * 60
_REF: Final = re.compile(r"^[0-9a-f]{32}$")
_CHUNK: Final = 1024 * 1024


class TooLarge(ValueError):
    """The stream passed the size limit while it was being staged (it is not kept)."""


def display_name(raw: str | None, fallback: str = "upload") -> str:
    """The operator's file name, reduced to something harmless to show: no path, no control characters."""
    base = (raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(c for c in unicodedata.normalize("NFC", base) if c.isprintable() and c not in "\"'<>;")
    base = base.strip(" .")[-150:]
    return base or fallback


@dataclass(frozen=True)
class StagedFile:
    ref: str
    file_name: str
    size: int
    sha256: str
    path: Path
    converted: Path

    def open(self) -> BinaryIO:
        return self.path.open("rb")


class UploadStaging:
    """One directory of staged files; anything older than the TTL is swept on the next stage."""

    def __init__(self, directory: Path, ttl_seconds: int = STAGING_TTL_SECONDS) -> None:
        self.directory = Path(directory)
        self.ttl_seconds = ttl_seconds

    def _paths(self, ref: str) -> tuple[Path, Path, Path]:
        d = self.directory
        return d / f"{ref}.bin", d / f"{ref}.json", d / f"{ref}.xlsx"

    def stage(
        self, stream: BinaryIO, file_name: str | None, *, max_bytes: int, operator_id: int, partner_id: int
    ) -> StagedFile:
        """Copy the stream to disk, hashing as it goes; refuse (and keep nothing) once it passes the limit.

        One byte over the limit is still read, so that "exactly the limit" and "one byte more" differ."""
        self.sweep()
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        ref = secrets.token_hex(16)
        blob, meta, _converted = self._paths(ref)
        digest = hashlib.sha256()
        size = 0
        fd = os.open(blob, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as handle:
                while chunk := stream.read(_CHUNK):
                    size += len(chunk)
                    if size > max_bytes:
                        raise TooLarge(f"{size} > {max_bytes}")
                    digest.update(chunk)
                    handle.write(chunk)
        except BaseException:
            blob.unlink(missing_ok=True)
            raise
        name = display_name(file_name)
        record = {
            "fileName": name,
            "size": size,
            "sha256": digest.hexdigest(),
            "operatorId": operator_id,
            "partnerId": partner_id,
            "stagedAt": time.time(),
        }
        self._write_private(meta, json.dumps(record).encode())
        return self._staged(ref, record)

    @staticmethod
    def _write_private(path: Path, data: bytes) -> None:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)

    def _staged(self, ref: str, record: dict[str, object]) -> StagedFile:
        blob, _meta, converted = self._paths(ref)
        return StagedFile(
            ref=ref,
            file_name=str(record["fileName"]),
            size=int(str(record["size"])),
            sha256=str(record["sha256"]),
            path=blob,
            converted=converted,
        )

    def load(self, ref: str | None, *, operator_id: int | None, partner_id: int) -> StagedFile | None:
        """The staged file, only for its partner (and its operator when given) and only within the TTL."""
        if not ref or not _REF.match(ref):
            return None
        blob, meta, _converted = self._paths(ref)
        try:
            record = json.loads(meta.read_text())
        except (OSError, ValueError):
            return None
        if record.get("partnerId") != partner_id:
            return None
        if operator_id is not None and record.get("operatorId") != operator_id:
            return None
        if time.time() - float(record.get("stagedAt", 0)) > self.ttl_seconds or not blob.exists():
            self.discard(ref)
            return None
        return self._staged(ref, record)

    def save_converted(self, staged: StagedFile, data: bytes) -> None:
        self._write_private(staged.converted, data)

    def discard(self, ref: str | None) -> None:
        if not ref or not _REF.match(ref):
            return
        for path in self._paths(ref):
            path.unlink(missing_ok=True)

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
