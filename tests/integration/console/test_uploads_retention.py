"""Personal data in upload files: who may download the "to fix" report, its audit trail, and the purge."""

from __future__ import annotations

import csv
import io
import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import python_calamine as calamine
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update

from tests.integration.console.test_uploads_flow import (
    PARTNER,
    UPLOADER,
    csv_file,
    detail_url,
    person,
    post_file,
    upload_id_of,
)
from tests.support.auth import Auth
from tests.support.sandbox import SandboxHandle
from webapp.store import current_store
from webapp.store.audit import recent_events
from webapp.store.uploads import UploadNote, UploadRecord

PII_OPERATOR = [*UPLOADER, "cardholders:otp"]


pytestmark = pytest.mark.console(LOGIN_RATE_LIMIT="100 per minute", OTP_RATE_LIMIT="100 per minute")


def checked_upload(client: FlaskClient, card_base: int) -> tuple[int, str]:
    """A checked file with one row to fix; answers the upload id and that row's document number."""
    rows = [person(i, card_base + i) for i in range(3)]
    rows[1]["dateOfBirth"] = "14/03/1991"
    return upload_id_of(post_file(client, csv_file(rows))), rows[1]["documentNumber"]


def report_events(console: Flask, upload_id: int) -> list[tuple[str | None, str]]:
    with console.app_context():
        events = recent_events(PARTNER, target=f"upload:{upload_id}")
    return sorted(
        (event.actor_email, event.outcome)
        for event in events
        if event.action == "bulk_upload_report_downloaded"
    )


def test_the_report_with_values_is_for_the_uploader_and_personal_data_operators(
    console: Flask,
    sandbox: SandboxHandle,
    auth: Auth,
) -> None:
    uploader, uploader_email = auth.sign_in(UPLOADER, partners=(PARTNER,))
    colleague, colleague_email = auth.sign_in(UPLOADER, partners=(PARTNER,))
    pii, pii_email = auth.sign_in(PII_OPERATOR, partners=(PARTNER,))
    upload_id, document = checked_upload(uploader, 930000)
    report = f"{detail_url(upload_id)}/errors.csv"

    own = uploader.get(report)
    assert own.status_code == 200
    assert document in own.get_data().decode("utf-8-sig")

    page = colleague.get(detail_url(upload_id)).get_data(as_text=True)
    assert 'data-testid="report-restricted"' in page
    assert "errors.csv" not in page
    for fmt in ("csv", "xlsx"):
        refused = colleague.get(f"{detail_url(upload_id)}/errors.{fmt}")
        assert refused.status_code == 403
        assert document not in refused.get_data(as_text=True)

    allowed = pii.get(report)
    assert allowed.status_code == 200
    assert document in allowed.get_data().decode("utf-8-sig")
    assert 'data-testid="report-csv"' in pii.get(detail_url(upload_id)).get_data(as_text=True)

    assert report_events(console, upload_id) == sorted(
        [
            (uploader_email, "success"),
            (colleague_email, "denied"),
            (colleague_email, "denied"),
            (pii_email, "success"),
        ]
    )


def test_once_the_file_is_gone_the_masked_report_is_for_every_uploader(
    console: Flask,
    sandbox: SandboxHandle,
    auth: Auth,
) -> None:
    uploader, _email = auth.sign_in(UPLOADER, partners=(PARTNER,))
    colleague, colleague_email = auth.sign_in(UPLOADER, partners=(PARTNER,))
    upload_id, document = checked_upload(uploader, 931000)
    for path in (Path(console.instance_path) / "uploads").iterdir():
        path.unlink()
    masked = colleague.get(f"{detail_url(upload_id)}/errors.csv")
    assert masked.status_code == 200
    text = masked.get_data().decode("utf-8-sig")
    assert "Value (masked)" in text
    assert document not in text
    assert (colleague_email, "success") in report_events(console, upload_id)


def _age(path: Path, seconds: float) -> None:
    moment = time.time() - seconds
    os.utime(path, (moment, moment))


