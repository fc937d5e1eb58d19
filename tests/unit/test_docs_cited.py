"""Comments and docstrings cite only files in the repository, and the sections they cite exist.

What the code relies on from documents outside the repository (the API notes, the security checklist, the
fault plan) is summarised in `docs/`; a comment cites those files, never the outside ones or a path of a
machine.
"""

from __future__ import annotations

import io
import re
import tokenize
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
TEXT_SUFFIXES = {".md", ".yaml", ".yml", ".html", ".txt"}
# Outside documents and machine paths (`docs/security-checklist.md` itself is fine: not preceded by `/`).
OUTSIDE = re.compile(
    r"KNOWN-API|(?<![\w/.-])security-checklist|/work/|(?<![\w.-])shared/(?:cms-api|reference|design)/"
)
DOCS_CITATION = re.compile(r"docs/([\w./-]+\.md)(?:`? (§\d+(?:\.\d+)*|F\d+))?")


def _prose(path: Path) -> list[tuple[int, str]]:
    """Comments and string literals (docstrings among them) of a Python file; the whole of any other."""
    text = path.read_text(encoding="utf-8")
    if path.suffix != ".py":
        return list(enumerate(text.splitlines(), start=1))
    found: list[tuple[int, str]] = []
    for token in tokenize.generate_tokens(io.StringIO(text).readline):
        if token.type in (tokenize.COMMENT, tokenize.STRING):
            found.extend((token.start[0] + n, line) for n, line in enumerate(token.string.splitlines()))
    return found


def _sources() -> list[Path]:
    """The console, its templates and assets' notes, tests, benchmarks and the top-level documents."""
    top = ("wsgi.py", "gunicorn.conf.py", "README.md", "SECURITY.md", "instance/config.example.py")
    found = [ROOT / name for name in top]
    for folder in ("webapp", "templates", "static", "tests", "bench"):
        found.extend(
            path
            for path in sorted((ROOT / folder).rglob("*"))
            if path.is_file()
            and (path.suffix == ".py" or path.suffix in TEXT_SUFFIXES)
            and "translations" not in path.parts
            and path != Path(__file__)
        )
    return found


def _anchor(section: str) -> str:
    """`§1.5` -> `s1-5`, `F17` -> `F17`: the explicit anchors of the docs/ files."""
    return "s" + section[1:].replace(".", "-") if section.startswith("§") else section


def _problems() -> list[str]:
    problems: list[str] = []
    for path in _sources():
        relative = path.relative_to(ROOT).as_posix()
        for number, line in _prose(path):
            outside = OUTSIDE.search(line)
            if outside:
                problems.append(f"{relative}:{number}: cites {outside.group(0)!r} outside the repository")
            for match in DOCS_CITATION.finditer(line):
                target = ROOT / "docs" / match.group(1)
                if not target.is_file():
                    problems.append(f"{relative}:{number}: docs/{match.group(1)} does not exist")
                elif match.group(2) and f'id="{_anchor(match.group(2))}"' not in target.read_text():
                    problems.append(f"{relative}:{number}: docs/{match.group(1)} has no {match.group(2)}")
    return problems


def test_comments_cite_only_files_in_the_repository() -> None:
    problems = _problems()
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("# KNOWN-API §1.5: tokens live 30 minutes", True),
        ("# defaults (security-checklist §4.4)", True),
        ("see /work/shared/reference/security-checklist.md", True),
        ("see shared/cms-api/KNOWN-API.md", True),
        ("# docs/security-checklist.md §4.4 and docs/cms-api.md §1.5", False),
        ("# docs/faults.md F17", False),
    ],
)
def test_the_scan_tells_outside_citations(line: str, expected: bool) -> None:
    assert bool(OUTSIDE.search(line)) is expected


def test_cited_sections_are_checked_against_the_docs_anchors() -> None:
    cms_api = (ROOT / "docs" / "cms-api.md").read_text()
    faults = (ROOT / "docs" / "faults.md").read_text()
    assert f'id="{_anchor("§1.5")}"' in cms_api
    assert f'id="{_anchor("F17")}"' in faults
    assert f'id="{_anchor("§9.9")}"' not in cms_api
