"""Views are thin (issue 18, item 5): a view parses the request, calls one selector or service,
and renders. Read from the source with `ast`: every function in a view module (kestrel/<app>/
views.py and kestrel/<app>/views/*.py) is at most 40 lines, and none reaches a model's manager
(`<Model>.objects`): reads are in selectors, writes in services."""

import ast
from pathlib import Path

import pytest

KESTREL = Path(__file__).resolve().parent.parent
MOST_LINES = 40


def view_modules() -> list[Path]:
    modules = [*KESTREL.glob("*/views.py"), *KESTREL.glob("*/views/*.py")]
    return sorted(path for path in modules if "tests" not in path.parts)


def functions(tree: ast.Module):
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node


def where(path: Path, node: ast.AST) -> str:
    return f"{path.relative_to(KESTREL.parent)}:{node.lineno}"


@pytest.fixture(scope="module")
def parsed() -> list[tuple[Path, ast.Module]]:
    return [(path, ast.parse(path.read_text(), str(path))) for path in view_modules()]


def test_the_view_modules_are_found():
    names = {str(path.relative_to(KESTREL)) for path in view_modules()}
    assert {"incidents/views/view.py", "students/views.py", "school_setup/views.py"} <= names


def test_no_function_in_a_view_module_is_over_40_lines(parsed):
    long = [
        f"{where(path, node)} {node.name}: {node.end_lineno - node.lineno + 1} lines"
        for path, tree in parsed
        for node in functions(tree)
        if node.end_lineno - node.lineno + 1 > MOST_LINES
    ]
    assert long == []


# The default manager and the unscoped one (kestrel.schools.scope): both are for selectors.
MANAGERS = {"objects", "all_schools"}


def test_no_view_module_queries_a_model_manager(parsed):
    queries = {
        (str(path.relative_to(KESTREL)), ast.unparse(node))
        for path, tree in parsed
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and node.attr in MANAGERS
    }
    assert queries == set()


def test_the_line_count_is_from_the_def_to_the_last_line():
    tree = ast.parse("@decorated\ndef view(request):\n    '''Doc.'''\n    return 1\n")
    (node,) = functions(tree)
    assert node.end_lineno - node.lineno + 1 == 3
