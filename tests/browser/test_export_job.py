"""The cardholder export in a real browser: the button answers at once with the job's panel under it, a worker
process runs the export, the panel turns to done with its download link (htmx polls, no reload), and the file
downloads. Screenshots go to /tmp/export-job-*.png."""

from __future__ import annotations

import csv
import io
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import OPERATOR_PASSWORD
from tests.support.jobs_worker import start_worker
from tests.support.processes import ChildProcess
from tests.support.sandbox import SandboxHandle

PARTNER = 1
SHOTS = Path(tempfile.gettempdir())


@pytest.fixture
def console_url(worker_console: tuple[Any, Path, str]) -> str:
    return worker_console[2]


def test_export_button_panel_worker_and_download(
    page: Any,
    sandbox: SandboxHandle,
    worker_console: tuple[Any, Path, str],
    signed_in_page: Callable[..., Any],
    worker_slot: list[ChildProcess],
) -> None:
    _, instance, url = worker_console
    user = sandbox.create_user(
        email=f"ui-export-{uuid.uuid4().hex[:10]}@test.migo",
        password=OPERATOR_PASSWORD,
        name="Julia Exporta",
        partners=[PARTNER],
        permissions={str(PARTNER): ["cardholders:list", "cardholders:detail"]},
    )
    signed_in_page(user["email"], OPERATOR_PASSWORD)
    page.goto(f"{url}/p/{PARTNER}/cardholders/?status=inactive")
    page.get_by_test_id("export-csv").click()
    panel = page.get_by_test_id("export-job").get_by_test_id("job-panel")
    expect(panel).to_have_attribute("data-state", "queued")  # at once, no worker yet
    expect(panel).to_contain_text("Cardholder export")
    page.screenshot(path=SHOTS / "export-job-1-queued.png", full_page=True)

    worker_slot.append(start_worker(instance, "export-worker"))
    expect(panel).to_have_attribute("data-state", "done", timeout=30_000)
    expect(panel.get_by_test_id("job-counts")).to_contain_text("Rows written")
    download_link = panel.get_by_test_id("job-download")
    expect(download_link).to_contain_text(".csv")
    page.screenshot(path=SHOTS / "export-job-2-done.png", full_page=True)

    with page.expect_download() as download:
        download_link.click()
    assert download.value.suggested_filename.startswith(f"cardholders-{PARTNER}-")
    rows = list(csv.reader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8-sig"))))
    assert rows[0][:3] == ["ID", "Name", "Last name"]
    assert len(rows) > 1
    assert all(row[7] == "Inactive" and "•••@" in row[3] for row in rows[1:])
