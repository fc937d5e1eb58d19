"""The staged upload: private, randomly named, bound to its partner and operator, swept after the TTL."""

from __future__ import annotations

import io
import os
import time
from pathlib import Path

import pytest

from webapp.uploads.staging import TooLarge, UploadStaging, display_name


def test_staged_file_is_private_and_not_named_after_the_upload(tmp_path: Path) -> None:
    staging = UploadStaging(tmp_path / "uploads")
    staged = staging.stage(
        io.BytesIO(b"a,b\r\n"), "../../etc/passwd.csv", max_bytes=100, operator_id=7, partner_id=3
    )
    assert staged.path.parent == tmp_path / "uploads"
    assert "passwd" not in staged.path.name
    assert staged.path.stat().st_mode & 0o777 == 0o600
    assert staged.file_name == "passwd.csv"
    assert staged.size == 5
    assert len(staged.sha256) == 64


def test_over_the_limit_nothing_is_kept(tmp_path: Path) -> None:
    staging = UploadStaging(tmp_path)
    with pytest.raises(TooLarge):
        staging.stage(io.BytesIO(b"x" * 11), "a.csv", max_bytes=10, operator_id=1, partner_id=1)
    assert list(tmp_path.iterdir()) == []
    kept = staging.stage(io.BytesIO(b"x" * 10), "a.csv", max_bytes=10, operator_id=1, partner_id=1)
    assert kept.size == 10


def test_only_its_partner_and_operator_may_load_it(tmp_path: Path) -> None:
    staging = UploadStaging(tmp_path)
    staged = staging.stage(io.BytesIO(b"data"), "a.csv", max_bytes=100, operator_id=1, partner_id=2)
    assert staging.load(staged.ref, operator_id=1, partner_id=2) == staged
    assert staging.load(staged.ref, operator_id=None, partner_id=2) == staged
    assert staging.load(staged.ref, operator_id=9, partner_id=2) is None
    assert staging.load(staged.ref, operator_id=1, partner_id=3) is None
    assert staging.load("../" + staged.ref, operator_id=1, partner_id=2) is None


def test_expired_files_are_swept(tmp_path: Path) -> None:
    staging = UploadStaging(tmp_path, ttl_seconds=60)
    staged = staging.stage(io.BytesIO(b"data"), "a.csv", max_bytes=100, operator_id=1, partner_id=2)
    past = time.time() - 120
    for path in tmp_path.iterdir():
        os.utime(path, (past, past))
    assert staging.sweep() == 2
    assert staging.load(staged.ref, operator_id=1, partner_id=2) is None


def test_display_names_are_harmless() -> None:
    assert display_name('C:\\Users\\ana\\"altas"<script>.csv') == "altasscript.csv"
    assert display_name("\x00\x07") == "upload"
