"""Hostile form input: every text field of every console form gets the markup/template payload; the page that
comes back (errors and all) must show it as inert text, never as an element, an attribute or an evaluated
template. The payloads are invalid on purpose (too long, not an email, not a code), so nothing is created or
decided upstream."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.integration.console.test_cardholders_detail import drop_elevation
from tests.integration.console.test_hostile_canary import (
    CONSOLE,
    PARTNER,
    PAYLOAD,
    Canaries,
    assert_inert,
    canaries,  # noqa: F401 - fixture
)
from tests.support.auth import Auth

pytestmark = CONSOLE

# Three payloads in a row: longer than any reason or name limit, so forms without a code step fail too.
LONG_PAYLOAD = PAYLOAD * 3
TEXTUAL = {"text", "email", "search", "password", "tel", "url", "number", "date", ""}
FORM_EDITOR = [
    "cardholders:list",
    "cardholders:detail",
    "cardholders:create",
    "cardholders:update",
    "cards-admin:detail",
    "users:list",
    "users:detail",
    "users:create",
    "users:update",
    "balance-management:list",
    "balance-management:create",
    "balance-management:cancel",
    "approvals:list",
    "approvals:detail",
    "approvals:update",
]


@dataclass
class Form:
    action: str
    fields: dict[str, str] = field(default_factory=dict)
    hostile: list[str] = field(default_factory=list)  # the fields that get the payload


class Forms(HTMLParser):
    """The POST forms of a page with their fields; text fields are marked for the payload."""

    def __init__(self, url: str) -> None:
        super().__init__(convert_charrefs=True)
        self.url, self.forms, self._select = url, list[Form](), ""
        self._current: Form | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "form" and values.get("method", "get").lower() == "post":
            self._current = Form(action=values.get("action") or self.url)
            self.forms.append(self._current)
        form, name = self._current, values.get("name", "")
        if form is None or not name:
            if tag == "option" and form is not None and self._select and self._select not in form.fields:
                form.fields[self._select] = values.get("value", "")
            return
        if tag == "input":
            kind = values.get("type", "text").lower()
            if kind in TEXTUAL:
                form.hostile.append(name)
            elif kind == "file" or (kind in {"checkbox", "radio"} and "checked" not in values):
                return
            form.fields.setdefault(name, values.get("value", ""))
        elif tag == "textarea":
            form.hostile.append(name)
        elif tag == "select":
            self._select = name

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._current = None
        elif tag == "select":
            self._select = ""


def hostile_post(client: FlaskClient, url: str, *, htmx: bool, signed_in: bool = True) -> int:
    """Fill every text field of every POST form on `url` with the payload, submit, check the answer."""
    if signed_in:
        # Sensitive forms then ask for a code, which the payload fails: nothing is decided.
        drop_elevation(client)
    parser = Forms(url)
    parser.feed(client.get(url).get_data(as_text=True))
    forms = [form for form in parser.forms if form.hostile]
    for form in forms:
        data = {**form.fields, **dict.fromkeys(form.hostile, LONG_PAYLOAD)}
        answer = client.post(form.action, data=data, headers={"HX-Request": "true"} if htmx else {})
        assert answer.status_code < 500, (url, form.action, answer.status_code)
        assert_inert(answer.get_data(as_text=True), f"{form.action} after a hostile post from {url}")
    return len(forms)


@pytest.fixture
def editor(auth: Auth) -> FlaskClient:
    return auth.sign_in(FORM_EDITOR, partners=(PARTNER,)).client


def test_sign_in_forms_echo_input_safely(console: Flask) -> None:
    client = console.test_client()
    assert hostile_post(client, "/auth/login", htmx=False, signed_in=False) == 1
    assert hostile_post(client, "/auth/login", htmx=True, signed_in=False) == 1


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "fragment"])
def test_every_console_form_echoes_input_safely(
    editor: FlaskClient,
    canaries: Canaries,  # noqa: F811
    htmx: bool,
) -> None:
    holder = f"/p/{PARTNER}/cardholders/{canaries.cardholder_id}"
    request = f"/p/{PARTNER}/top-ups/{canaries.request_id}"
    pages = [
        f"/p/{PARTNER}/cardholders/",
        f"/p/{PARTNER}/cardholders/new",
        f"{holder}/edit",
        f"/p/{PARTNER}/users/",
        f"/p/{PARTNER}/users/new",
        f"/p/{PARTNER}/users/{canaries.user_id}/edit",
        f"/p/{PARTNER}/top-ups/new",
        f"{request}/reject",
        f"{request}/approve",
        f"{request}/cancel",
    ]
    posted = {url: hostile_post(editor, url, htmx=htmx) for url in pages}
    missing = [url for url, count in posted.items() if count == 0]
    # Every one of these pages has at least one free-text field; none found means the walk saw no form.
    assert not missing, missing
