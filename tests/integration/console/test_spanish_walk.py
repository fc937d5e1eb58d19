"""Every screen in Spanish, over real HTTP: no English sentence is left.

A console on a loopback port (tests/support/servers.py) with a fresh operator holding every permission on one
partner. The walk signs in through the Spanish sign-in and code pages, then follows the console's own links
from the dashboard (one page per kind of URL), adds the forms, a form sent empty (its error messages), the
error pages, and reads every text node and every text attribute (title, aria-label, placeholder, alt).

English is found two ways: a text equal to an English message of the catalog whose Spanish differs (so a
label like "Status" left untranslated is caught), and a text holding two or more English function words (so a
sentence the catalog never had is caught too). Data from the CMS (names, emails, codes) is neither.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpx
import pytest
from babel.messages.pofile import read_po

from tests.integration.console.test_auth_login import csrf_from, new_operator
from tests.integration.console.test_uploads_flow import csv_file, free_cards, person
from tests.support import sandbox_login
from tests.support.console import console_config
from tests.support.sandbox import SandboxHandle
from tests.support.servers import LiveServer

PARTNER = 1  # seeded with top-up requests
UPLOADS = 3  # free cards stay free there (as in tests/integration/console/test_uploads_flow.py)
PO = Path(__file__).resolve().parents[3] / "webapp" / "translations" / "es" / "LC_MESSAGES" / "messages.po"
EVERYTHING = [
    "users:*",
    "cardholders:*",
    "cards-admin:*",
    "bulk-create:*",
    "balance-management:*",
    "approvals:*",
]
ENGLISH_WORDS = frozenset(
    [
        "the",
        "and",
        "of",
        "to",
        "is",
        "are",
        "this",
        "that",
        "your",
        "you",
        "with",
        "for",
        "not",
        "was",
        "will",
        "be",
        "has",
        "have",
        "it",
        "its",
        "an",
        "or",
        "by",
        "from",
        "can",
        "cannot",
        "there",
        "here",
        "which",
        "when",
        "what",
        "who",
        "been",
        "were",
        "these",
        "those",
        "into",
        "than",
        "then",
        "please",
        "again",
        "only",
        "must",
        "should",
        "would",
        "could",
        "been",
        "being",
        "their",
        "they",
        "them",
        "our",
        "we",
    ]
)
# Proper nouns, product names and codes that read the same in both languages.
ALLOWED = frozenset(
    {"Migo", "CMS", "Migo Payments", "DPI", "NIT", "PDF", "CSV", "XLSX", "XLS", "ID", "English"}
)
# Pages to add to the crawl: forms, and pages no link on a dashboard leads to.
EXTRA = [
    "/auth/partners",
    f"/p/{PARTNER}/cardholders/new",
    f"/p/{PARTNER}/users/new",
    f"/p/{PARTNER}/uploads/new",
    f"/p/{PARTNER}/top-ups/new",
    f"/p/{PARTNER}/audit/",
    f"/p/{PARTNER}/permissions/",
    f"/p/{PARTNER}/activity/",
    f"/p/{PARTNER}/views/",
    f"/p/{PARTNER}/top-ups/?status=pending&awaiting=me",
    "/no/such/page",
]
SKIP = re.compile(
    r"/auth/logout|/export|/download|/evidence|\.(csv|xlsx|pdf|png|jpe?g|webp)$|/static/|/stream"
)
MAX_PAGES = 80


class _Texts(HTMLParser):
    """Visible text and the attributes a screen reader or a tooltip shows, outside script, style and code."""

    ATTRIBUTES = ("title", "aria-label", "placeholder", "alt")

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self.links: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "code"):
            self._skip += 1
        values = dict(attrs)
        self.texts.extend(v for name in self.ATTRIBUTES if (v := values.get(name)))
        if tag == "a" and values.get("href"):
            self.links.append(values["href"] or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "code") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip and data.strip():
            self.texts.append(" ".join(data.split()))


def read(html: str) -> _Texts:
    parser = _Texts()
    parser.feed(html)
    return parser


@pytest.fixture(scope="module")
def english_messages() -> frozenset[str]:
    """The catalog's English texts whose Spanish differs (a text equal in both proves nothing)."""
    with PO.open("rb") as handle:
        catalog = read_po(handle, locale="es")
    found: set[str] = set()
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for english in ids:
            if "%(" not in english and english not in strings:
                found.add(english)
    return frozenset(found)


def cms_texts(sandbox: SandboxHandle) -> frozenset[str]:
    """The CMS's own permission catalog (module names, descriptions): data the console shows as the CMS
    gives it, read from the sandbox itself so modules other tests add count too."""
    admin = sandbox_login.operator(sandbox, "diego.admin@demo.migo")
    try:
        modules = admin.http.get("/app/modules").json()["data"]
    finally:
        admin.close()
    found: set[str] = set()

    def gather(value: object) -> None:
        if isinstance(value, str):
            found.add(" ".join(value.split()))
        elif isinstance(value, dict):
            for item in value.values():
                gather(item)
        elif isinstance(value, list):
            for item in value:
                gather(item)

    gather(modules)
    return frozenset(found)


def english_in(
    texts: list[str], english_messages: frozenset[str], data: frozenset[str] = frozenset()
) -> list[str]:
    left = []
    for text in texts:
        if text in ALLOWED or text in data or "@" in text:
            continue
        words = {w.lower() for w in re.findall(r"[A-Za-z']+", text)}
        if text in english_messages or len(words & ENGLISH_WORDS) >= 2:
            left.append(text)
    return left


