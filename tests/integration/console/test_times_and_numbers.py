"""Times shown in the configured zone with the zone named, numbers and money as the chosen locale writes
them: real pages over HTTP against the sandbox, in English and Spanish."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.integration.console.test_users_pages import ACCESS_SETTINGS, fresh_email
from tests.support.auth import Auth
from tests.support.console import make_console
from tests.support.sandbox import SandboxHandle

PARTNER_A = 1
NNBSP = "\u202f"  # CLDR puts a narrow no-break space before AM/PM


def _console(sandbox: SandboxHandle, tmp_path: Path, **overrides: object) -> Auth:
    """Sign-ins to a console whose settings change after it started (read on each request)."""
    console = make_console(sandbox, tmp_path, **ACCESS_SETTINGS)
    console.config.update(overrides)
    return Auth(console, sandbox)


def _user_page(sign: Auth, sandbox: SandboxHandle, lang: str = "en") -> str:
    target = sandbox.create_user(
        email=fresh_email(),
        password="Target-Pass-2026!",
        name="Zoe Zone",
        partners=[PARTNER_A],
        permissions={str(PARTNER_A): ["cardholders:list"]},
        lastLoginAt="2026-01-02T03:04:00Z",
    )
    op = sign.sign_in({PARTNER_A: ["users:list", "users:detail"]})
    with op.client.session_transaction() as session:
        session["lang"] = lang
    page = op.client.get(f"/p/{PARTNER_A}/users/{target['id']}")
    assert page.status_code == 200
    return page.get_data(as_text=True)


def _last_sign_in(html: str) -> str:
    found = re.search(r'data-testid="last-sign-in">(.*?)</dd>', html, re.S)
    assert found, "the last sign-in cell is missing"
    return found.group(1)


def test_a_utc_time_is_shown_in_guatemala_with_its_offset(sandbox: SandboxHandle, tmp_path: Path) -> None:
    cell = _last_sign_in(_user_page(_console(sandbox, tmp_path), sandbox))
    # 03:04 UTC on 2 January is 21:04 on 1 January in Guatemala (UTC-6, no daylight saving).
    assert f"Jan 1, 2026, 9:04{NNBSP}PM GMT-6" in cell
    assert 'datetime="2026-01-02T03:04:00+00:00"' in cell
    assert 'title="2026-01-02 03:04:00 UTC"' in cell


def test_the_zone_is_a_setting_and_is_named_on_the_page(sandbox: SandboxHandle, tmp_path: Path) -> None:
    html = _user_page(_console(sandbox, tmp_path, BABEL_DEFAULT_TIMEZONE="Asia/Kolkata"), sandbox)
    assert f"Jan 2, 2026, 8:34{NNBSP}AM GMT+5:30" in _last_sign_in(html)
    assert "Asia/Kolkata (GMT+5:30)" in html


def test_spanish_dates_follow_the_spanish_locale(sandbox: SandboxHandle, tmp_path: Path) -> None:
    guatemala = _last_sign_in(_user_page(_console(sandbox, tmp_path), sandbox, lang="es"))
    assert "1/01/2026" in guatemala
    assert "GMT-6" in guatemala
    spain = _last_sign_in(_user_page(_console(sandbox, tmp_path, SPANISH_LOCALE="es_ES"), sandbox, lang="es"))
    assert "1 ene 2026, 21:04 GMT-6" in spain


@pytest.mark.parametrize(
    ("locale", "lang", "shown"),
    [("es_GT", "en", "250,000.00"), ("es_GT", "es", "250,000.00"), ("es_ES", "es", "250.000,00")],
)
def test_a_balance_reads_the_same_on_every_screen_of_a_language(
    sandbox: SandboxHandle, tmp_path: Path, locale: str, lang: str, shown: str
) -> None:
    """The dashboard, the partner page and the top-up form show one partner's balance with one style of
    separators (the Spanish UI once showed 250,000.00 on one and 250.000,00 on another)."""
    sign = _console(sandbox, tmp_path, SPANISH_LOCALE=locale)
    op = sign.sign_in({PARTNER_A: ["balance-management:list", "balance-management:create"]})
    with op.client.session_transaction() as session:
        session["lang"] = lang
    figures: dict[str, set[str]] = {}
    for path in (f"/p/{PARTNER_A}/", f"/p/{PARTNER_A}/partner", f"/p/{PARTNER_A}/top-ups/new"):
        page = op.client.get(path)
        assert page.status_code == 200, path
        html = page.get_data(as_text=True)
        figures[path] = set(re.findall(r"\d{1,3}(?:[.,]\d{3})+[.,]\d{2}", html))
    shown_anywhere = set().union(*figures.values())
    assert shown_anywhere, "no balance figure was shown"
    decimal_mark = shown[-3]
    assert all(f[-3] == decimal_mark for f in shown_anywhere), figures


def test_a_zone_that_does_not_exist_stops_the_console(sandbox: SandboxHandle, tmp_path: Path) -> None:
    from tests.support.console import console_config
    from webapp import create_app
    from webapp.config import ConfigError

    with pytest.raises(ConfigError, match="BABEL_DEFAULT_TIMEZONE"):
        create_app(console_config(sandbox, tmp_path, BABEL_DEFAULT_TIMEZONE="America/Atlantis"))
    with pytest.raises(ConfigError, match="SPANISH_LOCALE"):
        create_app(console_config(sandbox, tmp_path, SPANISH_LOCALE="fr_FR"))
