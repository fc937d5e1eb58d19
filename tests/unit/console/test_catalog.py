"""The Spanish catalog covers every English text of the console.

Extraction runs with babel's own API and the project's babel.cfg (the same as `make messages`), so a text
added in code or a template without its Spanish fails here, as does a fuzzy or empty entry, or a Spanish
text whose placeholders differ from the English.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[3]
PO = ROOT / "webapp" / "translations" / "es" / "LC_MESSAGES" / "messages.po"
_PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def _ignored_dir(path: str) -> bool:
    # babel skips every directory starting with "_" by default; templates/_macros holds translated text.
    name = Path(path).name
    return not (name.startswith(".") or name == "__pycache__")


@pytest.fixture(scope="module")
def extracted() -> Catalog:
    with (ROOT / "babel.cfg").open(encoding="utf-8") as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    catalog = Catalog()
    for filename, lineno, message, comments, context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=DEFAULT_KEYWORDS, directory_filter=_ignored_dir
    ):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


@pytest.fixture(scope="module")
def spanish() -> Catalog:
    with PO.open("rb") as handle:
        return read_po(handle, locale="es")


def _ids(message: Message) -> tuple[str, ...]:
    return message.id if isinstance(message.id, tuple) else (message.id,)


def _strings(message: Message) -> tuple[str, ...]:
    return tuple(message.string) if isinstance(message.string, tuple | list) else (message.string,)


def _where(message: Message) -> str:
    return ", ".join(f"{name}:{line}" for name, line in message.locations[:2])


def _texts(catalog: Catalog) -> Iterator[Message]:
    return (message for message in catalog if message.id)


def test_extraction_finds_the_console_texts(extracted: Catalog) -> None:
    """Guards the test itself: templates (macros included), Python marks, plurals and contexts are read."""
    assert extracted.get("Sign in") is not None
    assert extracted.get("Pages") is not None  # templates/_macros/ui.html
    assert extracted.get("Inactive", "user status") is not None
    assert extracted.get("Enter the 6-digit code.") is not None  # an N_ mark in Python
    assert extracted.get("%(count)s cardholder") is not None  # a plural, found by its singular
    assert len(extracted) > 600


def test_every_text_has_its_spanish(extracted: Catalog, spanish: Catalog) -> None:
    problems = []
    for message in _texts(extracted):
        found = spanish.get(message.id, message.context)
        if found is None:
            problems.append(f"missing: {message.id!r} ({_where(message)})")
        elif found.fuzzy:
            problems.append(f"fuzzy: {message.id!r}")
        elif not all(_strings(found)) or len(_strings(found)) != (
            spanish.num_plurals if found.pluralizable else 1
        ):
            problems.append(f"untranslated: {message.id!r}")
    assert problems == []


def test_no_fuzzy_or_empty_entry_in_the_catalog(spanish: Catalog) -> None:
    assert [m.id for m in _texts(spanish) if m.fuzzy or not all(_strings(m))] == []


def test_placeholders_match(spanish: Catalog) -> None:
    problems = []
    for message in _texts(spanish):
        wanted = set(_PLACEHOLDER.findall(" ".join(_ids(message))))
        for text in _strings(message):
            # A singular form may drop the number ("Their card ..."), never add a name the English lacks.
            names = set(_PLACEHOLDER.findall(text))
            if not names <= wanted or (not message.pluralizable and names != wanted):
                problems.append(f"{message.id!r}: {text!r}")
    assert problems == []


def test_the_catalog_uses_babels_plural_rule_for_spanish(spanish: Catalog) -> None:
    assert spanish.plural_forms == Catalog(locale="es").plural_forms


def test_no_markup_in_the_catalog(spanish: Catalog) -> None:
    """Jinja's newstyle gettext marks a literal's translation safe: the catalog must hold text, never HTML."""
    texts = [t for m in _texts(spanish) for t in (*_ids(m), *_strings(m))]
    assert [t for t in texts if re.search(r"[<>]|&\w+;", t)] == []