def test_the_purge_deletes_what_is_past_its_time_and_keeps_the_rest(
    console: Flask,
    sandbox: SandboxHandle,
    auth: Auth,
) -> None:
    uploader, _email = auth.sign_in(UPLOADER, partners=(PARTNER,))
    old_id, _doc = checked_upload(uploader, 932000)
    recent_id, _doc = checked_upload(uploader, 933000)
    with console.app_context(), current_store().session() as db:
        db.execute(
            update(UploadRecord)
            .where(UploadRecord.id == old_id)
            .values(created_at=datetime.now(UTC) - timedelta(days=31))
        )
        old_ref = db.scalar(select(UploadRecord.staging_ref).where(UploadRecord.id == old_id))
        recent_ref = db.scalar(select(UploadRecord.staging_ref).where(UploadRecord.id == recent_id))
    instance = Path(console.instance_path)
    uploads_dir, evidence_dir = instance / "uploads", instance / "evidence-staging"
    # A file staged and abandoned 3 hours ago (the TTL is 2), evidence left for an hour (TTL 30 min).
    stale_upload = uploads_dir / ("a" * 32 + ".bin")
    stale_upload.write_bytes(b"name;lastName\n")
    _age(stale_upload, 3 * 3600)
    evidence_dir.mkdir(mode=0o700, exist_ok=True)
    stale_evidence, fresh_evidence = evidence_dir / ("b" * 32 + ".bin"), evidence_dir / ("c" * 32 + ".bin")
    stale_evidence.write_bytes(b"%PDF-1.4")
    fresh_evidence.write_bytes(b"%PDF-1.4")
    _age(stale_evidence, 3600)

    console.config["UPLOADS_RETENTION_DAYS"] = 40  # the setting decides: 31 days old is kept for 40
    kept = console.test_cli_runner().invoke(args=["uploads", "purge"])
    assert kept.exit_code == 0, kept.output
    assert "uploads=0 " in kept.output
    assert uploader.get(detail_url(old_id)).status_code == 200
    console.config["UPLOADS_RETENTION_DAYS"] = 30
    result = console.test_cli_runner().invoke(args=["uploads", "purge"])
    assert result.exit_code == 0, result.output
    assert "uploads=1 " in result.output

    assert uploader.get(detail_url(old_id)).status_code == 404
    assert uploader.get(detail_url(recent_id)).status_code == 200
    with console.app_context(), current_store().session() as db:
        assert not db.scalar(select(func.count()).where(UploadNote.upload_id == old_id))
        assert db.scalar(select(func.count()).where(UploadNote.upload_id == recent_id))
    assert not list(uploads_dir.glob(f"{old_ref}.*"))
    assert list(uploads_dir.glob(f"{recent_ref}.*"))
    assert not stale_upload.exists()
    assert not stale_evidence.exists()
    assert fresh_evidence.exists()
    with console.app_context():
        purged = [event for event in recent_events(None) if event.action == "uploads_purged"]
    assert purged[0].detail is not None
    assert purged[0].detail["uploads"] == 1


def test_the_report_opens_as_a_workbook_with_the_same_rows(
    console: Flask, sandbox: SandboxHandle, auth: Auth
) -> None:
    uploader, _ = auth.sign_in(UPLOADER, partners=(PARTNER,))
    upload_id, document = checked_upload(uploader, 931000)
    got = uploader.get(f"{detail_url(upload_id)}/errors.xlsx")
    assert got.status_code == 200
    assert got.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = calamine.CalamineWorkbook.from_filelike(io.BytesIO(got.get_data())).get_sheet_by_index(0)
    rows = list(sheet.iter_rows())
    report = uploader.get(f"{detail_url(upload_id)}/errors.csv").get_data().decode("utf-8-sig")
    as_csv = list(csv.reader(io.StringIO(report)))
    # Numbers stay numbers in the workbook (calamine reads them as floats): the row number is 3.0.
    assert [[f"{cell:g}" if isinstance(cell, float) else cell for cell in row] for row in rows] == as_csv
    assert any(document in row for row in rows)
