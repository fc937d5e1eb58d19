"""My jobs in a real browser: a job's panel goes from queued to done on its own (htmx polls, no reload), the
download link appears, and the finished-job toast arrives. Screenshots go to /tmp/jobs-*.png."""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import OPERATOR_PASSWORD
from tests.support.jobs_worker import start_worker
from tests.support.processes import ChildProcess
from tests.support.sandbox import SandboxHandle
from webapp.access import Operator, PartnerRef
from webapp.jobs import api

PARTNER = 1
SHOTS = Path(tempfile.gettempdir())  # /tmp/jobs-*.png, to look at after a run


@pytest.fixture
def console_url(worker_console: tuple[Any, Path, str]) -> str:
    return worker_console[2]


def _job_owner(sandbox: SandboxHandle) -> tuple[dict[str, Any], Operator]:
    """A new sandbox operator on the partner, and the same person as the signed-in operator a job is
    enqueued for (`api.enqueue` takes the one a request would have)."""
    user = sandbox.create_user(
        email=f"ui-jobs-{uuid.uuid4().hex[:10]}@test.migo",
        password=OPERATOR_PASSWORD,
        name="Julia Tareas",
        partners=[PARTNER],
        permissions={str(PARTNER): ["cardholders:list"]},
    )
    operator = Operator(
        id=int(user["id"]),
        email=user["email"],
        name=user["name"],
        is_admin=False,
        otp_elevation=False,
        partners=(PartnerRef(PARTNER, "Partner"),),
        permissions={PARTNER: frozenset()},
    )
    return user, operator


def test_a_job_panel_goes_from_queued_to_done_and_a_toast_says_so(
    page: Any,
    sandbox: SandboxHandle,
    worker_console: tuple[Any, Path, str],
    signed_in_page: Callable[..., Any],
    worker_slot: list[ChildProcess],
) -> None:
    app, instance, _ = worker_console
    user, operator = _job_owner(sandbox)
    with app.app_context():
        # Five seconds of running: at least two of the panel's polls see it (they come every 2 s).
        job = api.enqueue("probe", {"steps": 10, "step_seconds": 0.5, "file": True}, operator, PARTNER)

    signed_in_page(user["email"], OPERATOR_PASSWORD)
    page.get_by_role("navigation", name="Sections").get_by_role("link", name="My jobs").click()
    expect(page.get_by_role("heading", name="My jobs")).to_be_visible()
    panel = page.locator(f'[data-job-id="{job.id}"]')
    expect(panel).to_have_attribute("data-state", "queued")
    expect(panel).to_contain_text("Waiting for a worker")
    page.screenshot(path=SHOTS / "jobs-1-queued.png", full_page=True)

    worker_slot.append(start_worker(instance, "browser-worker"))
    expect(panel).to_have_attribute("data-state", "running", timeout=30_000)
    expect(panel.get_by_test_id("job-progress")).to_be_visible()
    page.screenshot(path=SHOTS / "jobs-2-running.png", full_page=True)
    expect(panel).to_have_attribute("data-state", "done", timeout=30_000)
    expect(panel.get_by_test_id("job-download")).to_have_text("Download probe.csv")
    expect(page.get_by_test_id("job-toast")).to_be_visible(timeout=15_000)
    expect(page.get_by_test_id("job-toast")).to_contain_text(f"Test job #{job.id} is done.")
    page.screenshot(path=SHOTS / "jobs-3-done.png", full_page=True)

    with page.expect_download() as download:
        panel.get_by_test_id("job-download").click()
    assert download.value.suggested_filename == "probe.csv"
    assert Path(download.value.path()).read_text() == "step\n" + "".join(f"{i}\n" for i in range(10))


def test_a_hidden_tab_does_not_poll_and_asks_at_once_when_shown_again(
    page: Any,
    sandbox: SandboxHandle,
    worker_console: tuple[Any, Path, str],
    signed_in_page: Callable[..., Any],
) -> None:
    app, _, url = worker_console
    user, operator = _job_owner(sandbox)
    with app.app_context():
        job = api.enqueue("probe", {"steps": 1}, operator, PARTNER)  # no worker: it stays queued
    # The page's timers run on a clock the test moves: the hidden spell is played out, not slept through.
    page.clock.install()
    signed_in_page(user["email"], OPERATOR_PASSWORD)
    page.goto(f"{url}/p/{PARTNER}/jobs/{job.id}")
    with page.expect_request(lambda request: "/panel" in request.url, timeout=5_000):
        pass  # visible: it polls
    page.clock.pause_at(datetime.fromtimestamp(page.evaluate("Date.now()") / 1000 + 0.05, tz=UTC))
    page.evaluate(
        "window.__panelPolls = 0;"
        "document.body.addEventListener('htmx:beforeSend', function (e) {"
        "  if (e.detail.pathInfo.requestPath.indexOf('/panel') !== -1) { window.__panelPolls += 1; }"
        "});"
        "Object.defineProperty(document, 'hidden', {value: true, configurable: true});"
        "document.dispatchEvent(new Event('visibilitychange'));"
    )
    page.clock.run_for(4_500)  # two poll periods, hidden: htmx asks for nothing
    assert page.evaluate("window.__panelPolls") == 0
    page.clock.resume()
    with page.expect_request(lambda request: "/panel" in request.url, timeout=1_000):
        page.evaluate(
            "Object.defineProperty(document, 'hidden', {value: false, configurable: true});"
            "document.dispatchEvent(new Event('visibilitychange'));"
        )


def test_my_jobs_in_every_state_passes_axe_in_both_themes(
    page_factory: Callable[..., tuple[Any, Any]],
    sandbox: SandboxHandle,
    worker_console: tuple[Any, Path, str],
    signed_in_page: Callable[..., Any],
) -> None:
    from tests.browser.test_accessibility import axe_violations
    from webapp.jobs import runner

    app, _, url = worker_console
    user, operator = _job_owner(sandbox)
    with app.app_context():
        settings = api.current_queue().settings
        done = api.enqueue("probe", {"steps": 3, "file": True}, operator, PARTNER)
        failed = api.enqueue("probe", {"steps": 2, "fail": True}, operator, PARTNER)
        api.enqueue("probe", {"steps": 1, "nonce": "waits"}, operator, PARTNER)
        for job in (done, failed):
            runner.execute(app, settings, job.id)  # in this process: what a worker thread runs

    page, _ = page_factory(bypass_csp=True)  # axe is injected as a script of its own
    signed_in_page(user["email"], OPERATOR_PASSWORD, target=page)
    page.goto(f"{url}/p/{PARTNER}/jobs/")
    expect(page.locator('[data-state="failed"]').get_by_test_id("job-failure")).to_have_text(
        "Failed: the test job was asked to fail"
    )
    expect(page.locator('[data-state="done"]').get_by_test_id("job-download")).to_be_visible()
    expect(page.locator('[data-state="queued"]')).to_be_visible()
    page.screenshot(path=SHOTS / "jobs-4-states.png", full_page=True)
    problems: list[str] = []
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        problems.extend(f"{scheme}: {problem}" for problem in axe_violations(page))
    assert not problems, "\n".join(problems)
