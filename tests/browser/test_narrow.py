"""A phone-width window (390 × 844): no screen scrolls sideways, and the frame's own controls (the language
switch, sign-out) stay reachable by keyboard. Wide tables scroll inside their own box instead of the page.

Every list, detail and form screen the console has is opened; details and forms are found by following the
links a person would follow, so the walk keeps up with the screens as they change. A screenshot of each is
kept (tests/browser/screenshots/narrow-*.png).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.audit_worker import jobs_worker
from tests.browser.conftest import PageProblems, shoot, sign_in_on
from tests.browser.test_accessibility import tab_reaches
from tests.integration.console.test_uploads_flow import csv_file, free_cards, person
from tests.support.console import ALL_PERMISSIONS, make_console
from tests.support.sandbox import SandboxHandle

PHONE = {"width": 390, "height": 844}
PASSWORD = "Narrow-Pass-2026!"

# How far the page itself scrolls sideways: 0 when nothing sticks out of the window.
_OVERFLOW = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
# The elements that stick out past the right edge, outside any scrolling box: for the failure message.
_CULPRITS = """() => {
    const limit = document.documentElement.clientWidth;
    const out = [];
    document.querySelectorAll('body *').forEach((el) => {
        const box = el.getBoundingClientRect();
        let clipped = false;
        for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
            if (getComputedStyle(up).overflowX !== 'visible') { clipped = true; break; }
        }
        if (box.right > limit + 0.5 && !clipped && out.length < 5) {
            const name = el.tagName.toLowerCase() + '.' + [...el.classList].join('.');
            out.push(name + ' right=' + Math.round(box.right));
        }
    });
    return out;
}"""

# (name, path) of the screens reachable straight from a URL; the rest are found through links below.
SCREENS = [
    ("dashboard", "/p/1/"),
    ("partner", "/p/1/partner"),
    ("partners", "/partners/"),
    ("cardholders", "/p/1/cardholders/"),
    ("cardholder-new", "/p/1/cardholders/new"),
    ("top-ups", "/p/1/top-ups/"),
    ("top-ups-pending", "/p/1/top-ups/?status=pending"),
    ("top-up-new", "/p/1/top-ups/new"),
    ("uploads", "/p/1/uploads/"),
    ("upload-new", "/p/1/uploads/new"),
    ("users", "/p/1/users/"),
    ("user-new", "/p/1/users/new"),
    ("permissions", "/p/1/permissions/"),
    ("permission-new", "/p/1/permissions/new"),
    ("audit", "/p/1/audit/"),
    ("not-found", "/p/1/no-such-screen"),
]
# From a list, the first row's link; from a detail, the links to its forms: (screen, selector, name).
FOLLOW = [
    ("cardholders", "main tbody a[href*='/cardholders/']", "cardholder-detail"),
    ("cardholder-detail", "main a[href$='/edit']", "cardholder-edit"),
    ("cardholder-detail", "main a[href$='/close']", "cardholder-close"),
    ("cardholder-detail", "main a[href*='/cards/']", "card-action"),
    ("top-ups", "main tbody a[href*='/top-ups/']", "top-up-detail"),
    ("top-ups-pending", "main tbody a[href*='/top-ups/']", "top-up-pending"),
    ("top-up-pending", "main a[href$='/approve'], main a[href$='/cancel']", "top-up-decide"),
    ("users", "main tbody a[href*='/users/']", "user-detail"),
    ("user-detail", "main a[href$='/edit']", "user-edit"),
    ("user-detail", "main a[href$='/status']", "user-status"),
    ("user-detail", "main a[href*='/permissions/users/']", "permission-editor"),
    ("uploads", "main tbody a[href*='/uploads/']", "upload-detail"),
    ("audit", "main tbody a[href*='/audit/']", "audit-snapshot"),
]


def _admin(sandbox: SandboxHandle) -> str:
    email = f"narrow-{uuid.uuid4().hex[:10]}@test.migo"
    everything = sorted(ALL_PERMISSIONS)
    sandbox.create_user(
        email=email,
        password=PASSWORD,
        name="Lucía Fernanda Pérez Castellanos",  # a long name, as real ones are
        partners=[1, 2],
        permissions={"1": everything, "2": everything},
        isAdmin=True,
    )
    return email


def _history(page: Any, console_url: str, sandbox: SandboxHandle, tmp_path: Path) -> None:
    """One checked upload and one audit run, so their lists have a row to open."""
    upload = tmp_path / "altas.csv"
    upload.write_bytes(csv_file([person(i, card) for i, card in enumerate(free_cards(sandbox, 2))]))
    page.goto(f"{console_url}/p/1/uploads/new")
    page.locator("#file").set_input_files(str(upload))
    page.get_by_test_id("check-file").click()
    page.wait_for_selector("[data-count='valid']")
    page.goto(f"{console_url}/p/1/audit/")
    page.get_by_test_id("run-audit").click()
    with jobs_worker(sandbox, tmp_path):  # the run is a job: its panel links to the snapshot once done
        page.get_by_test_id("job-result").click(timeout=30_000)
    page.wait_for_url("**/audit/*")


def _frame_reachable(page: Any) -> list[str]:
    """The language switch and sign-out, reached with Tab alone."""
    gaps = []
    if not tab_reaches(page, ".lang-switch button:not(.is-current)"):
        gaps.append("the language switch is not reachable by Tab")
    if not tab_reaches(page, "[data-testid=sign-out]"):
        gaps.append("sign-out is not reachable by Tab")
    elif not page.get_by_test_id("sign-out").is_visible():
        gaps.append("sign-out has focus but cannot be seen")
    return gaps


def test_every_screen_fits_a_phone_and_keeps_its_frame_controls(
    page_factory: Callable[..., tuple[Any, PageProblems]],
    console_url: str,
    sandbox: SandboxHandle,
    tmp_path: Path,
) -> None:
    views = make_console(sandbox, tmp_path / "routes").view_functions
    page, _ = page_factory(viewport=PHONE)
    sign_in_on(page, console_url, sandbox, _admin(sandbox), PASSWORD).wait_for_url("**/auth/partners")
    _history(page, console_url, sandbox, tmp_path)
    failures: list[str] = []
    seen: list[str] = []

    def check(name: str) -> None:
        seen.append(name)
        shoot(page, f"narrow-{name}")
        overflow = page.evaluate(_OVERFLOW)
        if overflow > 0:
            failures.append(f"{name}: the page scrolls sideways by {overflow}px {page.evaluate(_CULPRITS)}")
        failures.extend(f"{name}: {gap}" for gap in _frame_reachable(page))

    urls: dict[str, str] = {}
    for name, path in SCREENS:
        page.goto(f"{console_url}{path}")
        urls[name] = page.url
        check(name)
    for source, selector, name in FOLLOW:
        if source not in urls:
            continue
        page.goto(urls[source])
        link = page.locator(selector).first
        if not link.count():
            continue
        page.goto(link.evaluate("a => a.href"))
        urls[name] = page.url
        check(name)

    # The language switch used from the keyboard alone; Spanish labels are longer, so the lists again.
    page.goto(urls["cardholders"])
    assert tab_reaches(page, ".lang-switch button[lang=es]"), "the Spanish switch is not reachable by Tab"
    page.keyboard.press("Enter")
    page.wait_for_selector("html[lang=es]")
    for name in ("dashboard", "cardholders", "top-ups", "users", "permissions", "audit", "not-found"):
        page.goto(urls[name])
        check(f"es-{name}")

    # The walk must have covered the screens this console has, or the test would pass by seeing nothing.
    expected = {"cardholder-detail", "cardholder-edit", "top-up-detail", "user-detail", "user-edit"}
    expected |= {"permission-editor", "upload-detail", "audit-snapshot"}
    if "process_requests.approve" in views:
        expected.add("top-up-decide")
    assert expected <= set(seen), f"screens not reached: {sorted(expected - set(seen))}"
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize(
    ("path", "value", "label"),
    [
        ("/p/1/cardholders/", "inactive", "Inactive"),
        ("/p/1/users/", "inactive", "Inactive"),
        ("/p/1/top-ups/", "pending", "Pending"),
    ],
    ids=["cardholders", "users", "top-ups"],
)
def test_every_list_filters_by_status_the_moment_a_status_is_chosen(
    page_factory: Callable[..., tuple[Any, PageProblems]],
    console_url: str,
    sandbox: SandboxHandle,
    path: str,
    value: str,
    label: str,
) -> None:
    """Cardholders, users and top-ups: the same labelled status select in the filter bar, applied on change
    (no button to find), with the same badge names in the rows it leaves."""
    page, _ = page_factory(viewport=PHONE)
    email = _admin(sandbox)
    # A user of the partner who is inactive, so that filter has a row to show.
    sandbox.create_user(email=f"off-{email}", password=PASSWORD, partners=[1], status="inactive")
    sign_in_on(page, console_url, sandbox, email, PASSWORD).wait_for_url("**/auth/partners")
    page.goto(f"{console_url}{path}")
    bar = page.locator("form.filter-bar")
    expect(bar).to_have_count(1)
    # The choice alone sends the htmx request: no button to press.
    with page.expect_response(lambda got: path in got.url and got.request.header_value("hx-request")):
        bar.get_by_label("Status", exact=True).select_option(value)
    badges = page.locator("main tbody .badge:not(.badge-info)")
    expect(badges.first).to_have_text(label)
    expect(badges.filter(has_not_text=label)).to_have_count(0)
    expect(page.get_by_label("Status", exact=True)).to_have_value(value)
    shoot(page, f"narrow-filtered-{path.strip('/').replace('/', '-')}")
