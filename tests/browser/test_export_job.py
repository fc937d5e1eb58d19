"""The cardholder export in a real browser: the button answers at once with the job's panel under it, a worker
process runs the export, the panel turns to done with its download link (htmx polls, no reload), and the file
downloads. Screenshots go to /tmp/export-job-*.png."""

from __future__ import annotations

import csv
import io
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import OPERATOR_PASSWORD
from tests.support.console import console_config
from tests.support.jobs_worker import start_worker
from tests.support.processes import ChildProcess
from tests.support.sandbox import SandboxHandle
from tests.support.servers import LiveServer

PARTNER = 1
SHOTS = Path(tempfile.gettempdir())
# What the worker needs to reach the CMS as the console does (its instance's config.py).
SHARED = (
    "TESTING",
    "SECRET_KEY",
    "CONSOLE_ENV",
    "DATABASE_URL",
    "CMS_BASE_URL",
    "CMS_MERCHANT",
    "CMS_MERCHANT_KEY_PEM",
    "CMS_PUBLIC_KEY_PEM",
    "SANDBOX_PUBLIC_URL",
)


@pytest.fixture
def export_console(sandbox: SandboxHandle, tmp_path: Path) -> Iterator[tuple[Path, str]]:
    from webapp import create_app

    limits = {"LOGIN_RATE_LIMIT": "200 per minute", "OTP_RATE_LIMIT": "200 per minute"}
    config = console_config(sandbox, tmp_path, **limits)
    instance = Path(config["INSTANCE_PATH"])
    (instance / "config.py").write_text("".join(f"{key} = {config[key]!r}\n" for key in SHARED))
    server = LiveServer(create_app(config)).start()
    try:
        yield instance, server.url
    finally:
        server.stop()


@pytest.fixture
def console_url(export_console: tuple[Path, str]) -> str:
    """`signed_in_page` signs in on this console (the conftest's fixture of the same name starts another)."""
    return export_console[1]


@pytest.fixture
def worker_slot() -> Iterator[list[ChildProcess]]:
    started: list[ChildProcess] = []
    yield started
    for child in started:
        child.stop()


def test_export_button_panel_worker_and_download(
    page: Any,
    sandbox: SandboxHandle,
    export_console: tuple[Path, str],
    signed_in_page: Callable[..., Any],
    worker_slot: list[ChildProcess],
) -> None:
    instance, url = export_console
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
