"""Sandbox operators over real HTTP: tenancy, permissions, CMS-user management, grants, OTP step-up,
idempotency, partners and the module catalog."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest

from tests.support.sandbox import DEMO_PASSWORD, SandboxHandle
from tests.support.sandbox_login import Operator, new_operator, operator

ADMIN = "diego.admin@demo.migo"


def code_of(resp: httpx.Response) -> str:
    body = resp.json()
    assert body["success"] is False, body
    return str(body["errors"][0]["code"])


def unique_email(label: str) -> str:
    return f"{label}.{uuid.uuid4().hex[:10]}@test.migo"


def permission_ids(signed_in: Operator) -> dict[str, int]:
    """`"resource:action"` → permissionId, from `GET /app/modules`."""
    modules = signed_in.http.get("/app/modules").json()["data"]
    return {f"{p['resource']}:{p['action']}": p["permissionId"] for m in modules for p in m["permissions"]}


def held(signed_in: Operator, user_id: int, partner_id: int) -> set[str]:
    data = signed_in.http.get(f"/app/users/{user_id}/partners/{partner_id}/permissions").json()["data"]
    return {f"{p['resource']}:{p['action']}" for p in data["permissions"]}


@pytest.fixture(scope="module")
def admin(sandbox: SandboxHandle) -> Iterator[Operator]:
    """Diego, signed in and elevated (the login OTP elevates for five minutes)."""
    signed_in = operator(sandbox, ADMIN)
    yield signed_in
    signed_in.close()


@pytest.fixture(scope="module")
def ana(sandbox: SandboxHandle) -> Iterator[Operator]:
    signed_in = operator(sandbox, "ana.operadora@demo.migo")
    yield signed_in
    signed_in.close()


# -- tenancy, partners, catalog -----------------------------------------------------------------------------


def test_partners_lists_only_the_assigned_ones(ana: Operator) -> None:
    partners = ana.http.get("/app/partners").json()["data"]

    assert [(p["partnerId"], p["name"]) for p in partners] == [(1, "Banco Quetzal"), (2, "Fintech Maya")]
    assert partners[0]["currency"] == "GTQ"
    assert set(partners[0]["branding"]) == {"primaryColor", "logoText"}


@pytest.mark.parametrize("path", ["/app/partners/3", "/app/partners/3/users", "/app/partners/99"])
def test_a_partner_not_assigned_answers_403_8010(ana: Operator, path: str) -> None:
    resp = ana.http.get(path)

    assert (resp.status_code, code_of(resp)) == (403, "8010")


def test_a_missing_permission_answers_403_8011(ana: Operator) -> None:
    resp = ana.http.get("/app/partners/1/users")

    assert (resp.status_code, code_of(resp)) == (403, "8011")


def test_me_tells_the_operator_their_partners_and_otp_flag(ana: Operator) -> None:
    me = ana.http.get("/app/users/me").json()["data"]

    assert me["email"] == "ana.operadora@demo.migo"
    assert me["otpElevation"] is True
    assert me["isAdmin"] is False
    assert [p["partnerId"] for p in me["partners"]] == [1, 2]


def test_modules_carry_the_documented_permission_catalog(ana: Operator) -> None:
    modules = ana.http.get("/app/modules").json()["data"]
    builtin = {
        f"{p['resource']}:{p['action']}" for m in modules if m["key"] != "custom" for p in m["permissions"]
    }

    assert {
        "users:change_status",
        "bulk-create:create",
        "cardholders:otp",
        "cards-admin:balance-account",
    } <= builtin
    assert {"card-movements:revert", "balance-management:cancel", "approvals:update"} <= builtin
    assert len(builtin) == 30  # docs/cms-api.md §3.9: 5 + 1 + 5 + 9 + 3 + 4 + 3


def test_only_an_admin_creates_permissions_and_they_are_not_enforced(ana: Operator, admin: Operator) -> None:
    action = f"custom{uuid.uuid4().hex[:6]}"
    body = {"permissions": [{"resource": "reports", "action": action, "description": "Export reports"}]}

    refused = ana.http.post("/app/permissions", json=body)
    created = admin.http.post("/app/permissions", json=body)
    duplicate = admin.http.post("/app/permissions", json=body)

    assert (refused.status_code, code_of(refused)) == (403, "8011")
    assert created.status_code == 201
    assert created.json()["data"][0]["enforced"] is False
    assert f"reports:{action}" in permission_ids(admin)
    assert code_of(duplicate) == "7000"


# -- reading operators --------------------------------------------------------------------------------------


def test_user_list_pages_filters_and_searches(admin: Operator) -> None:
    first = admin.http.get(
        "/app/partners/1/users", params={"limit": 2, "sortBy": "email", "sortOrder": "asc"}
    )
    inactive = admin.http.get("/app/partners/2/users", params={"status": "inactive"})
    search = admin.http.get("/app/partners/1/users", params={"searchText": "DORMIDA"})

    page = first.json()["data"]
    assert (page["page"], page["limit"], len(page["items"])) == (1, 2, 2)
    assert page["total"] >= 6
    emails = [u["email"] for u in page["items"]]
    assert emails == sorted(emails)
    assert {u["email"] for u in inactive.json()["data"]["items"]} >= {"gabriela.inactiva@demo.migo"}
    assert all(u["status"] == "inactive" for u in inactive.json()["data"]["items"])
    assert [u["email"] for u in search.json()["data"]["items"]] == ["elena.dormida@demo.migo"]
    bad = admin.http.get("/app/partners/1/users", params={"sortBy": "password"})
    assert (bad.status_code, bad.json()["errors"][0]["field"]) == (400, "sortBy")


def test_user_detail_is_scoped_to_the_partner(admin: Operator, sandbox: SandboxHandle) -> None:
    only_on_3 = sandbox.create_user(email=unique_email("p3"), password=DEMO_PASSWORD, partners=[3])

    here = admin.http.get(f"/app/partners/3/users/{only_on_3['id']}")
    elsewhere = admin.http.get(f"/app/partners/1/users/{only_on_3['id']}")

    assert here.json()["data"]["partners"] == [{"partnerId": 3, "name": "Cooperativa Altiplano"}]
    assert (elsewhere.status_code, code_of(elsewhere)) == (404, "7100")


def test_reading_another_operators_permissions_needs_users_detail(ana: Operator, admin: Operator) -> None:
    bruno = admin.http.get("/app/partners/1/users", params={"searchText": "bruno"}).json()["data"]["items"][0]

    own = ana.http.get(f"/app/users/{ana.user_id}/partners/1/permissions")
    other = ana.http.get(f"/app/users/{bruno['id']}/partners/1/permissions")
    by_admin = admin.http.get(f"/app/users/{bruno['id']}/partners/1/permissions")

    assert own.status_code == 200
    assert "cardholders:otp" in {f"{p['resource']}:{p['action']}" for p in own.json()["data"]["permissions"]}
    assert (other.status_code, code_of(other)) == (403, "8011")
    assert "approvals:update" in {
        f"{p['resource']}:{p['action']}" for p in by_admin.json()["data"]["permissions"]
    }


def test_the_permissions_read_answers_what_a_grant_answers_and_404_off_the_partner(
    sandbox: SandboxHandle, admin: Operator
) -> None:
    """The read (#7) is built from the guard's rows, the grant's answer from the ORM: the same items, in the
    same order; a user not on the partner, or no user at all, is 404 7100 either way."""
    target = sandbox.create_user(email=unique_email("read-shape"), password=DEMO_PASSWORD, partners=[1])
    ids = permission_ids(admin)
    wanted = ["users:detail", "cardholders:list", "cardholders:detail"]
    body = {"permissions": [{"permissionId": ids[key], "partnerId": 1} for key in wanted]}
    granted = admin.http.post(
        f"/app/users/{target['id']}/permissions", json={**body, "otp": admin.elevation_code()}
    )

    read = admin.http.get(f"/app/users/{target['id']}/partners/1/permissions")
    off_partner = admin.http.get(f"/app/users/{target['id']}/partners/2/permissions")
    nobody = admin.http.get("/app/users/2147483000/partners/1/permissions")

    assert granted.status_code == 200, granted.text
    assert read.json()["data"] == granted.json()["data"][0]
    items = read.json()["data"]["permissions"]
    assert [p["permissionId"] for p in items] == sorted(ids[key] for key in wanted)
    assert set(items[0]) == {"permissionId", "resource", "action", "description"}
    assert (off_partner.status_code, code_of(off_partner)) == (404, "7100")
    assert (nobody.status_code, code_of(nobody)) == (404, "7100")


# -- managing operators -------------------------------------------------------------------------------------


def test_creating_an_operator_needs_an_otp_and_honours_idempotency(sandbox: SandboxHandle) -> None:
    manager = new_operator(sandbox, unique_email("manager"), {1: ["users:*"]}, elevated=False)
    email = unique_email("newbie")
    body = {"email": email, "name": "Nueva Operadora", "password": "Operadora-2026-x"}
    key = {"Idempotency-Key": uuid.uuid4().hex}

    without = manager.http.post("/app/partners/1/users", json=body, headers=key)
    wrong = manager.http.post("/app/partners/1/users", json={**body, "otp": "12345x"}, headers=key)
    code = manager.elevation_code()
    created = manager.http.post("/app/partners/1/users", json={**body, "otp": code}, headers=key)
    replayed = manager.http.post("/app/partners/1/users", json=body, headers=key)
    conflict = manager.http.post("/app/partners/1/users", json={**body, "name": "Otra"}, headers=key)
    taken = manager.http.post(
        "/app/partners/1/users",
        json={**body, "otp": manager.elevation_code()},
        headers={"Idempotency-Key": "k2"},
    )

    assert (without.status_code, code_of(without)) == (403, "8005")
    assert (wrong.status_code, code_of(wrong)) == (400, "8006")
    assert created.status_code == 201
    user = created.json()["data"]
    assert (user["email"], user["status"], user["otpElevation"]) == (email, "active", True)
    assert replayed.status_code == 201
    assert replayed.headers["Idempotent-Replayed"] == "true"
    assert replayed.json()["data"]["id"] == user["id"]
    assert "Idempotent-Replayed" not in created.headers
    assert (conflict.status_code, code_of(conflict)) == (409, "8022")
    assert (taken.status_code, code_of(taken)) == (409, "8025")
    creations = [c for c in sandbox.calls("POST /app/partners/*/users") if c["status"] == 201]
    assert sum(1 for c in creations if c["idempotencyKey"] == key["Idempotency-Key"]) == 2
    manager.close()


def test_creating_an_operator_validates_every_field(admin: Operator) -> None:
    resp = admin.http.post(
        "/app/partners/1/users", json={"email": "not-an-email", "name": " ", "password": "short"}
    )

    assert resp.status_code == 400
    assert {e["field"] for e in resp.json()["errors"]} == {"email", "name"}


def test_updating_an_operator_changes_name_and_refuses_a_taken_email(
    admin: Operator, sandbox: SandboxHandle
) -> None:
    target = sandbox.create_user(email=unique_email("rename"), password=DEMO_PASSWORD, partners=[1])

    renamed = admin.http.patch(f"/app/partners/1/users/{target['id']}", json={"name": "Nombre Nuevo"})
    taken = admin.http.patch(f"/app/partners/1/users/{target['id']}", json={"email": ADMIN})

    assert renamed.json()["data"]["name"] == "Nombre Nuevo"
    assert (taken.status_code, code_of(taken)) == (409, "8025")


def test_changing_status_needs_an_otp_and_never_applies_to_oneself(sandbox: SandboxHandle) -> None:
    manager = new_operator(sandbox, unique_email("status"), {1: ["users:*"]}, elevated=False)
    target = sandbox.create_user(email=unique_email("target"), password=DEMO_PASSWORD, partners=[1])
    path = f"/app/partners/1/users/{target['id']}/status"

    without = manager.http.put(path, json={"status": "inactive"})
    done = manager.http.put(path, json={"status": "inactive", "otp": manager.elevation_code()})
    own = manager.http.put(f"/app/partners/1/users/{manager.user_id}/status", json={"status": "inactive"})
    invalid = manager.http.put(path, json={"status": "banned"})

    assert code_of(without) == "8005"
    assert done.json()["data"]["status"] == "inactive"
    assert (own.status_code, code_of(own)) == (403, "8024")
    assert (invalid.status_code, invalid.json()["errors"][0]["field"]) == (400, "status")
    manager.close()


def test_an_operator_not_subject_to_elevation_needs_no_otp(sandbox: SandboxHandle) -> None:
    manager = new_operator(
        sandbox, unique_email("noelv"), {1: ["users:*"]}, elevated=False, otp_elevation=False
    )
    target = sandbox.create_user(email=unique_email("target"), password=DEMO_PASSWORD, partners=[1])

    resp = manager.http.put(f"/app/partners/1/users/{target['id']}/status", json={"status": "inactive"})

    assert resp.status_code == 200
    manager.close()


# -- grants -------------------------------------------------------------------------------------------------


def test_grant_and_revoke_with_an_inline_otp(sandbox: SandboxHandle, admin: Operator) -> None:
    granter = new_operator(
        sandbox,
        unique_email("granter"),
        {1: ["users:update", "users:detail", "cardholders:list"]},
        elevated=False,
    )
    target = sandbox.create_user(email=unique_email("grantee"), password=DEMO_PASSWORD, partners=[1])
    ids = permission_ids(admin)
    body = {"permissions": [{"permissionId": ids["cardholders:list"], "partnerId": 1}]}

    without = granter.http.post(f"/app/users/{target['id']}/permissions", json=body)
    granted = granter.http.post(
        f"/app/users/{target['id']}/permissions", json={**body, "otp": granter.elevation_code()}
    )

    assert (without.status_code, code_of(without)) == (403, "8005")
    assert granted.status_code == 200
    assert granted.json()["data"][0]["partnerId"] == 1
    assert held(granter, target["id"], 1) == {"cardholders:list"}
    revoked = granter.http.post(
        f"/app/users/{target['id']}/permissions/revoke", json={**body, "otp": granter.elevation_code()}
    )
    assert revoked.json()["data"][0]["permissions"] == []
    assert held(granter, target["id"], 1) == set()
    granter.close()


def test_granting_what_the_granter_lacks_is_an_escalation(sandbox: SandboxHandle, admin: Operator) -> None:
    granter = new_operator(sandbox, unique_email("escalate"), {1: ["users:update"]})
    target = sandbox.create_user(email=unique_email("t"), password=DEMO_PASSWORD, partners=[1])
    ids = permission_ids(admin)

    resp = granter.http.post(
        f"/app/users/{target['id']}/permissions",
        json={"permissions": [{"permissionId": ids["cards-admin:addFunds"], "partnerId": 1}]},
    )

    assert (resp.status_code, code_of(resp)) == (403, "8023")
    assert held(admin, target["id"], 1) == set()
    granter.close()


def test_grant_rules_on_self_partners_and_permissions(sandbox: SandboxHandle, admin: Operator) -> None:
    granter = new_operator(sandbox, unique_email("rules"), {1: ["users:update"], 2: ["cardholders:list"]})
    target = sandbox.create_user(email=unique_email("t"), password=DEMO_PASSWORD, partners=[1, 2])
    ids = permission_ids(admin)

    def grant(user_id: int, permission: str, partner_id: int) -> httpx.Response:
        body = {"permissions": [{"permissionId": ids[permission], "partnerId": partner_id}]}
        return granter.http.post(f"/app/users/{user_id}/permissions", json=body)

    self_edit = grant(granter.user_id, "users:update", 1)
    no_update_right = grant(target["id"], "cardholders:list", 2)
    not_assigned = grant(target["id"], "users:update", 3)
    unknown_user = grant(999_999, "users:update", 1)
    no_partner = granter.http.post(
        f"/app/users/{target['id']}/permissions",
        json={"permissions": [{"permissionId": ids["users:update"]}]},
    )

    assert (self_edit.status_code, code_of(self_edit)) == (403, "8024")
    assert (no_update_right.status_code, code_of(no_update_right)) == (403, "8011")
    assert (not_assigned.status_code, code_of(not_assigned)) == (403, "8010")
    assert (unknown_user.status_code, code_of(unknown_user)) == (404, "7100")
    assert (no_partner.status_code, code_of(no_partner)) == (400, "7000")
    granter.close()
