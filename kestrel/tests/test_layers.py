"""Layers that run one way (issue 18, item 6): no two apps import each other, and the layers in
`.importlinter` hold. `make lint` runs the same contract; these tests keep it in `make test`
too, and check the rule the contract encodes from the import graph itself (grimp, the graph
import-linter builds), so a contract edited to let a cycle through is caught here."""

import itertools
import subprocess
import sys
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def graph():
    return grimp.build_graph("kestrel", "bench", "demo", cache_dir=None)


def product_modules(graph, package: str) -> set[str]:
    """`package` and its modules, without its tests (tests drive several apps at once)."""
    return {
        module
        for module in graph.find_descendants(package) | {package}
        if ".tests" not in module and not module.startswith("kestrel.testing")
    }


def imports_between(graph, importer: str, imported: str) -> list[str]:
    return sorted(
        f"{source} -> {target}"
        for source in product_modules(graph, importer)
        for target in graph.find_modules_directly_imported_by(source)
        if target == imported or target.startswith(f"{imported}.")
    )


def apps(graph) -> list[str]:
    return sorted(
        module
        for module in graph.find_children("kestrel")
        if graph.find_children(module) and module not in {"kestrel.tests", "kestrel.testing"}
    )


def test_the_apps_are_found(graph):
    assert {"kestrel.incidents", "kestrel.access", "kestrel.schools"} <= set(apps(graph))


def test_no_two_apps_import_each_other(graph):
    both_ways = [
        (a, b, imports_between(graph, a, b)[:2], imports_between(graph, b, a)[:2])
        for a, b in itertools.combinations(apps(graph), 2)
        if imports_between(graph, a, b) and imports_between(graph, b, a)
    ]
    assert both_ways == []


def test_the_product_imports_neither_the_bench_nor_the_demo(graph):
    leaks = [
        line
        for app in [*apps(graph), "kestrel.urls"]
        for other in ("bench", "demo", "kestrel.testing")
        for line in imports_between(graph, app, other)
    ]
    assert leaks == []


def test_the_import_contract_holds():
    result = subprocess.run(
        [Path(sys.executable).parent / "lint-imports", "--no-cache", "--no-logo"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 kept, 0 broken" in result.stdout
