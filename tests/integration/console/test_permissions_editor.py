"""The permission editor and the modules browser against the sandbox: preview as a diff, reason and fresh code
to save, audit trail with before and after, self-edit and escalation refused before any upstream call, the
upstream's own refusals worded clearly, "same as" copying, and the administrators-only create form."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from flask import Flask

from tests.integration.console.test_users_pages import (
    ACCESS_SETTINGS,
    PARTNER_A,
    drop_elevation,
    elevation_code,
    form_of,
    fresh_email,
    hidden,
)
from tests.support.auth import Auth, Signed
from tests.support.sandbox import SandboxHandle
from tests.support.sandbox_login import operator as api_operator
from webapp.store.audit import recent_events

EDITOR_ADMIN = ["users:*", "cardholders:list", "cardholders:detail", "cards-admin:detail", "approvals:list"]
_BOX = re.compile(r'<input type="checkbox" name="perm" value="(\d+)" data-testid="perm-([^"]+)"([^>]*)>')


pytestmark = pytest.mark.console(**ACCESS_SETTINGS)


@dataclass(frozen=True)
class Box:
    id: int
    checked: bool
    locked: bool


def grid(html: str) -> dict[str, Box]:
    return {
        key: Box(int(pid), "checked" in rest, "disabled" in rest) for pid, key, rest in _BOX.findall(html)
    }


def wanted(html: str, *, add: tuple[str, ...] = (), remove: tuple[str, ...] = ()) -> list[str]:
    """The `perm` values a browser would send after ticking `add` and unticking `remove`."""
    out = []
    for key, box in grid(html).items():
        on = (box.checked or key in add) and key not in remove
        if on:
            out.append(str(box.id))
    return out


def _target(sandbox: SandboxHandle, perms: list[str]) -> dict[str, object]:
    return sandbox.create_user(
        email=fresh_email(),
        password="Target-Pass-2026!",
        name="Paula Destino",
        partners=[PARTNER_A],
        permissions={str(PARTNER_A): perms},
    )


def _editor(op: Signed, user_id: object) -> str:
    page = op.client.get(f"/p/{PARTNER_A}/permissions/users/{user_id}")
    assert page.status_code == 200, page.status_code
    return page.get_data(as_text=True)


def test_preview_then_save_with_reason_and_code(
    auth: Auth,
    sandbox: SandboxHandle,
    console: Flask,
) -> None:
    target = _target(sandbox, ["cardholders:list", "approvals:list"])
    op = auth.sign_in({PARTNER_A: EDITOR_ADMIN})
    drop_elevation(op.client)
    url = f"/p/{PARTNER_A}/permissions/users/{target['id']}"
    html = _editor(op, target["id"])
    boxes = grid(html)
    assert boxes["cardholders:list"].checked
    assert not boxes["cardholders:detail"].checked
    assert boxes["cardholders:otp"].locked  # the editor does not hold it
    perms = wanted(html, add=("cardholders:detail",), remove=("approvals:list",))
    sandbox.clear_calls()
    preview = op.client.post(url, data={**form_of(html), "perm": perms, "step": "preview"})
    assert preview.status_code == 200
    body = preview.get_data(as_text=True)
    granted = body[body.index('data-testid="diff-granted"') :].split("</ul>")[0]
    revoked = body[body.index('data-testid="diff-revoked"') :].split("</ul>")[0]
    assert "cardholders:detail" in granted
    assert "approvals:list" not in granted
    assert "approvals:list" in revoked
    assert sandbox.calls(f"POST /app/users/{target['id']}/permissions") == []
    previewed = hidden(body, "previewed")
    base = {**form_of(body), "perm": perms, "step": "save", "previewed": previewed}

    no_reason = op.client.post(url, data={**base, "reason": ""})
    assert no_reason.status_code == 422
    assert "Say why these permissions change." in no_reason.get_data(as_text=True)
    no_code = op.client.post(url, data={**base, "reason": "Moves to the approvals team"})
    assert no_code.status_code == 422
    assert "This action needs a fresh code" in no_code.get_data(as_text=True)
    assert sandbox.calls(f"POST /app/users/{target['id']}/permissions") == []

    code = elevation_code(op.client, sandbox, op.email)
    saved = op.client.post(url, data={**base, "reason": "Moves to the approvals team", "otp": code})
    assert saved.status_code == 303, saved.get_data(as_text=True)
    assert len(sandbox.calls(f"POST /app/users/{target['id']}/permissions")) == 1
    assert len(sandbox.calls(f"POST /app/users/{target['id']}/permissions/revoke")) == 1
    after = grid(_editor(op, target["id"]))
    assert after["cardholders:detail"].checked
    assert not after["approvals:list"].checked
    with console.app_context():
        (event,) = [e for e in recent_events(target=f"cms_user:{target['id']}") if e.outcome == "success"]
    assert event.action == "permissions_change"
    assert event.detail is not None
    assert event.detail["before"] == ["approvals:list", "cardholders:list"]
    assert event.detail["after"] == ["cardholders:detail", "cardholders:list"]
    assert event.detail["granted"] == ["cardholders:detail"]
    assert event.detail["revoked"] == ["approvals:list"]
    assert event.detail["reason"] == "Moves to the approvals team"


def test_a_grid_changed_after_the_preview_is_previewed_again(
    auth: Auth, sandbox: SandboxHandle
) -> None:
    target = _target(sandbox, ["cardholders:list"])
    op = auth.sign_in({PARTNER_A: EDITOR_ADMIN})
    html = _editor(op, target["id"])
    url = f"/p/{PARTNER_A}/permissions/users/{target['id']}"
    preview = op.client.post(
        url, data={**form_of(html), "perm": wanted(html, add=("cardholders:detail",)), "step": "preview"}
    )
    previewed = hidden(preview.get_data(as_text=True), "previewed")
    sandbox.clear_calls()
    changed = op.client.post(
        url,
        data={
            **form_of(html),
            "perm": wanted(html, add=("approvals:list",)),
            "step": "save",
            "previewed": previewed,
            "reason": "x",
        },
    )
    assert changed.status_code == 200
    assert 'data-testid="diff"' in changed.get_data(as_text=True)
    assert sandbox.calls(f"POST /app/users/{target['id']}/permissions") == []


def test_own_permissions_cannot_be_changed(auth: Auth, sandbox: SandboxHandle) -> None:
    op = auth.sign_in({PARTNER_A: EDITOR_ADMIN})
    html = _editor(op, op.user_id)
    assert 'data-testid="self-edit"' in html
    assert all(box.locked for box in grid(html).values())
    sandbox.clear_calls()
    answer = op.client.post(
        f"/p/{PARTNER_A}/permissions/users/{op.user_id}",
        data={
            **form_of(html),
            "perm": [str(b.id) for b in grid(html).values()],
            "step": "save",
            "reason": "x",
        },
    )
    assert answer.status_code == 403
    assert "You cannot change your own permissions." in answer.get_data(as_text=True)
    assert sandbox.calls(f"POST /app/users/{op.user_id}/permissions") == []


def test_granting_what_you_do_not_hold_is_refused_before_upstream(
    auth: Auth, sandbox: SandboxHandle
) -> None:
    target = _target(sandbox, ["cardholders:list"])
    op = auth.sign_in({PARTNER_A: EDITOR_ADMIN})
    html = _editor(op, target["id"])
    sandbox.clear_calls()
    answer = op.client.post(
        f"/p/{PARTNER_A}/permissions/users/{target['id']}",
        data={**form_of(html), "perm": wanted(html, add=("cardholders:otp",)), "step": "preview"},
    )
    assert answer.status_code == 403
    body = answer.get_data(as_text=True)
    assert "You cannot grant or revoke a permission you do not hold on this partner." in body
    assert "cardholders:otp" in body[body.index('data-testid="refusal"') :].split("</div>")[0]
    assert sandbox.calls(f"POST /app/users/{target['id']}/permissions") == []


def test_the_upstreams_escalation_refusal_is_worded_clearly(
    auth: Auth, sandbox: SandboxHandle
) -> None:
    """The session still lists a permission the upstream has just taken away from the editor: the upstream's
    8023 reaches the page as the same plain sentence."""
    target = _target(sandbox, [])
    op = auth.sign_in({PARTNER_A: EDITOR_ADMIN})
    html = _editor(op, target["id"])
    url = f"/p/{PARTNER_A}/permissions/users/{target['id']}"
    preview = op.client.post(
        url, data={**form_of(html), "perm": wanted(html, add=("approvals:list",)), "step": "preview"}
    )
    body = preview.get_data(as_text=True)
    admin = api_operator(sandbox, "diego.admin@demo.migo")
    try:
        approvals_list = grid(html)["approvals:list"].id
        revoked = admin.http.post(
            f"/app/users/{op.user_id}/permissions/revoke",
            json={"permissions": [{"permissionId": approvals_list, "partnerId": PARTNER_A}]},
        )
        assert revoked.status_code == 200, revoked.text
    finally:
        admin.close()
    answer = op.client.post(
        url,
        data={
            **form_of(body),
            "perm": wanted(html, add=("approvals:list",)),
            "step": "save",
            "previewed": hidden(body, "previewed"),
            "reason": "x",
            "otp": elevation_code(op.client, sandbox, op.email),
        },
    )
    assert answer.status_code == 403
    assert "You cannot grant or revoke a permission you do not hold on this partner." in answer.get_data(
        as_text=True
    )


def test_same_as_copies_another_users_permissions_for_review(
    auth: Auth, sandbox: SandboxHandle
) -> None:
    model = _target(sandbox, ["cardholders:list", "cardholders:detail", "approvals:list"])
    newcomer = _target(sandbox, [])
    op = auth.sign_in({PARTNER_A: EDITOR_ADMIN})
    sandbox.clear_calls()
    page = op.client.get(f"/p/{PARTNER_A}/permissions/users/{newcomer['id']}?same_as={model['id']}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'data-testid="same-as-note"' in html
    boxes = grid(html)
    assert boxes["cardholders:detail"].checked
    assert boxes["approvals:list"].checked
    granted = html[html.index('data-testid="diff-granted"') :].split("</ul>")[0]
    assert "cardholders:list" in granted
    assert "approvals:list" in granted
    assert sandbox.calls(f"POST /app/users/{newcomer['id']}/permissions") == []


def test_editor_needs_users_update(auth: Auth, sandbox: SandboxHandle) -> None:
    target = _target(sandbox, [])
    op = auth.sign_in({PARTNER_A: ["users:list", "users:detail"]})
    assert op.client.get(f"/p/{PARTNER_A}/permissions/users/{target['id']}").status_code == 403


# -- modules and the create form ------------------------------------------------------------------


def test_modules_are_browsable_with_sensitive_marks(auth: Auth) -> None:
    op = auth.sign_in({PARTNER_A: ["users:detail"]})
    page = op.client.get(f"/p/{PARTNER_A}/permissions/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'data-testid="module-cards"' in html
    assert "cards-admin:addFunds" in html
    assert "Money movement" in html
    assert "New permission" not in html  # not an administrator
    assert op.client.get(f"/p/{PARTNER_A}/permissions/new").status_code == 403


def test_an_administrator_creates_a_permission_after_the_warning(
    auth: Auth, sandbox: SandboxHandle
) -> None:
    op = auth.sign_in({PARTNER_A: ["users:detail"]}, isAdmin=True)
    html = op.client.get(f"/p/{PARTNER_A}/permissions/new").get_data(as_text=True)
    assert "Unknown permissions are not enforced." in html
    action = "x" + fresh_email()[2:10]
    unconfirmed = op.client.post(
        f"/p/{PARTNER_A}/permissions/new", data={**form_of(html), "resource": "reports", "action": action}
    )
    assert unconfirmed.status_code == 422
    assert "Confirm that you read the warning." in unconfirmed.get_data(as_text=True)
    created = op.client.post(
        f"/p/{PARTNER_A}/permissions/new",
        data={**form_of(html), "resource": "reports", "action": action, "acknowledge": "y"},
    )
    assert created.status_code == 303
    listing = op.client.get(f"/p/{PARTNER_A}/permissions/").get_data(as_text=True)
    assert f"reports:{action}" in listing
    again = op.client.post(
        f"/p/{PARTNER_A}/permissions/new",
        data={**form_of(html), "resource": "reports", "action": action, "acknowledge": "y"},
    )
    assert again.status_code == 422
    assert "already exists" in again.get_data(as_text=True)
