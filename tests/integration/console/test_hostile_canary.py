"""Hostile upstream data: records whose every string holds markup and template payloads, created through the
sandbox's API, rendered by every console page and fragment that shows them. None may turn into an element, an
attribute or an evaluated template; each must come back as the literal text the upstream sent."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.integration.console.test_auth_login import csrf_from
from tests.integration.sandbox.test_sandbox_cardholders import FreeCards, cardholder_body
from tests.support import sandbox_login
from tests.support.auth import Auth
from tests.support.sandbox import SandboxHandle

PARTNER = 1
# Breaks out of attributes, opens an element with a handler, an htmx trigger, a Jinja expression and block.
PAYLOAD = "\"'><img src=x onerror=alert(1)><b hx-get=/x hx-trigger=load>{{7*7}}{%raw%}"
PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
CANARY_PERMISSIONS = [
    "cardholders:list",
    "cardholders:detail",
    "cardholders:update",
    "cardholders:otp",
    "cards-admin:detail",
    "users:list",
    "users:detail",
    "users:update",
    "balance-management:list",
    "approvals:list",
    "approvals:detail",
]


def canary(tag: str) -> str:
    """The payload with a marker that finds this record (and only it) again."""
    return f"{tag} {PAYLOAD}"


class Elements(HTMLParser):
    """Every element and attribute of a page, and its text, as a browser's tokenizer would see them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    handle_startendtag = handle_starttag

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def assert_inert(html: str, where: str, *, expect: str | None = None) -> None:
    """No element or attribute came from a canary; `{{7*7}}` was not evaluated; `expect` shows as text."""
    parsed = Elements()
    parsed.feed(html)
    parsed.close()
    for tag, attrs in parsed.tags:
        names = {name for name, _ in attrs}
        values = dict(attrs)
        assert not (tag == "img" and values.get("src") == "x"), f"{where}: canary <img> rendered"
        assert "onerror" not in names, f"{where}: canary handler attribute on <{tag}>"
        assert values.get("hx-get") != "/x", f"{where}: canary hx-get on <{tag}>"
        assert not any(name.startswith(("{{", "{%", "'", '"')) for name in names), f"{where}: <{tag} {names}>"
    visible = "".join(parsed.text)
    in_attributes = [value or "" for _, attrs in parsed.tags for _, value in attrs]
    for place in (visible, *in_attributes):
        assert "load>49" not in place, f"{where}: the template expression was evaluated"
    if expect is not None:
        assert expect in visible or any(expect in value for value in in_attributes), (
            f"{where}: the canary did not come back as literal text"
        )


@dataclass
class Canaries:
    tag: str
    cardholder_id: int
    user_id: int
    request_id: int
    permission_description: str


@pytest.fixture(scope="module")
def canaries(sandbox: SandboxHandle) -> Iterator[Canaries]:
    """One of each hostile record, created through the sandbox's API by throw-away operators."""
    tag = f"cnry{uuid.uuid4().hex[:8]}"
    clerk = sandbox_login.new_operator(
        sandbox,
        f"canary.clerk.{tag}@ops.example",
        {PARTNER: ["cardholders:*", "cards-admin:*", "balance-management:*"]},
    )
    admin = sandbox_login.operator(sandbox, "diego.admin@demo.migo")
    try:
        body = cardholder_body(
            FreeCards(clerk, PARTNER)(),
            name=canary(tag),
            lastName=canary("last"),
            address=canary("addr"),
            email=f"\"'><b/hx-get=/x>{{{{7*7}}}}{tag}@canary.example",
        )
        holder = clerk.http.post(f"/app/partners/{PARTNER}/cardholders", json=body)
        assert holder.status_code == 201, holder.text
        user = sandbox.create_user(
            email=f"canary.user.{tag}@ops.example",
            password="Canary-Pass-2026!",
            name=canary(tag),
            partners=[PARTNER],
            permissions={str(PARTNER): ["cardholders:list"]},
        )
        form = {"requestedAmount": "12.34", "observations": canary(tag), "otp": clerk.elevation_code()}
        request = clerk.http.post(
            f"/app/partners/{PARTNER}/process-request",
            data=form,
            files={"evidence": (f"{PAYLOAD}.pdf", PDF, "application/pdf")},
        )
        assert request.status_code == 201, request.text
        described = canary(tag)
        permission = admin.http.post(
            "/app/permissions",
            json={"permissions": [{"resource": f"canary-{tag}", "action": "view", "description": described}]},
        )
        assert permission.status_code == 201, permission.text
        yield Canaries(
            tag=tag,
            cardholder_id=int(holder.json()["data"]["cardholderId"]),
            user_id=int(user["id"]),
            request_id=int(request.json()["data"]["id"]),
            permission_description=described,
        )
    finally:
        clerk.close()
        admin.close()


