"""The import graph of `webapp`, read from the source with `ast`: no cycles, and the CMS client and the file
readers stay free of Flask and of the console's feature packages (they are used by the CLI, the probe and
the bulk checks without an app).

Every `import` counts, wherever it stands (inside functions and `if TYPE_CHECKING:` too): a cycle hidden
behind a late import is still a cycle to whoever reads the code.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN_EXTERNAL = ("flask", "werkzeug", "jinja2")
FEATURE_PACKAGES = (
    "webapp.cardholders",
    "webapp.uploads",
    "webapp.users",
    "webapp.partners",
    "webapp.permissions",
    "webapp.process_requests",
    "webapp.audit",
    "webapp.activity",
    "webapp.dashboard",
    "webapp.auth",
    "webapp.saved_views",
    "webapp.store",
    "webapp.sandbox",
)
FREE_PACKAGES = ("webapp.cms", "webapp.files")


@dataclass
class ImportGraph:
    """`edges`: module to the package modules it imports; `external`: module to the top-level names of the
    other distributions it imports."""

    edges: dict[str, set[str]] = field(default_factory=dict)
    external: dict[str, set[str]] = field(default_factory=dict)

    def __repr__(self) -> str:  # pytest shows the fixture in a failure; the message says what matters
        return f"ImportGraph({len(self.edges)} modules)"

    def reachable(self, start: str) -> dict[str, list[str]]:
        """Every module `start` imports, directly or through other modules of the package, each with the
        shortest chain of imports that gets there (`start` included, with the chain [start])."""
        chains = {start: [start]}
        todo = [start]
        while todo:
            node = todo.pop(0)
            for target in sorted(self.edges[node]):
                if target not in chains:
                    chains[target] = [*chains[node], target]
                    todo.append(target)
        return chains

    def cycles(self) -> list[list[str]]:
        """The strongly connected components with more than one module (Tarjan), each sorted."""
        index: dict[str, int] = {}
        low: dict[str, int] = {}
        stack: list[str] = []
        on_stack: set[str] = set()
        found: list[list[str]] = []

        def visit(node: str) -> None:
            index[node] = low[node] = len(index)
            stack.append(node)
            on_stack.add(node)
            for target in sorted(self.edges[node]):
                if target not in index:
                    visit(target)
                    low[node] = min(low[node], low[target])
                elif target in on_stack:
                    low[node] = min(low[node], index[target])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))

        for node in sorted(self.edges):
            if node not in index:
                visit(node)
        return sorted(found)

    def loop_in(self, component: Iterable[str]) -> list[str]:
        """One closed path through a component, e.g. [a, b, a], to show how the cycle goes."""
        members = set(component)
        start = min(members)
        paths = {start: [start]}
        todo = [start]
        while todo:
            node = todo.pop(0)
            for target in sorted(self.edges[node] & members):
                if target == start:
                    return [*paths[node], start]
                if target not in paths:
                    paths[target] = [*paths[node], target]
                    todo.append(target)
        return sorted(members)


def module_names(root: Path, package: str) -> dict[str, Path]:
    """Dotted module name to file, for every .py file below `root` (the directory of `package`)."""
    modules = {}
    for path in sorted(root.rglob("*.py")):
        parts = [package, *path.relative_to(root).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


def build_graph(root: Path, package: str) -> ImportGraph:
    modules = module_names(root, package)

    def owner(name: str) -> str | None:
        """The module that `name` (a module, or a name inside one) belongs to."""
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    def internal(name: str) -> bool:
        return name == package or name.startswith(package + ".")

    graph = ImportGraph()
    for module, path in modules.items():
        here = module if path.name == "__init__.py" else module.rpartition(".")[0]
        targets: set[str] = set()
        external: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = here.split(".")[: len(here.split(".")) - node.level + 1]
                    source = ".".join([*base, *([node.module] if node.module else [])])
                else:
                    source = node.module or ""
                # `from pkg import name`: the module pkg.name when there is one, else pkg itself.
                names = [
                    f"{source}.{alias.name}" if f"{source}.{alias.name}" in modules else source
                    for alias in node.names
                ]
            else:
                continue
            for name in names:
                if internal(name):
                    target = owner(name)
                    if target is not None and target != module:
                        targets.add(target)
                else:
                    external.add(name.partition(".")[0])
        graph.edges[module] = targets
        graph.external[module] = external
    return graph


def forbidden_external(name: str) -> bool:
    return name in FORBIDDEN_EXTERNAL or name.startswith("flask_")


def is_feature(module: str) -> bool:
    return any(module == pkg or module.startswith(pkg + ".") for pkg in FEATURE_PACKAGES)


def offences(graph: ImportGraph, free_package: str) -> list[str]:
    """Each module of `free_package` that reaches Flask, werkzeug, Jinja or a feature package, and how."""
    found = []
    for module in sorted(graph.edges):
        if module != free_package and not module.startswith(free_package + "."):
            continue
        for reached, chain in sorted(graph.reachable(module).items()):
            bad = sorted(name for name in graph.external[reached] if forbidden_external(name))
            if is_feature(reached):
                bad.insert(0, "a feature package")
            if bad:
                found.append(f"{' -> '.join(chain)}: {', '.join(bad)}")
    return found


@pytest.fixture(scope="module")
def webapp_graph() -> ImportGraph:
    return build_graph(ROOT / "webapp", "webapp")


def test_webapp_has_no_import_cycle(webapp_graph: ImportGraph) -> None:
    cycles = webapp_graph.cycles()
    shown = "\n".join(" -> ".join(webapp_graph.loop_in(c)) + f"  ({len(c)} modules)" for c in cycles)
    assert not cycles, f"import cycles in webapp:\n{shown}"


@pytest.mark.parametrize("free_package", FREE_PACKAGES)
def test_package_stays_free_of_flask_and_features(webapp_graph: ImportGraph, free_package: str) -> None:
    found = offences(webapp_graph, free_package)
    assert not found, "\n".join(found)


# -- the graph builder itself, on a package small enough to know every edge ------------------------------
def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def test_builder_reads_every_kind_of_import(tmp_path: Path) -> None:
    _write(
        tmp_path / "app",
        {
            "__init__.py": "from app import core\n",
            "core.py": "import json\nfrom app.util.text import clean\n",
            "util/__init__.py": "from .text import clean\n",
            "util/text.py": (
                "from typing import TYPE_CHECKING\n"
                "from .. import core\n"
                "if TYPE_CHECKING:\n    from app.web import views\n"
            ),
            "web/__init__.py": "",
            "web/views.py": "import flask.json\nfrom flask_login import current_user\n\n"
            "def late():\n    from app.util import clean\n",
        },
    )
    graph = build_graph(tmp_path / "app", "app")

    assert graph.edges == {
        "app": {"app.core"},
        "app.core": {"app.util.text"},
        "app.util": {"app.util.text"},
        "app.util.text": {"app.core", "app.web.views"},
        "app.web": set(),
        "app.web.views": {"app.util"},  # `clean` is a name in app.util, not a module
    }
    assert graph.external["app.core"] == {"json"}
    assert graph.external["app.web.views"] == {"flask", "flask_login"}
    assert graph.external["app.util.text"] == {"typing"}
    assert graph.cycles() == [["app.core", "app.util", "app.util.text", "app.web.views"]]
    assert graph.loop_in(graph.cycles()[0]) == ["app.core", "app.util.text", "app.core"]


def test_builder_finds_no_cycle_where_there_is_none_and_flags_what_is_reached(tmp_path: Path) -> None:
    _write(
        tmp_path / "webapp",
        {
            "__init__.py": "",
            "cms/__init__.py": "from webapp.cms.client import Client\n",
            "cms/client.py": "from webapp import helpers\n",
            "helpers.py": "from webapp.cardholders.rules import FIELDS\n",
            "cardholders/__init__.py": "",
            "cardholders/rules.py": "from werkzeug import Request\n",
            "files/__init__.py": "import httpx\n",
        },
    )
    graph = build_graph(tmp_path / "webapp", "webapp")

    assert graph.cycles() == []
    assert offences(graph, "webapp.files") == []
    assert offences(graph, "webapp.cms.client") == [
        "webapp.cms.client -> webapp.helpers -> webapp.cardholders.rules: a feature package, werkzeug",
    ]
