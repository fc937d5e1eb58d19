"""Deny by default: every route is marked, signed-out requests go to sign-in, partner scope is checked before
any upstream call, permissions are enforced by the gate and mirrored by the navigation."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from flask import Flask, abort
from werkzeug.routing import IntegerConverter

from tests.support import leak_scan
from tests.support.console import make_console, operator_session
from tests.support.sandbox import SandboxHandle
from webapp.access import PUBLIC_ENDPOINTS, access_of, public, requires, signed_in
from webapp.routing import IdConverter
from webapp.upstream import cms


@pytest.fixture(autouse=True)
def _test_routes(app: Flask) -> None:
    @app.route("/p/<int:partner_id>/_probe")
    @requires("cardholders", "list")
    def _probe(partner_id: int) -> str:
        cms().app_status()  # an upstream call the sandbox records
        return f"probe {partner_id}"

    @app.route("/_unmarked")
    def _unmarked() -> str:
        return "should never be served"

    @app.route("/p/<int:partner_id>/_missing")
    @signed_in
    def _missing(partner_id: int) -> str:
        abort(404)  # after the gate: the error page is drawn inside the partner's frame

    @app.route("/_open")
    @public
    def _open() -> str:
        return "open"


def test_every_endpoint_is_marked(sandbox: SandboxHandle, tmp_path: Path) -> None:
    app = make_console(sandbox, tmp_path)  # the real routes only
    unmarked = [
        endpoint
        for endpoint, view in app.view_functions.items()
        if endpoint not in PUBLIC_ENDPOINTS and not endpoint.endswith(".static") and access_of(view) is None
    ]
    assert unmarked == []


def test_every_id_in_a_url_is_an_integer(sandbox: SandboxHandle, tmp_path: Path) -> None:
    app = make_console(sandbox, tmp_path)
    for rule in app.url_map.iter_rules():
        for name, converter in rule._converters.items():
            if name.endswith("_id") and name not in {"batch_id"}:
                assert isinstance(converter, IntegerConverter), f"{rule.rule}: {name}"
            if isinstance(converter, IntegerConverter):  # every one bounded as the contract bounds ids
                assert isinstance(converter, IdConverter), f"{rule.rule}: {name}"
                assert (converter.min, converter.max) == (1, 2**31 - 1), f"{rule.rule}: {name}"


# Past the contract's 2^31-1, past SQLite's 2^63-1, zero, and digits that are not ASCII.
OUT_OF_RANGE_IDS = {
    "2^31": "2147483648",
    "2^63": "9223372036854775808",
    "2^64": "18446744073709551616",
    "5000-digits": "9" * 5000,
    "zero": "0",
    "full-width-1": "\uff11",
    "superscript-2": "\u00b2",
}


@pytest.mark.parametrize("raw", OUT_OF_RANGE_IDS.values(), ids=OUT_OF_RANGE_IDS.keys())
def test_an_id_outside_the_contract_is_a_404_before_the_gate(
    console: Flask, clean_faults: SandboxHandle, caplog: pytest.LogCaptureFixture, raw: str
) -> None:
    """No route matches, so neither the gate (and its audit row) nor the view ever sees such an id."""
    caplog.set_level(logging.INFO)
    client = console.test_client()
    operator_session(client, partners={1: "Banco Quetzal"})
    for url in (f"/p/{raw}/_probe", f"/p/{raw}/", f"/p/1/cardholders/{raw}", f"/p/1/top-ups/{raw}/approve"):
        for htmx in (False, True):
            with leak_scan.urls_typed_by_the_test():  # the digit run in this URL is the test's own
                response = client.get(url, headers={"HX-Request": "true"} if htmx else {})
            assert response.status_code == 404, (url, htmx)
    logged = {getattr(r, "event", None) for r in caplog.records}
    assert not logged & {"authz_denied", "audit_write_failed"}
    assert clean_faults.calls() == []


def test_an_unmarked_endpoint_is_refused(console: Flask, caplog: pytest.LogCaptureFixture) -> None:
    client = console.test_client()
    operator_session(client)
    response = client.get("/_unmarked")
    assert response.status_code == 404
    assert "should never be served" not in response.get_data(as_text=True)
    assert any(getattr(r, "reason", None) == "unmarked_endpoint" for r in caplog.records)


def test_signed_out_requests_go_to_sign_in(console: Flask) -> None:
    adapter = console.url_map.bind("localhost")
    checked = 0
    for rule in console.url_map.iter_rules():
        view = console.view_functions[rule.endpoint]
        access = access_of(view)
        if "GET" not in (rule.methods or ()) or access is None or access.kind == "public":
            continue
        url = adapter.build(rule.endpoint, dict.fromkeys(rule.arguments, 1))
        page = console.test_client().get(url)
        assert page.status_code == 302, url
        assert page.headers["Location"].startswith("/auth/login?next=")
        fragment = console.test_client().get(url, headers={"HX-Request": "true"})
        assert fragment.status_code == 401, url
        assert fragment.headers["HX-Redirect"].startswith("/auth/login")
        checked += 1
    assert checked >= 2  # at least the dashboard and the probe


def test_an_unassigned_partner_is_refused_before_any_upstream_call(
    console: Flask, clean_faults: SandboxHandle, caplog: pytest.LogCaptureFixture
) -> None:
    client = console.test_client()
    operator_session(client, partners={1: "Banco Quetzal"})
    for url in ("/p/2/_probe", "/p/2/"):
        response = client.get(url)
        assert response.status_code == 403, url
        assert "Access denied" in response.get_data(as_text=True)
    assert clean_faults.calls() == []
    denials = [r for r in caplog.records if getattr(r, "event", None) == "authz_denied"]
    assert [getattr(r, "reason", None) for r in denials] == ["partner_not_assigned"] * 2
    assert client.get("/p/1/_probe").get_data(as_text=True) == "probe 1"
    assert clean_faults.calls() != []  # the same route does reach upstream for an assigned partner


def test_a_refusal_stays_a_refusal_when_the_audit_write_fails(
    console: Flask, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The driver refuses the row (sqlite3 raises a bare OverflowError for an int past 64 bits, not a
    SQLAlchemy error): the 403 is still a 403, and the failure is logged with the event."""

    class BrokenStore:
        def session(self) -> object:
            raise OverflowError("Python int too large to convert to SQLite INTEGER")

    monkeypatch.setattr("webapp.store.audit.current_store", BrokenStore)
    client = console.test_client()
    operator_session(client, partners={1: "Banco Quetzal"}, permissions={1: frozenset({"users:list"})})
    assert client.get("/p/2/_probe").status_code == 403
    assert client.get("/p/1/_probe", headers={"HX-Request": "true"}).status_code == 403
    failed = [r for r in caplog.records if getattr(r, "event", None) == "audit_write_failed"]
    assert [getattr(r, "action", None) for r in failed] == ["authz_denied", "authz_denied"]


