"""The same conventions on every screen, against the sandbox: breadcrumbs that end in the page they name
(never in a bare "/"), a 404 inside a partner that keeps the partner and its section nav, and no invitation
to edit permissions for an operator who cannot edit them."""

from __future__ import annotations

import html as html_lib
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from tests.integration.console.test_uploads_flow import PARTNER as UPLOAD_PARTNER
from tests.integration.console.test_uploads_flow import csv_file, free_cards, person, post_file, upload_id_of
from tests.integration.console.test_users_pages import ACCESS_SETTINGS
from tests.support.auth import Auth
from tests.support.console import ALL_PERMISSIONS, make_console, operator_session
from tests.support.sandbox import SandboxHandle

EVERYTHING = sorted(ALL_PERMISSIONS)
_CRUMBS = re.compile(r'<nav class="[^"]*" aria-label="Breadcrumb">(.*?)</nav>', re.S)
_LINK = re.compile(r'href="(/p/\d+/[^"?#]*)"')
_TAG = re.compile(r"<[^>]+>")
# Downloads and streams are not screens.
_NOT_SCREENS = re.compile(r"export|download|evidence|report|/events|\.csv$|\.xlsx$|/progress")
START = ["/p/1/cardholders/", "/p/1/top-ups/?status=pending", "/p/1/top-ups/", "/p/1/users/", "/p/1/audit/"]


pytestmark = pytest.mark.console(**ACCESS_SETTINGS)


def crumbs_of(page: str) -> str | None:
    found = _CRUMBS.search(page)
    if found is None:
        return None
    return " ".join(html_lib.unescape(_TAG.sub(" ", found.group(1))).split())


def _shape(path: str) -> str:
    head, _, rest = path.removeprefix("/p/").partition("/")
    return f"/p/{head}/" + re.sub(r"\d+", "#", rest)


def screens(client: FlaskClient, start: list[str], limit: int = 80) -> Iterator[tuple[str, str]]:
    """(path, HTML) of every screen reachable from `start` by following links, breadth first; one link of each
    shape (`/p/1/cardholders/<id>` once, not for every row)."""
    queue, seen = list(start), {_shape(path) for path in start}
    while queue and limit:
        path = queue.pop(0)
        answer = client.get(path)
        if answer.status_code != 200 or answer.mimetype != "text/html":
            continue
        limit -= 1
        page = answer.get_data(as_text=True)
        yield path, page
        for link in _LINK.findall(page):
            if _shape(link) not in seen and not _NOT_SCREENS.search(link):
                seen.add(_shape(link))
                queue.append(link)


def test_no_breadcrumb_ends_in_a_slash(auth: Auth, sandbox: SandboxHandle) -> None:
    op = auth.sign_in({1: EVERYTHING, UPLOAD_PARTNER: EVERYTHING})
    rows = [person(i, card) for i, card in enumerate(free_cards(sandbox, 2))]
    upload_id = upload_id_of(post_file(op.client, csv_file(rows)))
    trails: dict[str, str] = {}
    for path, page in screens(op.client, [*START, f"/p/{UPLOAD_PARTNER}/uploads/"]):
        trail = crumbs_of(page)
        if trail is not None:
            trails[path] = trail
    uploads = f"/p/{UPLOAD_PARTNER}/uploads"
    wanted = {"/p/1/top-ups/new", f"{uploads}/new", f"{uploads}/{upload_id}"}
    assert wanted <= set(trails), sorted(trails)
    assert any(re.fullmatch(r"/p/1/top-ups/\d+", path) for path in trails), sorted(trails)
    assert any(path.endswith("/approve") for path in trails), sorted(trails)
    assert any(re.fullmatch(r"/p/1/cardholders/\d+", path) for path in trails), sorted(trails)
    bad = {path: trail for path, trail in trails.items() if trail.endswith("/") or not trail}
    assert not bad, bad
    # The last crumb names the page it stands for.
    assert trails["/p/1/top-ups/new"] == "Top-up requests / New top-up request"
    assert trails[f"{uploads}/{upload_id}"] == f"Bulk uploads / #{upload_id}"


