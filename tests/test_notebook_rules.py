"""The portability rule of the notebooks, checked without running them.

A stored output is compared by strict nbval unless its cell starts with `# NBVAL_IGNORE_OUTPUT`; every such
cell is listed, with its kind and reason, in tests/nbval_ignored.toml, and the output of a training run is
followed by a checked cell that asserts its lesson (tests/test_lessons.py makes that cell fail).
"""

import tomllib
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
REGISTRY = ROOT / "tests" / "nbval_ignored.toml"
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))
MARKER = "# NBVAL_IGNORE_OUTPUT"
KINDS = {"timing", "machine", "blas-digits", "training"}


def ignored_cells(path: Path) -> set[str]:
    cells = nbformat.read(path, as_version=4).cells
    return {c.id for c in cells if c.cell_type == "code" and c.source.lstrip().startswith(MARKER)}


def registry() -> dict[str, dict[str, dict]]:
    return tomllib.loads(REGISTRY.read_text(encoding="utf-8"))


def test_the_registry_names_only_notebooks_that_exist():
    assert set(registry()) <= {p.stem for p in NOTEBOOKS}, set(registry()) - {p.stem for p in NOTEBOOKS}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_every_ignored_output_is_registered_with_its_reason(path):
    listed = registry().get(path.stem, {})
    marked = ignored_cells(path)
    assert not marked - set(listed), (f"{path.name}: cells {sorted(marked - set(listed))} ignore their output "
                                      f"without an entry in {REGISTRY.name}")
    assert not set(listed) - marked, (f"{path.name}: {REGISTRY.name} lists cells {sorted(set(listed) - marked)} "
                                      "that do not start with the marker (or do not exist)")
    for cell_id, entry in listed.items():
        assert entry.get("kind") in KINDS, f"{path.stem}/{cell_id}: kind must be one of {sorted(KINDS)}"
        assert len(entry.get("why", "")) > 10, f"{path.stem}/{cell_id}: say why its output is not checked"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_a_training_output_is_followed_by_a_checked_assertion(path):
    cells = nbformat.read(path, as_version=4).cells
    position = {c.id: k for k, c in enumerate(cells)}
    for cell_id, entry in registry().get(path.stem, {}).items():
        if entry["kind"] != "training":
            assert "checked_by" not in entry, f"{path.stem}/{cell_id}: checked_by is for training outputs"
            continue
        check = entry.get("checked_by")
        assert check in position, f"{path.stem}/{cell_id}: checked_by names no cell ({check!r})"
        cell = cells[position[check]]
        assert position[check] > position[cell_id], f"{path.stem}/{check} must come after {cell_id}"
        assert cell.cell_type == "code" and not cell.source.lstrip().startswith(MARKER), (
            f"{path.stem}/{check}: the lesson's cell must be a checked code cell")
        assert "assert " in cell.source and "print(" in cell.source, (
            f"{path.stem}/{check}: the lesson's cell asserts with a tolerance and prints a stable verdict")
