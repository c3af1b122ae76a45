"""The package's shape (docs/architecture.md): one sub-package per stage, imports that flow one way, no import
cycles, no module over the size limit.

A static check over portal/**/*.py with ast: every ``import`` and ``from … import`` counts, at the top of a module
or inside a function (a function-level import still ties the two modules together, and a cycle through one
breaks as soon as someone moves it to the top), and inside ``if TYPE_CHECKING:`` (a type-only cycle is still a
cycle for the reader).
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "portal"

# The layers, lowest first: a module may import its own layer and the layers before it, never a later one.
LAYERS = (
    ("portal.exceptions", "portal.folders"),  # what every stage shares: the errors and where the data is
    ("portal.content",),  # stage 1: source files, site.yml, the model, loading, validation, git dates, health
    ("portal.render",),  # stage 2: Markdown to safe HTML, localized dates and names
    ("portal.search",),  # stage 3: analysis, the Whoosh index, query planning and ranking, highlighting
    ("portal.build",),  # stage 4: the incremental machinery (content cache, page facts, plan, spare, Pagefind)
    ("portal.web",),  # stage 5: the Flask app: public site, agent app, API
    ("portal.site",),  # stage 6: the app frozen into the static site; `portal build`'s pipeline
    ("portal.cli",),  # stage 7: the command line
)
# The root package only offers portal.create_app, imported when asked for (a lazy module __getattr__).
FACADE = "portal"
MAX_LINES = 400


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def is_package(name: str) -> bool:
    return MODULES[name].name == "__init__.py"


def imports(name: str) -> set[str]:
    """The portal modules *name* imports, anywhere in it."""
    path = MODULES[name]
    package = name if is_package(name) else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[:len(parts) - node.level + 1] + ([node.module] if node.module else []))
            for alias in node.names:  # `from portal.build import spare` imports the module portal.build.spare
                found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base)
    return {m for m in found if m in MODULES and m != name}


GRAPH = {name: imports(name) for name in MODULES}


def layer(name: str) -> int:
    for rank, prefixes in enumerate(LAYERS):
        if any(name == p or name.startswith(p + ".") for p in prefixes):
            return rank
    raise AssertionError(f"{name} is in no layer of tests/test_architecture.py (and docs/architecture.md)")


def test_every_module_imports():
    for name in MODULES:
        importlib.import_module(name)


def test_every_module_has_a_layer():
    for name in MODULES:
        if name != FACADE:
            layer(name)


def test_imports_flow_one_way():
    against = [f"{name} (layer {layer(name)}) imports {dep} (layer {layer(dep)})"
               for name, deps in GRAPH.items() if name != FACADE
               for dep in sorted(deps) if dep != FACADE and layer(dep) > layer(name)]
    assert against == []


def test_sub_packages_import_only_their_own_modules():
    # Importing any module imports its packages first: an import of another package in a package's __init__
    # would tie every module of the package to it. A package may offer its own modules' names (portal.search.index
    # does); the root package's one lazy import is the facade's.
    outside = {name: sorted(d for d in GRAPH[name] if not d.startswith(name + "."))
               for name in MODULES if is_package(name) and name != FACADE}
    assert {name: deps for name, deps in outside.items() if deps} == {}


def test_no_import_cycles():
    cycles: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(name: str) -> None:
        state[name] = 1
        path.append(name)
        for dep in sorted(GRAPH[name]):
            if state.get(dep) == 1:
                cycles.append([*path[path.index(dep):], dep])
            elif dep not in state:
                visit(dep)
        path.pop()
        state[name] = 2

    for name in sorted(MODULES):
        if name not in state:
            visit(name)
    assert cycles == []


def test_no_module_is_over_the_limit():
    long = {name: n for name, path in MODULES.items() if (n := len(path.read_text("utf-8").splitlines())) > MAX_LINES}
    assert long == {}
