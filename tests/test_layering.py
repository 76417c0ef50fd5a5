"""Imports flow one way. Each top-level package may import only the packages its row names:

    bot, sandbox (assembly) -> handlers, scheduler -> notices -> services -> kpi -> models

with locales (the catalogs and the translator) below all that translate. The domain and the
tables know nothing of Telegram. Benchmarks and tests may import anything.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BELOW_NOTICES = {"services", "kpi", "models", "locales"}
ALLOWED: dict[str, set[str]] = {
    "sandbox": {"bot", "handlers", "scheduler", "notices", *BELOW_NOTICES},
    "bot": {"handlers", "scheduler", "notices", *BELOW_NOTICES},
    "handlers": {"notices", *BELOW_NOTICES},
    "scheduler": {"notices", *BELOW_NOTICES},
    "notices": BELOW_NOTICES,
    "services": {"kpi", "models"},
    "kpi": {"models"},
    "models": set(),
    "locales": set(),
}
ANYTHING = {"benchmarks", "tests"}
WITHOUT_TELEGRAM = ("services", "kpi", "models", "locales")


def packages() -> set[str]:
    """The project's top-level packages."""
    return {path.parent.name for path in ROOT.glob("*/__init__.py")}


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, at any depth of its code (absolute imports only)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def arrows(package: str) -> Iterator[tuple[str, str]]:
    """(file, imported top-level package of ours) for each import across packages."""
    ours = packages()
    for path in sorted((ROOT / package).rglob("*.py")):
        for name in sorted(imported_modules(path)):
            top = name.split(".")[0]
            if top in ours and top != package:
                yield str(path.relative_to(ROOT)), top


def test_every_package_has_a_row() -> None:
    assert packages() == set(ALLOWED) | ANYTHING


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_a_package_imports_only_what_its_row_allows(package: str) -> None:
    against = [
        f"{path} imports {top}" for path, top in arrows(package) if top not in ALLOWED[package]
    ]
    assert against == []


def test_no_cycle_between_packages() -> None:
    graph = {package: {top for _path, top in arrows(package)} for package in packages()}
    cycles = []

    def visit(package: str, path: list[str]) -> None:
        for nxt in sorted(graph[package]):
            if nxt in path:
                cycles.append(path[path.index(nxt) :] + [nxt])
            elif nxt not in ANYTHING:
                visit(nxt, [*path, nxt])

    for package in sorted(set(graph) - ANYTHING):
        visit(package, [package])
    assert cycles == []


@pytest.mark.parametrize("package", WITHOUT_TELEGRAM)
def test_the_domain_knows_nothing_of_telegram(package: str) -> None:
    found = [
        f"{path.relative_to(ROOT)}: {name}"
        for path in sorted((ROOT / package).rglob("*.py"))
        for name in sorted(imported_modules(path))
        if name.split(".")[0] == "telegram"
    ]
    assert found == []
