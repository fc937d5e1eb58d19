"""The operator's file, kept server-side between the dry run and the submit.

Under `instance/uploads/` (never under static/), mode 0600, named by a random reference (never by the
operator's file name), bound to the operator and partner that staged it, and deleted after the submit or
after a TTL. Beside the original, the converted workbook that was sent is kept until the upstream confirmed
it: a retry after a lost answer must send the very same bytes, or the upstream's idempotency check (same key,
same body) would see a different request. No Flask in here: the caller passes the directory.
"""

from __future__ import annotations

import hashlib
import os
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Final

from webapp.files.private_folder import PrivateFolder

STAGING_DIR_NAME: Final = "uploads"
STAGING_TTL_SECONDS: Final = 2 * 60 * 60
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


class UploadStaging(PrivateFolder):
    """One directory of staged files; anything older than the TTL is swept on the next stage."""

    suffixes = (".bin", ".xlsx")  # the operator's file, and the Excel converted from it for the upstream

    def __init__(self, directory: Path, ttl_seconds: int = STAGING_TTL_SECONDS) -> None:
        super().__init__(directory, ttl_seconds)

    def stage(
        self, stream: BinaryIO, file_name: str | None, *, max_bytes: int, operator_id: int, partner_id: int
    ) -> StagedFile:
        """Copy the stream to disk, hashing as it goes; refuse (and keep nothing) once it passes the limit.

        One byte over the limit is still read, so that "exactly the limit" and "one byte more" differ."""
        ref = self.new_ref()
        blob = self.path(ref, ".bin")
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
        record: dict[str, object] = {
            "fileName": display_name(file_name),
            "size": size,
            "sha256": digest.hexdigest(),
            "operatorId": operator_id,
            "partnerId": partner_id,
        }
        self.write_record(ref, record)
        return self._staged(ref, record)

    def _staged(self, ref: str, record: dict[str, object]) -> StagedFile:
        return StagedFile(
            ref=ref,
            file_name=str(record["fileName"]),
            size=int(str(record["size"])),
            sha256=str(record["sha256"]),
            path=self.path(ref, ".bin"),
            converted=self.path(ref, ".xlsx"),
        )

    def load(self, ref: str | None, *, operator_id: int | None, partner_id: int) -> StagedFile | None:
        """The staged file, only for its partner (and its operator when given) and only within the TTL."""
        record = self.read_record(ref, partner_id=partner_id, operator_id=operator_id)
        if ref is None or record is None:
            return None
        return self._staged(ref, record)

    def save_converted(self, staged: StagedFile, data: bytes) -> None:
        self.write_private(staged.converted, data, replace=True)
