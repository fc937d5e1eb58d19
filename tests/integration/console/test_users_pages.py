"""CMS users against the sandbox: list, search, filter, detail, create, edit and status change, each behind
its permission; the helpers at the top are shared by the permissions, audit and partners modules."""

from __future__ import annotations

import re
import uuid

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.support.auth import Auth, Signed, csrf_from
from tests.support.sandbox import SandboxHandle
from webapp.store.audit import recent_events

PARTNER_A = 1
PARTNER_B = 2
USER_ADMIN = ["users:*"]


# -- helpers shared with the other access-control modules -----------------------------------------


# The access modules sign many operators in: room for them under the sign-in limits.
ACCESS_SETTINGS = {"LOGIN_RATE_LIMIT": "200 per minute", "OTP_RATE_LIMIT": "200 per minute"}
pytestmark = pytest.mark.console(**ACCESS_SETTINGS)


def drop_elevation(client: FlaskClient) -> None:
    """Sign-in leaves the upstream token elevated for a few minutes; expiring the access token in the session
    makes the next call refresh it, and a refreshed token is not elevated, so sensitive actions need a
    code."""
    with client.session_transaction() as session:
        tokens = dict(session["tokens"])
        tokens["access_expires_at"] = 0
        tokens["elevated_until"] = 0
        session["tokens"] = tokens


def elevation_code(client: FlaskClient, sandbox: SandboxHandle, email: str) -> str:
    """Press "Send code" (the step-up flow) and read the code from the sandbox mailbox."""
    page = client.get("/partners/")
    token = csrf_from(page.get_data(as_text=True))
    sent = client.post("/step-up/code", headers={"X-CSRFToken": token})
    assert sent.status_code == 200, sent.get_data(as_text=True)
    return sandbox.latest_otp(email)


def form_of(html: str) -> dict[str, str]:
    return {"csrf_token": csrf_from(html)}


def hidden(html: str, name: str) -> str:
    found = re.search(rf'name="{name}"[^>]*value="([^"]*)"', html) or re.search(
        rf'value="([^"]*)"[^>]*name="{name}"', html
    )
    assert found, f"no hidden {name}"
    return found.group(1)


def fresh_email() -> str:
    return f"u-{uuid.uuid4().hex[:12]}@test.migo"


# -- list, search and filter ----------------------------------------------------------------------