@pytest.fixture
def console_url(sandbox: SandboxHandle, tmp_path: Path) -> Iterator[str]:
    from webapp import create_app

    settings = {"LOGIN_RATE_LIMIT": "200 per minute", "OTP_RATE_LIMIT": "200 per minute"}
    server = LiveServer(create_app(console_config(sandbox, tmp_path, **settings))).start()
    yield server.url
    server.stop()


def _sign_in_in_spanish(http: httpx.Client, sandbox: SandboxHandle, seen: dict[str, str]) -> None:
    login = http.get("/auth/login")
    switched = http.post(
        "/lang", data={"lang": "es", "next": "/auth/login", "csrf_token": csrf_from(login.text)}
    )
    assert switched.status_code == 303
    login = http.get("/auth/login")
    seen["/auth/login"] = login.text
    email, password = new_operator(
        sandbox, partners=(PARTNER, UPLOADS), permissions={PARTNER: EVERYTHING, UPLOADS: EVERYTHING}
    )
    wrong = http.post(
        "/auth/login", data={"email": email, "password": "not-it", "csrf_token": csrf_from(login.text)}
    )
    seen["/auth/login (refused)"] = wrong.text
    sent = http.post(
        "/auth/login", data={"email": email, "password": password, "csrf_token": csrf_from(login.text)}
    )
    assert sent.status_code in (302, 303), sent.text
    otp = http.get("/auth/otp")
    seen["/auth/otp"] = otp.text
    done = http.post("/auth/otp", data={"otp": sandbox.latest_otp(email), "csrf_token": csrf_from(otp.text)})
    assert done.status_code in (302, 303), done.text


def _shape(path: str) -> str:
    """One page per kind of URL: ids become N, the query (sorting, paging) is dropped."""
    return re.sub(r"\d+", "N", path.split("?")[0])


def _walk(http: httpx.Client, base: str, seen: dict[str, str]) -> None:
    queue = ["/", *EXTRA]
    shapes: set[str] = set()
    while queue and len(seen) < MAX_PAGES:
        path = queue.pop(0)
        if _shape(path) in shapes or SKIP.search(path):
            continue
        shapes.add(_shape(path))
        answer = http.get(path, follow_redirects=True)
        if "text/html" not in answer.headers.get("content-type", ""):
            continue
        seen[path] = answer.text
        for href in read(answer.text).links:
            target = urlsplit(urljoin(base + path, href))
            if target.netloc == urlsplit(base).netloc and target.path:
                queue.append(target.path + (f"?{target.query}" if target.query else ""))


def _audit_and_upload(http: httpx.Client, sandbox: SandboxHandle, seen: dict[str, str]) -> None:
    """The pages only an action leads to: an audit's snapshot, and a checked upload with a bad row."""
    index = http.get(f"/p/{PARTNER}/audit/")
    ran = http.post(f"/p/{PARTNER}/audit/run", data={"csrf_token": csrf_from(index.text), "scope": "partner"})
    assert ran.status_code == 303, ran.text
    seen["/audit/N (snapshot)"] = http.get(ran.headers["Location"]).text
    rows = [person(0, free_cards(sandbox, 1)[0]), person(1, "", documentNumber="12")]
    form = http.get(f"/p/{UPLOADS}/uploads/new")
    sent = http.post(
        f"/p/{UPLOADS}/uploads/new",
        data={"csrf_token": csrf_from(form.text), "kind": "users"},
        files={"file": ("altas.csv", csv_file(rows), "text/csv")},
    )
    assert sent.status_code == 303, sent.text
    seen["/uploads/N (checked)"] = http.get(sent.headers["Location"], follow_redirects=True).text


def test_every_screen_speaks_spanish(
    console_url: str, sandbox: SandboxHandle, english_messages: frozenset[str]
) -> None:
    seen: dict[str, str] = {}
    with httpx.Client(base_url=console_url, follow_redirects=False, timeout=30) as http:
        _sign_in_in_spanish(http, sandbox, seen)
        _walk(http, console_url, seen)
        new = http.get(f"/p/{PARTNER}/cardholders/new")
        refused = http.post(f"/p/{PARTNER}/cardholders/new", data={"csrf_token": csrf_from(new.text)})
        seen["/cardholders/new (sent empty)"] = refused.text
        seen["/cardholders/N (not found)"] = http.get(f"/p/{PARTNER}/cardholders/987654").text
        _audit_and_upload(http, sandbox, seen)
    kinds = {_shape(path) for path in seen}
    for expected in (
        "/p/N/cardholders/N",
        "/p/N/users/N",
        "/p/N/top-ups/N",
        "/p/N/uploads/",
        "/p/N/partner",
        "/p/N/activity/",
        "/p/N/views/",
    ):
        assert any(kind.startswith(expected) for kind in kinds), (expected, sorted(kinds))
    assert len(seen) >= 25, sorted(seen)
    data = cms_texts(sandbox)
    left = {
        path: found
        for path, html in seen.items()
        if (found := english_in(read(html).texts, english_messages, data))
    }
    assert not left, "\n".join(f"{path}: {found}" for path, found in left.items())
    assert all('<html lang="es">' in html for html in seen.values())


def test_the_detector_finds_english(english_messages: frozenset[str]) -> None:
    """Guards the walk: an English label, an English sentence outside the catalog, and data that is not."""
    texts = read(
        "<p>Status</p><p title='Shown once and kept in the audit trail'>Hola</p>"
        "<p>Banco Quetzal</p><p>ana@demo.migo</p><code>users:list</code><p>Estado</p>"
    ).texts
    assert english_in(texts, english_messages) == ["Status", "Shown once and kept in the audit trail"]
