"""The package's shape: every module says what it holds in its opening lines, and none grows past ~300 lines."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "rnnlab"
MODULES = sorted(PACKAGE.rglob("*.py"))
MAX_LINES = 300


@pytest.mark.parametrize("path", MODULES, ids=[str(p.relative_to(PACKAGE)) for p in MODULES])
def test_a_module_opens_with_a_short_docstring_and_stays_small(path):
    docstring = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
    assert docstring, f"{path.name}: open with a docstring that says what the module holds"
    summary = docstring.split("\n\n", 1)[0]
    assert len(summary.splitlines()) <= 2, f"{path.name}: the docstring's first paragraph is over two lines"
    assert len(path.read_text(encoding="utf-8").splitlines()) <= MAX_LINES, f"{path.name}: over {MAX_LINES} lines"


def test_the_top_level_holds_only_the_groups():
    loose = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert loose == ["__init__.py", "_checks.py", "backend.py", "gpu_check.py"], loose
