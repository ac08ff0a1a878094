"""The student edition (notebooks/student/, written by .ci/student_edition.py): in sync, no solution left, and
every notebook runs top to bottom with only the exercises' checkers failing, each with the not-implemented
message."""
import importlib.util
import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("student_edition", ROOT / ".ci" / "student_edition.py")
edition = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(edition)
SOURCES = sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))
STUB_FUNCTION = re.compile(r"^def (\w+)\(", re.M)


def solution_blocks(source: str) -> list[list[str]]:
    blocks, current = [], None
    for line in source.split("\n"):
        if edition.BEGIN in line:
            current = []
        elif edition.END in line:
            blocks.append(current)
            current = None
        elif current is not None:
            current.append(line)
    return blocks


def exercises_of(path: Path) -> list[str]:
    """The names of the functions whose bodies hold a solution block, in order."""
    names = []
    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type == "code" and edition.BEGIN in cell.source:
            names += STUB_FUNCTION.findall(cell.source)[:1] or ["<no function>"]
    return names


def test_the_student_edition_is_in_sync():
    stale = edition.out_of_date()
    assert not stale, f"out of date: {[p.name for p in stale]}; run `make student`"


def test_there_are_at_least_30_exercises_in_notebooks_01_to_11():
    counts = {p.stem: len(exercises_of(p)) for p in SOURCES if "01" <= p.stem[:2] <= "11"}
    assert sum(counts.values()) >= 30, counts


def test_every_exercise_has_its_checker_in_the_package():
    from rnnlab import exercises
    for path in SOURCES:
        for name in exercises_of(path):
            assert hasattr(exercises, f"check_{name}"), f"{path.name}: no rnnlab.exercises.check_{name}"


@pytest.mark.parametrize("path", SOURCES, ids=[p.stem for p in SOURCES])
def test_no_solution_line_is_left_in_the_student_notebook(path):
    source = nbformat.read(path, as_version=4)
    student = nbformat.read(edition.STUDENT / path.name, as_version=4)
    for mine, theirs in zip(source.cells, student.cells, strict=True):
        assert mine.id == theirs.id and mine.cell_type == theirs.cell_type
        assert mine.metadata.get("slideshow") == theirs.metadata.get("slideshow"), "slide metadata lost"
        assert mine.metadata.get("tags") == theirs.metadata.get("tags"), "tags lost"
        if theirs.cell_type == "code":
            assert theirs.outputs == [] and theirs.execution_count is None, f"{theirs.id}: outputs left"
        assert edition.BEGIN not in theirs.source and edition.END not in theirs.source
        for block in solution_blocks(mine.source):
            solution = [line for line in block if line.strip() and not line.strip().startswith("#")]
            left = [line for line in solution if line in theirs.source.split("\n")]
            assert not left, f"{path.name}, cell {mine.id}: solution lines left in the student edition: {left}"


def _notebook(*sources):
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])


@pytest.mark.parametrize("source, why", [
    ("def f():\n    # BEGIN SOLUTION\n    return 1\n", "without an `END SOLUTION`"),
    ("def f():\n    return 1\n    # END SOLUTION\n", "without a `BEGIN SOLUTION`"),
    ("def f():\n    # BEGIN SOLUTION\n    # BEGIN SOLUTION\n    return 1\n    # END SOLUTION\n", "inside the block"),
])
def test_a_marker_without_its_partner_stops_the_script(source, why):
    with pytest.raises(edition.MarkerError, match=re.escape(why)):
        edition.student_notebook(_notebook(source), "x.ipynb")


def test_a_marker_in_markdown_stops_the_script():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# BEGIN SOLUTION\nanswer\n# END SOLUTION")])
    with pytest.raises(edition.MarkerError, match="code cell"):
        edition.student_notebook(nb, "x.ipynb")


def test_a_solution_becomes_a_stub_at_its_indentation_and_the_rest_is_kept():
    nb = _notebook("def f(x):\n    \"\"\"Doc.\"\"\"\n    # BEGIN SOLUTION\n    y = x + 1\n    return y\n"
                   "    # END SOLUTION\n\n\nprint(f)")
    nb.cells[0].outputs = [nbformat.v4.new_output("stream", text="x")]
    out = edition.student_notebook(nb, "x.ipynb")
    assert out.cells[0].source == ("def f(x):\n    \"\"\"Doc.\"\"\"\n    # YOUR CODE HERE\n    raise NotImplementedError()"
                                   "\n\n\nprint(f)")
    assert out.cells[0].outputs == [] and nb.cells[0].outputs, "outputs cleared in the copy only"
    namespace = {}
    exec(out.cells[0].source.replace("print(f)", ""), namespace)
    with pytest.raises(NotImplementedError):
        namespace["f"](1)


def _errors(nb) -> list[tuple[str, str, str]]:
    return [(cell.id, o.ename, o.evalue) for cell in nb.cells if cell.cell_type == "code"
            for o in cell.outputs if o.output_type == "error"]


@pytest.mark.slow
@pytest.mark.parametrize("path", SOURCES, ids=[p.stem for p in SOURCES])
def test_the_student_notebook_runs_with_only_its_checkers_failing(path, tmp_path, monkeypatch):
    from nbclient import NotebookClient

    monkeypatch.setenv("COURSE_FIGURES", str(tmp_path))
    student = edition.STUDENT / path.name
    nb = nbformat.read(student, as_version=4)
    NotebookClient(nb, timeout=900, allow_errors=True, kernel_name="python3",
                   resources={"metadata": {"path": str(student.parent)}}).execute()
    errors = _errors(nb)
    expected = exercises_of(path)
    unexpected = [e for e in errors if not (e[1] == "ExerciseError" and "is not implemented yet" in e[2])]
    assert not unexpected, f"{path.name}: cells that failed for another reason than a stub: {unexpected}"
    failed = [re.match(r"(\w+) is not implemented yet", e[2])[1] for e in errors]
    assert sorted(failed) == sorted(expected), (f"{path.name}: each exercise's checker must fail once with the "
                                                f"not-implemented message; exercises {expected}, failed {failed}")


def test_the_readme_states_the_number_of_exercises():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    stated = re.search(r"The course has (\d+) exercises in notebooks 01-11", readme)
    counted = sum(len(exercises_of(p)) for p in SOURCES if "01" <= p.stem[:2] <= "11")
    assert stated and int(stated[1]) == counted, f"README.md should say {counted} exercises"