CONSOLE = pytest.mark.console(LOGIN_RATE_LIMIT="100 per minute", OTP_RATE_LIMIT="100 per minute")
pytestmark = CONSOLE


@pytest.fixture
def viewer(auth: Auth) -> FlaskClient:
    return auth.sign_in(CANARY_PERMISSIONS, partners=(PARTNER,)).client


def page(client: FlaskClient, url: str, *, htmx: bool = False, status: int = 200, **kwargs: Any) -> str:
    headers = {"HX-Request": "true"} if htmx else {}
    response = client.open(url, headers=headers, follow_redirects=True, **kwargs)
    assert response.status_code == status, (url, response.status_code)
    return response.get_data(as_text=True)


def test_cardholder_pages_show_the_canary_as_text(viewer: FlaskClient, canaries: Canaries) -> None:
    base = f"/p/{PARTNER}/cardholders"
    token = csrf_from(page(viewer, f"{base}/"))
    for htmx in (False, True):
        listed = page(
            viewer, f"{base}/search", method="POST", data={"q": canaries.tag, "csrf_token": token}, htmx=htmx
        )
        assert_inert(listed, f"cardholder search (htmx={htmx})", expect=canary(canaries.tag))
    detail_url = f"{base}/{canaries.cardholder_id}"
    assert_inert(page(viewer, detail_url), "cardholder detail", expect=canary("addr"))
    assert_inert(page(viewer, detail_url, htmx=True), "cardholder detail fragment", expect=canary("last"))
    # Without a code the reveal form is refused: 422, which htmx swaps like a 200 (webapp/htmx.py).
    revealed = page(
        viewer, f"{detail_url}/reveal", method="POST", data={"csrf_token": token}, htmx=True, status=422
    )
    assert_inert(revealed, "cardholder reveal")
    assert_inert(page(viewer, f"{detail_url}/edit"), "cardholder edit", expect=canary(canaries.tag))
    assert_inert(page(viewer, f"{detail_url}/close"), "cardholder close")


def test_cms_user_pages_show_the_canary_as_text(viewer: FlaskClient, canaries: Canaries) -> None:
    base = f"/p/{PARTNER}/users/"
    token = csrf_from(page(viewer, base))
    for htmx in (False, True):
        listed = page(viewer, base, method="POST", data={"q": canaries.tag, "csrf_token": token}, htmx=htmx)
        assert_inert(listed, f"users search (htmx={htmx})", expect=canary(canaries.tag))
    assert_inert(page(viewer, f"{base}{canaries.user_id}"), "user detail", expect=canary(canaries.tag))
    assert_inert(page(viewer, f"{base}{canaries.user_id}/edit"), "user edit", expect=canary(canaries.tag))
    editor = page(viewer, f"/p/{PARTNER}/permissions/users/{canaries.user_id}")
    assert_inert(editor, "permission editor", expect=canary(canaries.tag))


def test_permission_descriptions_show_the_canary_as_text(viewer: FlaskClient, canaries: Canaries) -> None:
    listed = page(viewer, f"/p/{PARTNER}/permissions/")
    assert_inert(listed, "permissions", expect=canaries.permission_description)
    assert_inert(page(viewer, f"/p/{PARTNER}/permissions/", htmx=True), "permissions fragment")


def test_process_request_pages_show_the_canary_as_text(viewer: FlaskClient, canaries: Canaries) -> None:
    base = f"/p/{PARTNER}/top-ups/"
    assert_inert(page(viewer, base), "top-ups list")
    assert_inert(page(viewer, base, htmx=True), "top-ups list fragment")
    detail = page(viewer, f"{base}{canaries.request_id}")
    assert_inert(detail, "top-up detail", expect=canary(canaries.tag))
    assert_inert(page(viewer, f"{base}{canaries.request_id}", htmx=True), "top-up detail fragment")
    assert_inert(page(viewer, f"/p/{PARTNER}/"), "dashboard")


def test_the_checker_catches_a_raw_canary() -> None:
    """The checks above would see a canary that was rendered raw (the test can fail)."""
    raw = f"<p>{PAYLOAD}</p>"
    with pytest.raises(AssertionError, match="canary <img>"):
        assert_inert(raw, "raw page")
    with pytest.raises(AssertionError, match="evaluated"):
        assert_inert("<p>x hx-trigger=load>49</p>", "evaluated page")
    assert_inert(f"<p>{PAYLOAD.replace('<', '&lt;').replace('>', '&gt;')}</p>", "escaped", expect=PAYLOAD)
