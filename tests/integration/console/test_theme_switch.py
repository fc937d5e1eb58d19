"""`POST /theme`: the chosen theme is kept in the session and set on <html>; anything else is refused."""

from __future__ import annotations

import pytest
from flask import Flask

from tests.integration.console.test_shell_csrf import csrf_token


def test_a_chosen_theme_is_kept_and_system_forgets_it(console: Flask) -> None:
    client = console.test_client()
    assert "data-theme" not in client.get("/auth/login").get_data(as_text=True)
    token = csrf_token(client)
    chosen = client.post("/theme", data={"theme": "dark", "next": "/auth/login", "csrf_token": token})
    assert chosen.status_code == 303
    assert chosen.headers["Location"].endswith("/auth/login")
    assert '<html lang="en" data-theme="dark">' in client.get("/auth/login").get_data(as_text=True)
    client.post("/theme", data={"theme": "system", "csrf_token": token})
    with client.session_transaction() as session:
        assert "theme" not in session
    assert "data-theme" not in client.get("/auth/login").get_data(as_text=True)


@pytest.mark.parametrize("theme", ["", "blue", 'dark" onload="x', "DARK"])
def test_an_unknown_theme_is_refused(console: Flask, theme: str) -> None:
    client = console.test_client()
    token = csrf_token(client)
    assert client.post("/theme", data={"theme": theme, "csrf_token": token}).status_code == 400
    with client.session_transaction() as session:
        assert "theme" not in session


def test_next_cannot_leave_the_site(console: Flask) -> None:
    client = console.test_client()
    answer = client.post(
        "/theme", data={"theme": "light", "next": "//evil.example/x", "csrf_token": csrf_token(client)}
    )
    assert answer.status_code == 303
    assert answer.headers["Location"] in ("/", "http://localhost/")
