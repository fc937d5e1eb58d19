"""Declared = used: pyproject.toml's dependencies against what the code imports, and the wheel's contents.

The production code is webapp/ without the sandbox and the development runner (the wheel leaves both out),
plus the two files a deployment runs (`gunicorn -c gunicorn.conf.py wsgi:app`, README.md). Every runtime
dependency must be imported there, and everything it imports must be declared; what only the sandbox imports
goes to the `sandbox` extra, what only tests and benchmarks import to `dev`. Imports are read with `ast`
(every `import`, also inside functions) and mapped to distributions by importlib.metadata.
"""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from collections.abc import Iterable
from functools import cache
from importlib.metadata import packages_distributions
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]
DEVELOPMENT_ONLY = (ROOT / "webapp" / "sandbox", ROOT / "webapp" / "devrun.py")
ENTRY_POINTS = (ROOT / "wsgi.py", ROOT / "gunicorn.conf.py")

# Declared and needed, never imported by name. Each says where it is named instead, and the test checks it.
LOADED_BY_NAME = {
    "psycopg": ("instance/config.example.py", "postgresql+psycopg://"),  # SQLAlchemy's PostgreSQL driver
}


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirements(entries: Iterable[str]) -> set[str]:
    return {normalise(Requirement(entry).name) for entry in entries}


@cache
def _project() -> dict[str, object]:
    with (ROOT / "pyproject.toml").open("rb") as handle:
        project = tomllib.load(handle)["project"]
    assert isinstance(project, dict)
    return project


def declared(extra: str | None = None) -> set[str]:
    project = _project()
    if extra is None:
        entries = project["dependencies"]
    else:
        optional = project["optional-dependencies"]
        assert isinstance(optional, dict)
        entries = optional[extra]
    assert isinstance(entries, list)
    return _requirements(entries)


def _python_files(paths: Iterable[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        files.extend(sorted(path.rglob("*.py")) if path.is_dir() else [path])
    return files


def _development_only(path: Path) -> bool:
    return any(path == place or place in path.parents for place in DEVELOPMENT_ONLY)


def production_files() -> list[Path]:
    return [p for p in _python_files([ROOT / "webapp"]) if not _development_only(p)] + list(ENTRY_POINTS)


def sandbox_files() -> list[Path]:
    return _python_files(DEVELOPMENT_ONLY)


def imported_modules(files: Iterable[Path]) -> dict[str, set[str]]:
    """Absolute imports by top-level module name, each with the files that import it."""
    found: dict[str, set[str]] = {}
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                found.setdefault(name, set()).add(str(path.relative_to(ROOT)))
    return found


def third_party(files: Iterable[Path], own: Iterable[str] = ("webapp",)) -> dict[str, set[str]]:
    """Distributions (normalised names) imported by `files`, each with the files that import it."""
    skip = set(sys.stdlib_module_names) | {"__future__", *own}
    owners = packages_distributions()
    found: dict[str, set[str]] = {}
    for module, where in imported_modules(files).items():
        top = module.partition(".")[0]
        if top in skip:
            continue
        dists = owners.get(top)
        assert dists, f"{top} (imported by {sorted(where)}) belongs to no installed distribution"
        for dist in dists:
            found.setdefault(normalise(dist), set()).update(where)
    return found


def test_every_runtime_dependency_is_imported() -> None:
    unused = declared() - third_party(production_files()).keys() - LOADED_BY_NAME.keys()
    assert not unused, f"declared in pyproject.toml but never imported by the production code: {unused}"


def test_every_package_the_production_code_imports_is_declared() -> None:
    missing = {d: sorted(w) for d, w in third_party(production_files()).items() if d not in declared()}
    assert not missing, f"imported by the production code but not in [project] dependencies: {missing}"


def test_the_sandbox_extra_holds_what_only_the_sandbox_imports() -> None:
    imported = third_party(sandbox_files())
    missing = {d: sorted(w) for d, w in imported.items() if d not in declared() | declared("sandbox")}
    assert not missing, f"imported by the sandbox or devrun but not declared: {missing}"
    unused = declared("sandbox") - imported.keys()
    assert not unused, f"in the sandbox extra but never imported by the sandbox or devrun: {unused}"
    also_production = declared("sandbox") & third_party(production_files()).keys()
    assert not also_production, f"imported by the production code too, so not an extra: {also_production}"


def test_tests_and_benchmarks_import_only_declared_packages() -> None:
    files = _python_files([ROOT / "tests", ROOT / "bench"])
    imported = third_party(files, own=("webapp", "tests", "bench"))
    known = declared() | declared("dev") | declared("sandbox")
    missing = {d: sorted(w)[:3] for d, w in imported.items() if d not in known}
    assert not missing, f"imported by tests or benchmarks but declared nowhere (dev extra?): {missing}"


def test_the_allowances_are_still_needed() -> None:
    imported = third_party(production_files()).keys()
    for dist, (file_name, named_as) in LOADED_BY_NAME.items():
        assert dist in declared()
        assert dist not in imported, f"{dist} is imported now: remove it from LOADED_BY_NAME"
        text = (ROOT / file_name).read_text(encoding="utf-8")
        assert named_as in text, f"{file_name} no longer names {dist}"


def test_the_production_code_never_imports_the_sandbox_or_devrun() -> None:
    """The wheel leaves both out: an import of either from the production code would fail in production."""
    wrong = {
        module: sorted(where)
        for module, where in imported_modules(production_files()).items()
        if module in {"webapp.sandbox", "webapp.devrun"} or module.startswith("webapp.sandbox.")
    }
    for path in production_files():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module == "webapp":
                for alias in node.names:
                    if alias.name in {"sandbox", "devrun"}:
                        wrong.setdefault(f"webapp.{alias.name}", []).append(str(path.relative_to(ROOT)))
    assert not wrong, wrong


def test_the_wheel_ships_neither_the_sandbox_nor_devrun(tmp_path: Path) -> None:
    """Built (not installed) from a copy of the sources, so no earlier build/ directory can leak into it."""
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "setup.py", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    shutil.copytree(ROOT / "webapp", source / "webapp", ignore=shutil.ignore_patterns("__pycache__"))
    out = tmp_path / "wheel"
    # No build isolation: the dev extra's setuptools builds it, offline.
    build = ["wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), "."]
    subprocess.run(
        [sys.executable, "-m", "pip", *build],
        cwd=source,
        check=True,
        capture_output=True,
        timeout=120,
    )
    (wheel,) = out.glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        (metadata,) = [n for n in names if n.endswith(".dist-info/METADATA")]
        requires = {
            normalise(Requirement(line.split(":", 1)[1]).name)
            for line in archive.read(metadata).decode().splitlines()
            if line.startswith("Requires-Dist:") and "extra ==" not in line
        }
    development = sorted(n for n in names if n.startswith("webapp/sandbox/") or n == "webapp/devrun.py")
    assert not development, development
    # …while the rest of the package and its data are there.
    assert {"webapp/__init__.py", "webapp/cms/sse.py", "webapp/cms/contract/openapi.yaml"} <= names
    assert "webapp/store/alembic.ini" in names
    assert requires == declared()
