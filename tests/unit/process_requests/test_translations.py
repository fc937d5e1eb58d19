"""Every English text of the section has its Spanish."""

from __future__ import annotations

import re
from pathlib import Path

from webapp.translations.process_requests import ES

ROOT = Path(__file__).resolve().parents[3]
_LITERAL = re.compile(r'_l?\(\s*"((?:[^"\\]|\\.)+)"', re.S)


def _sources() -> list[Path]:
    return [
        *(ROOT / "templates" / "process_requests").glob("*.html"),
        *(ROOT / "webapp" / "process_requests").glob("*.py"),
    ]


def test_every_marked_text_is_translated() -> None:
    missing = sorted(
        {text for path in _sources() for text in _LITERAL.findall(path.read_text()) if text not in ES}
    )
    assert missing == []


def test_placeholders_match() -> None:
    for english, spanish in ES.items():
        assert set(re.findall(r"{(\w+)}", english)) == set(re.findall(r"{(\w+)}", spanish)), english