def test_list_shows_the_partners_users_with_status(auth: Auth, sandbox: SandboxHandle) -> None:
    op = auth.sign_in({PARTNER_A: ["users:list", "users:detail"]})
    page = op.client.get(f"/p/{PARTNER_A}/users/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Elena Barrios" in html  # a seeded user of partner 1
    assert 'data-testid="users-table"' in html
    assert page.headers["Cache-Control"] == "no-store"
    assert "HX-Request" in page.headers["Vary"]


def test_status_filter_and_sort_are_in_the_url(auth: Auth, sandbox: SandboxHandle) -> None:
    op = auth.sign_in({PARTNER_B: ["users:list"]})
    sandbox.clear_calls()
    html = op.client.get(f"/p/{PARTNER_B}/users/?status=inactive&sort=email&order=desc").get_data(
        as_text=True
    )
    assert "Gabriela Rodas" in html  # the seeded inactive user of partner 2
    assert "Ana Lucía Morales" not in html
    (call,) = sandbox.calls(f"GET /app/partners/{PARTNER_B}/users")
    assert {"status", "sortBy", "sortOrder"} <= set(call["queryKeys"])


def test_search_is_posted_never_in_the_url(auth: Auth, sandbox: SandboxHandle) -> None:
    op = auth.sign_in({PARTNER_A: ["users:list"]})
    html = op.client.get(f"/p/{PARTNER_A}/users/").get_data(as_text=True)
    found = op.client.post(
        f"/p/{PARTNER_A}/users/",
        data={**form_of(html), "q": "elena.dormida@demo.migo"},
        headers={"HX-Request": "true"},
    )
    assert found.status_code == 200
    body = found.get_data(as_text=True)
    assert "Elena Barrios" in body
    assert "Ana Lucía Morales" not in body
    assert "<html" not in body  # htmx gets the fragment only
    assert "elena.dormida" not in (found.request.url or "")


def test_list_needs_users_list(auth: Auth, sandbox: SandboxHandle) -> None:
    op = auth.sign_in({PARTNER_A: ["cardholders:list"]})
    sandbox.clear_calls()
    assert op.client.get(f"/p/{PARTNER_A}/users/").status_code == 403
    assert sandbox.calls(f"GET /app/partners/{PARTNER_A}/users") == []


def test_a_partner_that_is_not_yours_is_refused_before_upstream(
    auth: Auth, sandbox: SandboxHandle
) -> None:
    op = auth.sign_in({PARTNER_A: USER_ADMIN})
    sandbox.clear_calls()
    assert op.client.get(f"/p/{PARTNER_B}/users/").status_code == 403
    assert sandbox.calls(f"GET /app/partners/{PARTNER_B}/users") == []


# -- detail ---------------------------------------------------------------------------------------


def test_detail_shows_partners_permissions_and_last_sign_in(
    auth: Auth, sandbox: SandboxHandle
) -> None:
    target = sandbox.create_user(
        email=fresh_email(),
        password="Target-Pass-2026!",
        name="Tomás Target",
        partners=[PARTNER_A, PARTNER_B],
        permissions={str(PARTNER_A): ["cardholders:list"], str(PARTNER_B): ["approvals:list"]},
        lastLoginAt="2026-01-02T03:04:00Z",
    )
    op = auth.sign_in({PARTNER_A: ["users:list", "users:detail"], PARTNER_B: ["users:detail"]})
    page = op.client.get(f"/p/{PARTNER_A}/users/{target['id']}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Tomás Target" in html
    assert "2026-01-02 03:04" in html
    perms_a = html[html.index(f'data-testid="permissions-{PARTNER_A}"') :]
    assert "cardholders:list" in perms_a.split("</ul>")[0]
    perms_b = html[html.index(f'data-testid="permissions-{PARTNER_B}"') :]
    assert "approvals:list" in perms_b.split("</ul>")[0]


def test_detail_needs_users_detail(auth: Auth) -> None:
    op = auth.sign_in({PARTNER_A: ["users:list"]})
    assert op.client.get(f"/p/{PARTNER_A}/users/1").status_code == 403


def test_a_user_of_another_partner_is_not_found(auth: Auth, sandbox: SandboxHandle) -> None:
    other = sandbox.create_user(email=fresh_email(), password="Other-Pass-2026!", partners=[3])
    op = auth.sign_in({PARTNER_A: ["users:list", "users:detail"]})
    assert op.client.get(f"/p/{PARTNER_A}/users/{other['id']}").status_code == 404


# -- create ---------------------------------------------------------------------------------------


def _create_page(op: Signed) -> str:
    page = op.client.get(f"/p/{PARTNER_A}/users/new")
    assert page.status_code == 200
    return page.get_data(as_text=True)


def test_create_needs_a_fresh_code_then_creates_once(
    auth: Auth, sandbox: SandboxHandle, console: Flask
) -> None:
    op = auth.sign_in({PARTNER_A: USER_ADMIN})
    drop_elevation(op.client)
    html = _create_page(op)
    assert 'data-testid="step-up"' in html
    email = fresh_email()
    form = {
        **form_of(html),
        "submission_key": hidden(html, "submission_key"),
        "name": "Nueva Operadora",
        "email": email,
        "password": "Nueva-Clave-2026",
    }
    sandbox.clear_calls()
    missing = op.client.post(f"/p/{PARTNER_A}/users/new", data=form)
    assert missing.status_code == 422
    assert "This action needs a fresh code" in missing.get_data(as_text=True)
    assert sandbox.calls(f"POST /app/partners/{PARTNER_A}/users") == []
    assert "Nueva-Clave-2026" not in missing.get_data(as_text=True)
    code = elevation_code(op.client, sandbox, op.email)
    created = op.client.post(f"/p/{PARTNER_A}/users/new", data={**form, "otp": code})
    assert created.status_code == 303, created.get_data(as_text=True)
    assert re.search(rf"/p/{PARTNER_A}/users/\d+$", created.headers["Location"])
    again = op.client.post(f"/p/{PARTNER_A}/users/new", data={**form, "otp": code})
    assert again.status_code == 303
    assert again.headers["Location"] == created.headers["Location"]
    assert len(sandbox.calls(f"POST /app/partners/{PARTNER_A}/users")) == 1
    with console.app_context():
        user_id = int(created.headers["Location"].rsplit("/", 1)[1])
        (event,) = recent_events(target=f"cms_user:{user_id}")
        assert event.action == "cms_user_create"
        assert event.outcome == "success"


def test_create_shows_field_errors_and_keeps_the_input(auth: Auth, sandbox: SandboxHandle) -> None:
    op = auth.sign_in({PARTNER_A: USER_ADMIN})
    html = _create_page(op)
    form = {
        **form_of(html),
        "submission_key": hidden(html, "submission_key"),
        "name": "Sin Clave",
        "email": "not-an-email",
        "password": "short",
    }
    answer = op.client.post(f"/p/{PARTNER_A}/users/new", data=form)
    assert answer.status_code == 422
    body = answer.get_data(as_text=True)
    assert "Enter a valid email address." in body
    assert "Between 12 and 128 characters." in body
    assert 'value="Sin Clave"' in body
    assert 'value="short"' not in body


def test_create_with_a_taken_email(auth: Auth, sandbox: SandboxHandle) -> None:
    op = auth.sign_in({PARTNER_A: USER_ADMIN})
    html = _create_page(op)
    form = {
        **form_of(html),
        "submission_key": hidden(html, "submission_key"),
        "name": "Copia",
        "email": "ana.operadora@demo.migo",
        "password": "Otra-Clave-2026",
        "otp": elevation_code(op.client, sandbox, op.email),
    }
    answer = op.client.post(f"/p/{PARTNER_A}/users/new", data=form)
    assert answer.status_code == 422
    assert "A CMS user with this email already exists." in answer.get_data(as_text=True)


def test_create_needs_users_create(auth: Auth) -> None:
    op = auth.sign_in({PARTNER_A: ["users:list", "users:update"]})
    assert op.client.get(f"/p/{PARTNER_A}/users/new").status_code == 403


# -- edit and status ------------------------------------------------------------------------------


def test_edit_sends_only_what_changed(auth: Auth, sandbox: SandboxHandle) -> None:
    target = sandbox.create_user(
        email=fresh_email(), password="Target-Pass-2026!", name="Viejo Nombre", partners=[PARTNER_A]
    )
    op = auth.sign_in({PARTNER_A: USER_ADMIN})
    html = op.client.get(f"/p/{PARTNER_A}/users/{target['id']}/edit").get_data(as_text=True)
    assert 'value="Viejo Nombre"' in html
    sandbox.clear_calls()
    saved = op.client.post(
        f"/p/{PARTNER_A}/users/{target['id']}/edit",
        data={**form_of(html), "name": "Nombre Nuevo", "email": target["email"], "role": "admin"},
    )
    assert saved.status_code == 303
    assert len(sandbox.calls(f"PATCH /app/partners/{PARTNER_A}/users/{target['id']}")) == 1
    detail = op.client.get(f"/p/{PARTNER_A}/users/{target['id']}").get_data(as_text=True)
    assert "Nombre Nuevo" in detail
    assert target["email"] in detail
    assert "Viejo Nombre" not in detail


def test_status_change_asks_for_a_code_and_is_audited(
    auth: Auth, sandbox: SandboxHandle, console: Flask
) -> None:
    target = sandbox.create_user(email=fresh_email(), password="Target-Pass-2026!", partners=[PARTNER_A])
    op = auth.sign_in({PARTNER_A: USER_ADMIN})
    drop_elevation(op.client)
    url = f"/p/{PARTNER_A}/users/{target['id']}/status"
    html = op.client.get(url).get_data(as_text=True)
    assert "will not be able to sign in" in html
    refused = op.client.post(url, data={**form_of(html), "status": "inactive"})
    assert refused.status_code == 422
    code = elevation_code(op.client, sandbox, op.email)
    done = op.client.post(url, data={**form_of(html), "status": "inactive", "otp": code})
    assert done.status_code == 303
    detail = op.client.get(f"/p/{PARTNER_A}/users/{target['id']}").get_data(as_text=True)
    assert "Inactive" in detail
    with console.app_context():
        (event,) = [
            e for e in recent_events(target=f"cms_user:{target['id']}") if e.action == "cms_user_status"
        ]
        assert event.detail == {"before": "active", "after": "inactive"}


def test_nobody_changes_their_own_status(auth: Auth, sandbox: SandboxHandle) -> None:
    op = auth.sign_in({PARTNER_A: USER_ADMIN})
    sandbox.clear_calls()
    assert op.client.get(f"/p/{PARTNER_A}/users/{op.user_id}/status").status_code == 403
    assert sandbox.calls(f"PUT /app/partners/{PARTNER_A}/users/{op.user_id}/status") == []


def test_status_change_needs_its_permission(auth: Auth) -> None:
    op = auth.sign_in({PARTNER_A: ["users:list", "users:detail", "users:update"]})
    assert op.client.get(f"/p/{PARTNER_A}/users/1/status").status_code == 403


def test_a_500_after_create_is_an_unknown_outcome_and_keeps_the_key(
    auth: Auth, clean_faults: SandboxHandle, console: Flask
) -> None:
    """The one rule of webapp/submit_once.py: the CMS may have created the user before failing, so the form
    says to check the list, the key stays claimed (a retry replays it) and the trail says "unknown"."""
    op = auth.sign_in({PARTNER_A: USER_ADMIN})
    html = _create_page(op)
    form = {
        **form_of(html),
        "submission_key": hidden(html, "submission_key"),
        "name": "Quizás Creada",
        "email": fresh_email(),
        "password": "Quizas-Clave-2026",
    }
    if 'data-testid="step-up"' in html:
        form["otp"] = elevation_code(op.client, clean_faults, op.email)
    clean_faults.set_fault(f"POST /app/partners/{PARTNER_A}/users", "status", status=500, times=1)
    answer = op.client.post(f"/p/{PARTNER_A}/users/new", data=form)
    assert answer.status_code == 504
    assert "check the user list before sending again" in answer.get_data(as_text=True)
    assert hidden(answer.get_data(as_text=True), "submission_key") == form["submission_key"]
    with console.app_context():
        outcomes = [e.outcome for e in recent_events(partner_id=PARTNER_A) if e.action == "cms_user_create"]
    assert outcomes[:1] == ["unknown"]
