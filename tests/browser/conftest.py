"""Browser tests: a real console on loopback in front of the run's sandbox, driven by Debian's chromium.

Every page fails its test on a console error, an uncaught exception, a dialog or a CSP violation. Without
chromium the browser tests skip with the reason (and fail under CI=true).
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.console import console_config, start_jobs_worker
from tests.support.jobs_worker import share_with_workers
from tests.support.processes import ChildProcess
from tests.support.sandbox import SandboxHandle
from tests.support.servers import LiveServer

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
# Collected inside the page before any of its own scripts run; read back at the end of each test.
_CSP_LISTENER = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', function (e) {
  window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI);
});
"""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).resolve().parent
    for item in items:
        if Path(str(item.fspath)).resolve().is_relative_to(here):
            item.add_marker(pytest.mark.browser)


def _need_chromium() -> None:
    if Path(CHROMIUM).exists() or shutil.which("chromium"):
        return
    reason = f"{CHROMIUM} is not installed (apt-get install chromium)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    _need_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


ConsoleFactory = Callable[..., str]


@pytest.fixture
def start_console(sandbox: SandboxHandle, tmp_path: Path) -> Iterator[ConsoleFactory]:
    """Start a console (config overrides allowed; `jobs_worker=True` runs its jobs) on its own port; answers
    its base URL."""
    from webapp import create_app

    servers: list[LiveServer] = []

    def start(*, jobs_worker: bool = False, **overrides: Any) -> str:
        settings = {"LOGIN_RATE_LIMIT": "200 per minute", "OTP_RATE_LIMIT": "200 per minute", **overrides}
        app = create_app(console_config(sandbox, tmp_path / f"console-{len(servers)}", **settings))
        if jobs_worker:  # its background jobs run (a sent upload's follow), in this process
            start_jobs_worker(app)
        server = LiveServer(app).start()
        servers.append(server)
        return server.url

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def console_url(start_console: ConsoleFactory) -> str:
    return start_console()


@pytest.fixture
def worker_console(sandbox: SandboxHandle, tmp_path: Path) -> Iterator[tuple[Any, Path, str]]:
    """A console on loopback whose instance folder a jobs worker process shares: its app, that folder and its
    base URL (tests/support/jobs_worker.py). A module using it answers `console_url` from it, so that
    `signed_in_page` signs in on this console."""
    from webapp import create_app

    limits = {"LOGIN_RATE_LIMIT": "200 per minute", "OTP_RATE_LIMIT": "200 per minute"}
    config = console_config(sandbox, tmp_path, **limits)
    instance = share_with_workers(config)
    app = create_app(config)
    server = LiveServer(app).start()
    try:
        yield app, instance, server.url
    finally:
        server.stop()


@pytest.fixture
def worker_slot() -> Iterator[list[ChildProcess]]:
    """Worker processes a test starts (tests/support/jobs_worker.py start_worker), stopped after it."""
    started: list[ChildProcess] = []
    yield started
    for child in started:
        child.stop()


class PageProblems:
    """Everything that makes a page unacceptable, gathered while the test runs.

    A form page answered with 401/403/429 on purpose makes chromium log "Failed to load resource" for the
    document itself; that is the status doing its job, so only documents are excused, never subresources.
    So is a form refused with 422 (webapp/htmx.py FORM_INVALID), which htmx swaps in place: chromium and
    htmx log its status, and those two lines are excused for the very URLs that answered 422.
    """

    def __init__(self) -> None:
        self.items: list[tuple[str, str]] = []
        self.document_errors: set[str] = set()
        self.refused_forms: set[str] = set()

    def add(self, text: str, url: str = "") -> None:
        self.items.append((text, url))

    def note_response(self, response: Any) -> None:
        if response.status >= 400 and response.request.is_navigation_request():
            self.document_errors.add(response.url)
        elif response.status == 422:
            self.refused_forms.add(response.url)

    def _excused(self, text: str, url: str) -> bool:
        if text.startswith("console error: Failed to load resource"):
            return url in self.document_errors or url in self.refused_forms
        htmx_log = "console error: Response Status Error Code 422 from "
        if text.startswith(htmx_log):
            path = text[len(htmx_log) :].partition(",")[0]
            return any(refused.partition("?")[0].endswith(path) for refused in self.refused_forms)
        return False

    def unacceptable(self) -> list[str]:
        return [text for text, url in self.items if not self._excused(text, url)]


# What a test's pages showed, read and closed the moment the test body ends (`pytest_runtest_call`).
_CLOSE_PAGES = pytest.StashKey[Callable[[], list[str]]]()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """Close the test's pages before any fixture stops a server. Fixtures are torn down in reverse order, so
    a console started after the page stops first; a page still loading its last navigation's scripts then
    sees its connection reset (a listening socket closed with connections not yet accepted) and logs
    ERR_CONNECTION_RESET: an error of the teardown, not of the page."""
    yield
    close_pages = item.stash.get(_CLOSE_PAGES, None)
    if close_pages is not None:
        close_pages()


