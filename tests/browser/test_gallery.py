"""Every screen in both languages and both themes, with a screenshot of each (tests/browser/screenshots/
gallery-<lang>-<theme>-<screen>.png): what a reviewer looks at after a change to the frame, the palette or a
catalog. Each shot is checked to be in the language and the theme it claims, with nothing left untranslated
in the Spanish frame."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.browser.conftest import PageProblems, shoot, sign_in_on
from tests.browser.test_narrow import FOLLOW, PASSWORD, SCREENS, _admin, _history
from tests.support.sandbox import SandboxHandle

EXTRA = [("activity", "/p/1/activity/"), ("saved-views", "/p/1/views/")]
BACKGROUND = {"light": "rgb(247, 247, 248)", "dark": "rgb(18, 20, 24)"}  # --bg in static/css/console.css
# The frame's sign-out button, as each language names it: the frame is translated on every screen.
SIGN_OUT = {"en": "Sign out", "es": "Cerrar sesión"}


def _switch_language(page: Any, lang: str) -> None:
    page.locator(f".lang-switch button[lang={lang}]").click()
    page.wait_for_selector(f"html[lang={lang}]")


def test_every_screen_in_both_languages_and_both_themes(
    page_factory: Callable[..., tuple[Any, PageProblems]],
    console_url: str,
    sandbox: SandboxHandle,
    tmp_path: Path,
) -> None:
    page, _ = page_factory(viewport={"width": 1280, "height": 800})
    sign_in_on(page, console_url, sandbox, _admin(sandbox), PASSWORD).wait_for_url("**/auth/partners")
    _history(page, console_url, sandbox, tmp_path)

    urls = {name: f"{console_url}{path}" for name, path in [*SCREENS, *EXTRA]}
    for source, selector, name in FOLLOW:  # details and forms, found as a person finds them
        page.goto(urls[source])
        link = page.locator(selector).first
        if link.count():
            urls[name] = link.evaluate("a => a.href")

    failures: list[str] = []
    shots = 0
    for lang in ("en", "es"):
        page.goto(urls["dashboard"])
        _switch_language(page, lang)
        for theme in ("light", "dark"):
            page.emulate_media(color_scheme=theme)
            for name, url in urls.items():
                page.goto(url)
                shoot(page, f"gallery-{lang}-{theme}-{name}")
                shots += 1
                where = f"{lang}/{theme}/{name}"
                if page.evaluate("document.documentElement.lang") != lang:
                    failures.append(f"{where}: the page is not in {lang}")
                background = page.evaluate("getComputedStyle(document.body).backgroundColor")
                if background != BACKGROUND[theme]:
                    failures.append(f"{where}: background {background}, not the {theme} theme's")
                if page.get_by_test_id("sign-out").inner_text().strip() != SIGN_OUT[lang]:
                    failures.append(f"{where}: the frame is not in {lang}")
    # Nothing was skipped silently: the followed screens were found, and every combination was shot.
    followed = {"cardholder-detail", "top-up-detail", "user-detail", "upload-detail", "audit-snapshot"}
    assert followed <= set(urls), sorted(followed - set(urls))
    assert shots == 4 * len(urls)
    assert not failures, "\n".join(failures)
