"""Accessibility: axe-core on every screen the console has; the keyboard alone reaching every control of each
screen (Tab through the whole page), and using the primary actions.

axe is vendored (tests/browser/axe/, version and checksum in its README) and injected into pages opened with
`bypass_csp=True`: the console's CSP rightly refuses a script it did not serve, and only this test needs one.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.browser.conftest import PageProblems, shoot
from tests.support.console import ALL_PERMISSIONS, make_console
from tests.support.sandbox import SandboxHandle

AXE = Path(__file__).resolve().parent / "axe" / "axe.min.js"
AXE_SHA256 = "29348999450cdf2849a8e70b7912fc2da85a849da39c0d0d5394f51d4a9ed95c"
BLOCKING = {"serious", "critical"}
PASSWORD = "Access-Pass-2026!"
EVERYTHING = sorted(ALL_PERMISSIONS)
# Primary actions: the page's main button or header action, never the frame's own controls.
PRIMARY = "main .button-primary:visible, main .page-header-action:visible"


def axe_violations(page: Any) -> list[str]:
    """Serious and critical axe violations of the page as it is now, one line each."""
    page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    found: list[dict[str, Any]] = page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ['violations']})).violations.map(v => ({
            id: v.id, impact: v.impact, help: v.help,
            targets: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))"""
    )
    return [
        f"{v['impact']} {v['id']}: {v['help']} at {v['targets']}" for v in found if v["impact"] in BLOCKING
    ]


def tab_reaches(page: Any, selector: str, limit: int = 120) -> bool:
    """Press Tab from the top of the page until the element matching `selector` has focus."""
    target = page.locator(selector).first
    target.evaluate("el => el.setAttribute('data-a11y-target', '1')")
    page.evaluate("document.activeElement && document.activeElement.blur()")
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement && document.activeElement.hasAttribute('data-a11y-target')"):
            return True
    return False


# What a person can act on. htmx attributes count only on elements a pointer would click (their default
# trigger); a `load` or `every 2s` trigger is the page updating itself, not an action.
_MARK_CONTROLS = """() => {
    const natively = 'a[href], button, input:not([type=hidden]), select, textarea, summary, [tabindex]';
    const candidates = document.querySelectorAll(natively + ', [hx-get], [hx-post]');
    const controls = [];
    candidates.forEach((el) => {
        if (el.tagName === 'FORM' || el.disabled) return;
        if (el.closest('[inert], [hidden], dialog:not([open])')) return;
        // A closed disclosure's content is out of the Tab order until its <summary> (checked) opens it.
        if (el.closest('details:not([open])') && !el.closest('summary')) return;
        const trigger = el.getAttribute('hx-trigger');
        if (!el.matches(natively) && trigger && !/click/.test(trigger)) return;
        const box = el.getBoundingClientRect();
        const style = getComputedStyle(el);
        if ((box.width === 0 && box.height === 0) || style.visibility === 'hidden') return;
        if (el.getAttribute('tabindex') === '-1') return;  // focus moved there by script, not a Tab stop
        // A radio group is one Tab stop: any member counts for the group.
        const key = el.type === 'radio' ? 'radio:' + el.name : 'el:' + controls.length;
        el.setAttribute('data-kb', key);
        controls.push(key + ' ' + el.tagName.toLowerCase() + ' "' + (el.textContent || el.name || el.id || '')
            .trim().replace(/\\s+/g, ' ').slice(0, 40) + '"');
    });
    return controls;
}"""


_FOCUSED = """() => {
    const el = document.activeElement;
    return el && el !== document.body ? el.getAttribute('data-kb') || el.outerHTML.slice(0, 60) : null;
}"""


# Keys of marked controls still on the page and visible when the walk ends: one an htmx swap or a dismissed
# message took away while Tab was walking is not a gap.
_STILL_THERE = """(keys) => keys.filter((key) => {
    const el = document.querySelector('[data-kb="' + key + '"]');
    if (!el) return false;
    const box = el.getBoundingClientRect();
    return !(box.width === 0 && box.height === 0) && getComputedStyle(el).visibility !== 'hidden';
})"""
# Focus inside an embedded document (the browser's PDF viewer showing evidence) walks that viewer's own
# controls, and headless chromium may leave it for its own UI rather than for the page. The walk counts the
# frame as one stop and carries on from just after it, as a person tabbing out of the viewer would.
_PAST_FRAME = """() => {
    const frame = document.activeElement;
    const after = document.createElement('span');
    after.tabIndex = 0;
    after.addEventListener('blur', () => after.remove());
    frame.after(after);
    after.focus();
}"""


def keyboard_gaps(page: Any) -> list[str]:
    """Controls of the page that Tab never reaches: walk the whole Tab order once, from the top."""
    controls: list[str] = page.evaluate(_MARK_CONTROLS)
    wanted = {line.split(" ", 1)[0]: line for line in controls}
    page.evaluate("document.activeElement && document.activeElement.blur()")
    reached: set[str] = set()
    first: str | None = None
    for _ in range(len(controls) + 20):
        page.keyboard.press("Tab")
        key = page.evaluate(_FOCUSED)
        if key is None:
            continue
        if key.startswith("<iframe"):
            page.evaluate(_PAST_FRAME)
            continue
        if key == first:
            break  # round the whole page once
        first = first or key
        reached.add(key)
    missing = [key for key in wanted if key not in reached]
    present: list[str] = page.evaluate(_STILL_THERE, missing) if missing else []
    return [f"not reachable by Tab: {wanted[key]}" for key in present]


