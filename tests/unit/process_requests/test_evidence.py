"""Evidence typed by content, capped at 10 MB, staged privately per operator and partner with a TTL."""

from __future__ import annotations

import io
import time
from pathlib import Path

import pytest
import time_machine

from webapp.process_requests.evidence import (
    MAX_EVIDENCE_BYTES,
    EvidenceRejected,
    EvidenceStaging,
    read_capped,
    safe_name,
    sniff,
)

PDF = b"%PDF-1.7\n..."
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 8
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 8
WEBP = b"RIFF\x00\x00\x00\x00WEBPVP8 "


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (PDF, "application/pdf"),
        (PNG, "image/png"),
        (JPEG, "image/jpeg"),
        (WEBP, "image/webp"),
        (b"GIF89a", None),
        (b"<html>", None),
        (b"RIFF\x00\x00\x00\x00WAVE", None),
        (b"", None),
    ],
)
def test_sniff(head: bytes, kind: str | None) -> None:
    assert sniff(head) == kind


def test_read_capped_stops_past_the_limit() -> None:
    assert read_capped(io.BytesIO(b"x" * 100), limit=100) == b"x" * 100
    with pytest.raises(EvidenceRejected):
        read_capped(io.BytesIO(b"x" * 101), limit=100)


def test_read_capped_does_not_read_to_the_end() -> None:
    stream = io.BytesIO(b"x" * (MAX_EVIDENCE_BYTES * 2))
    with pytest.raises(EvidenceRejected):
        read_capped(stream)
    assert stream.tell() < MAX_EVIDENCE_BYTES * 2


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\ana\\receipt.pdf", "receipt.pdf"),
        ('a"b<c>.png', "abc.png"),
        ("line\nbreak.pdf", "linebreak.pdf"),
        ("", "evidence"),
        ("...", "evidence"),
    ],
)
def test_safe_name(name: str, safe: str) -> None:
    assert safe_name(name) == safe


def test_stage_keeps_a_private_copy_for_its_owner_only(tmp_path: Path) -> None:
    staging = EvidenceStaging(tmp_path / "staging")
    staged = staging.stage(PDF, "proof.pdf", operator_id=7, partner_id=1)
    assert staged.content_type == "application/pdf"
    assert staged.read() == PDF
    assert {p.stat().st_mode & 0o777 for p in (tmp_path / "staging").iterdir()} == {0o600}
    assert staging.load(staged.ref, operator_id=7, partner_id=1) == staged
    assert staging.load(staged.ref, operator_id=8, partner_id=1) is None
    assert staging.load(staged.ref, operator_id=7, partner_id=2) is None
    assert staging.load("../" + staged.ref, operator_id=7, partner_id=1) is None
    staging.discard(staged.ref)
    assert staging.load(staged.ref, operator_id=7, partner_id=1) is None
    assert list((tmp_path / "staging").iterdir()) == []


def test_stage_refuses_what_is_not_evidence(tmp_path: Path) -> None:
    staging = EvidenceStaging(tmp_path)
    for data in (b"", b"MZ\x90\x00", PDF + b"0" * MAX_EVIDENCE_BYTES):
        with pytest.raises(EvidenceRejected):
            staging.stage(data, "x.pdf", operator_id=1, partner_id=1)


def test_staged_files_expire(tmp_path: Path) -> None:
    staging = EvidenceStaging(tmp_path, ttl_seconds=1800)
    staged = staging.stage(PNG, "p.png", operator_id=1, partner_id=1)
    with time_machine.travel(time.time() + 1801, tick=False):
        assert staging.load(staged.ref, operator_id=1, partner_id=1) is None
    assert not staged.path.exists()


def test_sweep_removes_only_old_files(tmp_path: Path) -> None:
    staging = EvidenceStaging(tmp_path, ttl_seconds=1800)
    staging.stage(PNG, "p.png", operator_id=1, partner_id=1)
    assert staging.sweep() == 0
    assert staging.sweep(now=time.time() + 1801) == 2
    assert list(tmp_path.iterdir()) == []
