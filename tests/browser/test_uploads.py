"""The whole bulk-upload flow in a real browser: messy file → problems → corrected file → send once →
progress bar to the end → report; screenshots of every screen."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import give_code, shoot
from tests.integration.console.test_uploads_flow import (
    PARTNER,
    UPLOADER,
    batch_pace,
    csv_file,
    free_cards,
    person,
)
from tests.support.console import console_config, start_jobs_worker
from tests.support.sandbox import SandboxHandle


def run_queued_job(tmp_path: Path, sandbox: SandboxHandle, job_id: int) -> None:
    """Run one job of the console `console_url` started (its instance under tmp_path/console-0), as a worker
    would: an app of its own on the same instance folder, store and queue. From then on that worker runs the
    console's jobs by itself (the follow of the batch sent later)."""
    from webapp import create_app
    from webapp.jobs import runner
    from webapp.jobs.queue import JobQueue

    app = create_app(console_config(sandbox, tmp_path / "console-0"))
    queue: JobQueue = app.extensions["jobs"]
    assert runner.execute(app, queue.settings, job_id) == "done"
    start_jobs_worker(app)


def test_upload_check_fix_send_and_watch_it_finish(
    signed_in_page: Callable[..., Any], console_url: str, sandbox: SandboxHandle, tmp_path: Path
) -> None:
    email, password = f"bulk-{uuid.uuid4().hex[:10]}@test.migo", "Correct-Horse-42!"
    sandbox.create_user(
        email=email, password=password, partners=[PARTNER], permissions={str(PARTNER): UPLOADER}
    )
    page = signed_in_page(email, password)
    cards = free_cards(sandbox, 8)
    rows = [person(i, card) for i, card in enumerate(cards)]
    messy = [dict(row) for row in rows]
    messy[2]["dateOfBirth"] = "31/02/1990"
    messy[5]["name"] = "=1+1"
    messy_file = tmp_path / "altas.csv"
    messy_file.write_bytes(csv_file(messy, delimiter=";", encoding="cp1252"))

    page.goto(f"{console_url}/p/{PARTNER}/uploads/")
    shoot(page, "uploads-01-history-empty")
    page.get_by_test_id("new-upload").click()
    page.locator("#file").set_input_files(str(messy_file))
    shoot(page, "uploads-02-new")
    page.get_by_test_id("check-file").click()
    expect(page.get_by_test_id("issues")).to_be_visible()
    expect(page.locator('[data-count="invalid"]')).to_have_text("2")
    expect(page.get_by_test_id("issues")).to_contain_text("Starts with a formula character")
    shoot(page, "uploads-03-dry-run-with-problems")
    page.get_by_test_id("report-csv").click()  # a job: its panel comes under the buttons at once
    panel = page.get_by_test_id("report-job").get_by_test_id("job-panel")
    expect(panel).to_have_attribute("data-state", "queued")
    run_queued_job(tmp_path, sandbox, int(panel.get_attribute("data-job-id") or 0))
    expect(panel).to_have_attribute("data-state", "done", timeout=15_000)  # the panel polls itself
    shoot(page, "uploads-03b-report-job-done")
    with page.expect_download() as report:
        panel.get_by_test_id("job-download").click()
    assert report.value.suggested_filename.endswith("-to-fix.csv")

    fixed_file = tmp_path / "altas-corregido.csv"
    fixed_file.write_bytes(csv_file(rows))
    page.goto(f"{console_url}/p/{PARTNER}/uploads/new")
    page.locator("#file").set_input_files(str(fixed_file))
    page.get_by_test_id("check-file").click()
    expect(page.locator('[data-count="valid"]')).to_have_text("8")
    shoot(page, "uploads-04-dry-run-clean")
    give_code(page, sandbox, email)
    with batch_pace(sandbox, 4):
        page.get_by_test_id("send-upload").click()
        progress = page.get_by_test_id("upload-progress")
        expect(progress).to_be_visible()
        shoot(page, "uploads-05-progress")
        expect(page.locator('#upload-progress[data-state="done"]')).to_be_visible(timeout=30_000)
    expect(page.get_by_test_id("progress-figure")).to_contain_text("8 / 8 · 100 %")
    expect(page.get_by_test_id("outcomes")).to_be_visible()
    shoot(page, "uploads-06-finished")
    page.goto(f"{console_url}/p/{PARTNER}/uploads/")
    expect(page.get_by_test_id("upload-history")).to_contain_text("altas-corregido.csv")
    shoot(page, "uploads-07-history")