def test_axe_is_the_vendored_version() -> None:
    assert hashlib.sha256(AXE.read_bytes()).hexdigest() == AXE_SHA256


def test_every_screen_passes_axe_and_works_by_keyboard(
    page_factory: Callable[..., tuple[Any, PageProblems]],
    console_url: str,
    sandbox: SandboxHandle,
    tmp_path: Path,
) -> None:
    views = make_console(sandbox, tmp_path).view_functions  # only the screens the console has today
    email = f"a11y-{uuid.uuid4().hex[:10]}@test.migo"
    sandbox.create_user(
        email=email,
        password=PASSWORD,
        name="Lucía Pérez",
        partners=[1, 2],
        permissions={"1": EVERYTHING, "2": EVERYTHING},
        isAdmin=True,
    )
    page, _ = page_factory(bypass_csp=True)
    failures: list[str] = []

    def check(name: str) -> None:
        """axe in both themes: the light one, then the dark one the system setting selects."""
        for scheme in ("light", "dark"):
            page.emulate_media(color_scheme=scheme)
            failures.extend(f"{name} ({scheme}): {problem}" for problem in axe_violations(page))
            shoot(page, f"a11y-{name}" if scheme == "light" else f"a11y-{name}-dark")
        page.emulate_media(color_scheme="light")

    # Sign-in and code screens, by keyboard only: Tab into each field, Enter submits.
    page.goto(f"{console_url}/auth/login")
    check("sign-in")
    assert tab_reaches(page, "#email, input[name=email]"), "sign-in: email field not reachable by Tab"
    page.keyboard.type(email)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/auth/otp")
    check("code")
    assert tab_reaches(page, "input[name=otp]"), "code: field not reachable by Tab"
    page.keyboard.type(sandbox.latest_otp(email))
    page.keyboard.press("Enter")
    page.wait_for_url("**/auth/partners")
    check("partner-picker")

    screens: list[tuple[str, str, str]] = [
        ("dashboard", "dashboard.partner_dashboard", "/p/1/"),
        ("cardholders", "cardholders.index", "/p/1/cardholders/"),
        ("cardholder-new", "cardholders.create", "/p/1/cardholders/new"),
        ("top-ups", "process_requests.index", "/p/1/top-ups/"),
        ("top-up-new", "process_requests.create", "/p/1/top-ups/new"),
        ("uploads", "uploads.index", "/p/1/uploads/"),
        ("upload-new", "uploads.new", "/p/1/uploads/new"),
        ("users", "users.index", "/p/1/users/"),
        ("user-new", "users.create", "/p/1/users/new"),
        ("permissions", "permissions.index", "/p/1/permissions/"),
        ("audit", "audit.index", "/p/1/audit/"),
        ("activity", "activity.index", "/p/1/activity/"),
        ("saved-views", "saved_views.index", "/p/1/views/"),
        ("partners", "partners.index", "/partners/"),
    ]
    for name, endpoint, path in screens:
        if endpoint not in views:
            continue
        page.goto(f"{console_url}{path}")
        check(name)
        failures.extend(f"{name}: {gap}" for gap in keyboard_gaps(page))
        if page.locator(PRIMARY).count() and not tab_reaches(page, PRIMARY):
            failures.append(f"{name}: primary action not reachable by Tab")
        # Detail screens: the first row's link, followed by keyboard.
        row_link = {
            "cardholders": "main tbody a[href*='/cardholders/']",
            "top-ups": "main tbody a[href*='/top-ups/']",
            "users": "main tbody a[href*='/users/']",
        }.get(name)
        if row_link and page.locator(row_link).count():
            assert tab_reaches(page, row_link), f"{name}: first row not reachable by Tab"
            page.keyboard.press("Enter")
            page.wait_for_url(re.compile(r".*/\d+$"))
            check(f"{name}-detail")
            failures.extend(f"{name}-detail: {gap}" for gap in keyboard_gaps(page))

    # A primary action used from the keyboard alone: the list's "new" action opens its form.
    if "process_requests.create" in views:
        page.goto(f"{console_url}/p/1/top-ups/")
        new_action = "main a[href$='/top-ups/new']"
        if page.locator(new_action).count():
            assert tab_reaches(page, new_action)
            page.keyboard.press("Enter")
            page.wait_for_url("**/top-ups/new")

    assert not failures, "\n".join(failures)


def test_sign_in_for_a_spanish_browser_passes_axe(
    page_factory: Callable[..., tuple[Any, PageProblems]], console_url: str
) -> None:
    for scheme in ("light", "dark"):
        page, _ = page_factory(bypass_csp=True, locale="es-GT", color_scheme=scheme)
        page.goto(f"{console_url}/auth/login")
        assert axe_violations(page) == [], scheme