@pytest.fixture
def page_factory(
    browser: Any, request: pytest.FixtureRequest
) -> Iterator[Callable[..., tuple[Any, PageProblems]]]:
    contexts: list[Any] = []
    watched: list[tuple[Any, PageProblems]] = []
    failures: list[str] = []

    def open_page(**context_options: Any) -> tuple[Any, PageProblems]:
        context = browser.new_context(**context_options)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        problems = PageProblems()
        page.add_init_script(_CSP_LISTENER)

        def on_console(msg: Any) -> None:
            # The icon is fetched lazily and may still be in flight when a test stops its server.
            url = str(msg.location.get("url", ""))
            if msg.type == "error" and not url.endswith(("/favicon.ico", "/favicon.svg")):
                problems.add(f"console {msg.type}: {msg.text} ({url})", url)

        page.on("console", on_console)
        page.on("response", problems.note_response)
        page.on("pageerror", lambda exc: problems.add(f"page error: {exc}"))

        def on_dialog(dialog: Any) -> None:
            problems.add(f"dialog: {dialog.message}")
            dialog.dismiss()

        page.on("dialog", on_dialog)
        watched.append((page, problems))
        return page, problems

    def close_pages() -> list[str]:
        """Read every page's problems, then close the pages (once: again at teardown does nothing)."""
        for page, problems in watched:
            if not page.is_closed():
                try:
                    violations = page.evaluate("window.__cspViolations || []")
                except Exception:
                    violations = []
                failures.extend(f"CSP violation: {v}" for v in violations)
            failures.extend(problems.unacceptable())
        watched.clear()
        while contexts:
            contexts.pop().close()
        return failures

    request.node.stash[_CLOSE_PAGES] = close_pages
    yield open_page
    close_pages()
    assert not failures, "\n".join(failures)


@pytest.fixture
def page(page_factory: Callable[..., tuple[Any, PageProblems]]) -> Any:
    """A fresh browser page (own cookies and storage) that fails the test on any error it shows."""
    opened, _ = page_factory()
    return opened


def shoot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


OPERATOR_PASSWORD = "Browser-Pass-2026!"  # throw-away sandbox operators


def new_operator(
    sandbox: SandboxHandle, name: str, permissions: list[str], *, partner: int = 1, **spec: Any
) -> str:
    """A fresh operator holding `permissions` on one partner, password `OPERATOR_PASSWORD`: its email."""
    email = f"ui-{uuid.uuid4().hex[:10]}@test.migo"
    sandbox.create_user(
        email=email,
        password=OPERATOR_PASSWORD,
        name=name,
        partners=[partner],
        permissions={str(partner): permissions},
        **spec,
    )
    return email


def sign_in_on(browser_page: Any, base_url: str, mailbox: SandboxHandle, email: str, password: str) -> Any:
    """Sign in through the real screens (password, then the code from `mailbox`); answers the page."""
    browser_page.goto(f"{base_url}/auth/login")
    browser_page.get_by_label("Email").fill(email)
    browser_page.get_by_label("Password").fill(password)
    browser_page.get_by_role("button", name="Continue").click()
    browser_page.wait_for_url("**/auth/otp")
    browser_page.get_by_label("Verification code").fill(mailbox.latest_otp(email))
    browser_page.get_by_role("button", name="Verify and sign in").click()
    browser_page.wait_for_url(lambda url: "/auth/otp" not in url)
    return browser_page


@pytest.fixture
def signed_in_page(page: Any, console_url: str, sandbox: SandboxHandle) -> Callable[..., Any]:
    """`signed_in_page(email, password)`: sign in through the real screens and answer the page."""

    def sign_in(
        email: str,
        password: str,
        base_url: str | None = None,
        target: Any = None,
        mailbox: SandboxHandle | None = None,
    ) -> Any:
        return sign_in_on(target or page, base_url or console_url, mailbox or sandbox, email, password)

    return sign_in


def give_code(page: Any, sandbox: SandboxHandle, email: str) -> None:
    """The step-up field of a sensitive form: press "Send code" and type the code from the mailbox. Every
    sensitive action asks by default (STEP_UP_MAX_AGE 0); the sign-in code never counts."""
    from playwright.sync_api import expect

    expect(page.get_by_test_id("step-up")).to_be_visible()
    page.get_by_test_id("step-up").get_by_role("button").click()
    expect(page.locator(".step-up-status")).not_to_be_empty()
    page.get_by_test_id("step-up").locator("input[name=otp]").fill(sandbox.latest_otp(email))
