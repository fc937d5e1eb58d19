"""The Spanish catalog for test runs: compiled from messages.po when the .mo is missing or older.

`make test` compiles it at install (Makefile); this covers a bare `pytest` after editing the .po, so a run
never reads a stale catalog.
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "webapp" / "translations"
PO = TRANSLATIONS / "es" / "LC_MESSAGES" / "messages.po"
MO = PO.with_suffix(".mo")


def compile_if_stale() -> None:
    if MO.exists() and MO.stat().st_mtime >= PO.stat().st_mtime:
        return
    with PO.open("rb") as handle:
        catalog = read_po(handle, locale="es")
    tmp = MO.with_suffix(".mo.tmp")
    with tmp.open("wb") as handle:
        write_mo(handle, catalog, use_fuzzy=False)
    tmp.replace(MO)