def test_a_404_inside_a_partner_keeps_the_partner_and_its_sections(
    sandbox: SandboxHandle, tmp_path: Path
) -> None:
    client = make_console(sandbox, tmp_path).test_client()
    operator_session(client, partners={1: "Banco Quetzal", 2: "Cooperativa Maya"})

    lost = client.get("/p/1/cardholderz/12")
    page = lost.get_data(as_text=True)
    assert lost.status_code == 404
    assert 'data-testid="error-panel"' in page
    assert 'class="sidenav"' in page
    assert 'href="/p/1/cardholders/"' in page
    assert re.search(r'<option value="1"\s+selected>Banco Quetzal</option>', page), "partner switch lost"

    # A partner the operator is not assigned: still a 404, and nothing about that partner.
    elsewhere = client.get("/p/7/cardholderz/12")
    assert elsewhere.status_code == 404
    assert 'class="sidenav"' not in elsewhere.get_data(as_text=True)
    assert 'href="/p/7/' not in elsewhere.get_data(as_text=True)


def test_only_an_operator_who_can_edit_is_told_to_choose_a_user_to_edit(auth: Auth) -> None:
    invitation = "Choose a user to edit their permissions."
    auditor = auth.sign_in({1: ["users:list", "users:detail"]})
    page = auditor.client.get("/p/1/permissions/")
    assert page.status_code == 200
    assert invitation not in page.get_data(as_text=True)

    editor = auth.sign_in({1: ["users:list", "users:detail", "users:update"]})
    page = editor.client.get("/p/1/permissions/")
    assert page.status_code == 200
    assert invitation in page.get_data(as_text=True)


_FILTER_BAR = re.compile(r'<form[^>]*class="filter-bar[^"]*"[^>]*>(.*?)</form>', re.S)
_STATUS_SELECT = re.compile(
    r'<label class="field-label" for="([^"]+)">Status</label>\s*<select[^>]*id="\1"[^>]*>(.*?)</select>', re.S
)
_OPTION = re.compile(r"<option[^>]*>([^<]*)</option>")
_BADGE = re.compile(r'<span class="badge badge-(\w+)">([^<]+)</span>')


def test_every_filtered_list_has_the_same_filter_bar_and_status_names(auth: Auth) -> None:
    op = auth.sign_in({1: EVERYTHING})
    filters: dict[str, list[str]] = {}
    badges: dict[str, set[tuple[str, str]]] = {}
    for name, path in (
        ("cardholders", "/p/1/cardholders/"),
        ("users", "/p/1/users/"),
        ("top-ups", "/p/1/top-ups/"),
    ):
        page = op.client.get(path).get_data(as_text=True)
        bar = _FILTER_BAR.search(page)
        assert bar, f"{name}: no filter bar"
        status = _STATUS_SELECT.search(bar.group(1))
        assert status, f"{name}: no labelled status filter in the bar"
        filters[name] = _OPTION.findall(status.group(2))
        badges[name] = set(_BADGE.findall(page))
    # The same first choice everywhere, and the same names for the same statuses.
    assert {options[0] for options in filters.values()} == {"All"}, filters
    assert filters["users"] == ["All", "Active", "Inactive"]
    assert filters["cardholders"][:3] == ["All", "Active", "Inactive"], filters["cardholders"]
    # An active cardholder and an active user wear the same badge.
    assert ("ok", "Active") in badges["cardholders"] & badges["users"], badges
    assert not {label for _, label in badges["cardholders"] | badges["top-ups"]} & {"active", "closed"}
    # A cardholder's page: its own status and its cards' statuses read the same way as the lists.
    first = re.search(
        r'href="(/p/1/cardholders/\d+)"', op.client.get("/p/1/cardholders/").get_data(as_text=True)
    )
    assert first
    detail = set(_BADGE.findall(op.client.get(first.group(1)).get_data(as_text=True)))
    assert detail
    assert all(label[:1].isupper() for _, label in detail), detail