def test_a_missing_permission_is_refused(console: Flask, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    client = console.test_client()
    operator_session(client, partners={1: "Banco Quetzal"}, permissions={1: frozenset({"users:list"})})
    response = client.get("/p/1/_probe", headers={"HX-Request": "true"})
    assert response.status_code == 403
    assert response.headers["HX-Retarget"] == "#flash"
    assert any(getattr(r, "reason", None) == "permission_missing" for r in caplog.records)


def test_public_routes_need_no_session(console: Flask) -> None:
    assert console.test_client().get("/_open").get_data(as_text=True) == "open"


def test_the_frame_shows_the_operator_and_only_permitted_sections(console: Flask) -> None:
    client = console.test_client()
    operator_session(
        client,
        partners={1: "Banco Quetzal", 2: "Fintech Maya"},
        permissions={1: frozenset({"cardholders:list"}), 2: frozenset()},
    )
    html = client.get("/p/1/_missing").get_data(as_text=True)
    assert "Frame Tester" in html
    assert 'data-testid="env-badge"' in html
    assert "SANDBOX" in html
    assert 'action="/auth/logout"' in html  # sign-out on every signed-in page
    assert 'name="partner_id"' in html
    assert "Fintech Maya" in html
    assert 'id="idle-warning"' in html
    assert 'data-idle-seconds="900"' in html
    assert '<a class="nav-link" href="/p/1/"' in html  # Dashboard: any signed-in operator of the partner
    assert "selected>Banco Quetzal</option>" in html  # the switcher shows the current partner
    for section in ("Users", "Audit", "Permissions"):
        assert f">{section}</a>" not in html  # no users:* permission on partner 1
