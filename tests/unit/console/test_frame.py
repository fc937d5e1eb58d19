"""The frame's static promises: pinned htmx, locked-down htmx config, no inline script or style anywhere."""

from __future__ import annotations

import hashlib
import json
import re
from html.parser import HTMLParser
from pathlib import Path

from flask import Flask

ROOT = Path(__file__).resolve().parents[3]
TEMPLATES = ROOT / "templates"
HTMX_FILE = ROOT / "static" / "vendor" / "htmx-2.0.11.min.js"


def test_vendored_htmx_matches_the_recorded_checksum() -> None:
    readme = (ROOT / "static" / "vendor" / "README.md").read_text()
    recorded = re.search(r"htmx-2\.0\.11\.min\.js`.*`([0-9a-f]{64})`", readme)
    assert recorded is not None
    assert hashlib.sha256(HTMX_FILE.read_bytes()).hexdigest() == recorded.group(1)
    assert 'version:"2.0.11"' in HTMX_FILE.read_text()


def test_no_inline_script_style_or_handlers_in_any_template() -> None:
    offenders = []
    for path in TEMPLATES.rglob("*"):
        if path.is_dir():
            continue
        assert path.suffix == ".html", f"{path} would not be autoescaped"
        source = path.read_text()
        if re.search(r"<script(?![^>]*\bsrc=)[^>]*>", source) or re.search(r"<style\b", source):
            offenders.append(f"{path}: inline <script>/<style>")
        if re.search(r"\sstyle=", source) or re.search(r"\son[a-z]+=", source) or "hx-on" in source:
            offenders.append(f"{path}: inline style or event handler attribute")
        if "javascript:" in source or "js:" in source:
            offenders.append(f"{path}: javascript: URL or js: htmx value")
    assert offenders == []


class _Meta(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.meta: dict[str, str] = {}
        self.body: dict[str, str | None] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "meta" and values.get("name"):
            self.meta[str(values["name"])] = str(values.get("content"))
        if tag == "body":
            self.body = values


def test_page_carries_locked_down_htmx_config_and_csrf_header(bare_app: Flask) -> None:
    html = bare_app.test_client().get("/nowhere").get_data(as_text=True)  # the 404 page uses base.html
    parsed = _Meta()
    parsed.feed(html)
    config = json.loads(parsed.meta["htmx-config"])
    assert config["selfRequestsOnly"] is True
    assert config["allowEval"] is False
    assert config["allowScriptTags"] is False
    assert config["historyCacheSize"] == 0
    assert config["refreshOnHistoryMiss"] is True
    assert config["includeIndicatorStyles"] is False
    assert config["methodsThatUseUrlParams"] == ["get"]
    assert parsed.body["hx-history"] == "false"
    token = json.loads(str(parsed.body["hx-headers"]))["X-CSRFToken"]
    assert token
    assert token == parsed.meta["csrf-token"]
    assert "/static/vendor/htmx-2.0.11.min.js" in html


def test_language_switch_sets_the_session_and_stays_on_site(bare_app: Flask) -> None:
    client = bare_app.test_client()
    page = client.get("/nowhere").get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', page)
    assert token is not None
    response = client.post(
        "/lang", data={"lang": "es", "next": "//evil.example/x", "csrf_token": token.group(1)}
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/"
    assert "No encontrado" in client.get("/nowhere").get_data(as_text=True)
