"""Generate the student edition: notebooks/student/NN_topic.ipynb from the instructor edition notebooks/NN_topic.ipynb.

    python .ci/student_edition.py            # write the student notebooks that differ
    python .ci/student_edition.py --check    # exit 1, naming them, if any student notebook is out of date

In a code cell, the lines from `# BEGIN SOLUTION` to `# END SOLUTION` (inside a function's body, markers
included) become a stub at the markers' indentation, as nbgrader writes it:

    # YOUR CODE HERE
    raise NotImplementedError()

A markdown cell tagged `solution` (a written answer) becomes "*Your answer here.*". Every output and
execution count is cleared; slide metadata, tags and cell ids are kept; links that leave notebooks/
(`../GLOSSARY.md`) get one more `../`. A marker without its partner, a nested marker, a marker outside a
code cell, or any solution text left behind is an error of this script (``MarkerError``): it writes nothing
for that notebook rather than leak a solution. The markers are nbgrader's (it matches `BEGIN SOLUTION` and
`END SOLUTION` anywhere in a line), so the instructor edition also works as an nbgrader source.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "notebooks"
STUDENT = SOURCE / "student"
BEGIN, END = "BEGIN SOLUTION", "END SOLUTION"
STUB = ("# YOUR CODE HERE", "raise NotImplementedError()")
ANSWER = "*Your answer here.*"
#: Execution timestamps and the like: dropped, so that re-executing the source changes nothing here.
VOLATILE_METADATA = ("execution", "collapsed", "scrolled")
UP_LINK = re.compile(r"(\]\(|src=\"|href=\")\.\./")


def deepened(markdown: str) -> str:
    """The markdown with its links that leave notebooks/ (`../GLOSSARY.md`) made one folder deeper."""
    return UP_LINK.sub(lambda m: m[1] + "../../", markdown)


class MarkerError(ValueError):
    """The source's solution markers are broken: the student edition would leak or lose a solution."""


def stubbed(source: str, where: str, stub: tuple[str, ...] = STUB) -> tuple[str, int]:
    """The cell's source with each solution block replaced by the stub, and the number of blocks."""
    out, start, blocks = [], None, 0
    for number, line in enumerate(source.split("\n"), 1):
        if BEGIN in line:
            if start is not None:
                raise MarkerError(f"{where}: line {number}: `{BEGIN}` inside the block opened on line {start}")
            start, indent = number, line[: len(line) - len(line.lstrip())]
            continue
        if END in line:
            if start is None:
                raise MarkerError(f"{where}: line {number}: `{END}` without a `{BEGIN}` before it")
            out.extend(indent + line for line in stub)
            start, blocks = None, blocks + 1
            continue
        if start is None:
            out.append(line)
    if start is not None:
        raise MarkerError(f"{where}: line {start}: `{BEGIN}` without an `{END}` after it")
    return "\n".join(out), blocks


def student_notebook(nb, name: str = "notebook", answer: str = ANSWER, stub: tuple[str, ...] = STUB):
    """The student edition of a parsed instructor notebook (a new object; the argument is not modified).
    `answer` and `stub` are what replaces a written answer and a solution block (the Vietnamese edition's own)."""
    nb = nbformat.reads(nbformat.writes(nb), as_version=4)
    for cell in nb.cells:
        where = f"{name}, cell {cell.get('id', '?')}"
        for key in VOLATILE_METADATA:
            cell.metadata.pop(key, None)
        if cell.cell_type == "code":
            cell.source, _ = stubbed(cell.source, where, stub)
            cell.outputs, cell.execution_count = [], None
        else:
            if BEGIN in cell.source or END in cell.source:
                raise MarkerError(f"{where}: solution markers belong in a code cell's function body")
            if "solution" in cell.metadata.get("tags", []):
                cell.source = answer
            cell.source = deepened(cell.source)
    nb.metadata.pop("widgets", None)
    nb.metadata["course"] = {"edition": "student", "source": f"notebooks/{name}",
                             "generated_by": ".ci/student_edition.py (do not edit by hand)"}
    leaks = [c.id for c in nb.cells if BEGIN in c.source or END in c.source]
    if leaks:
        raise MarkerError(f"{name}: solution markers left in cells {leaks}")
    return nb


def expected_files() -> dict[Path, str]:
    """Every student notebook's path and the text it must hold."""
    files = {}
    for path in sorted(SOURCE.glob("[0-9]*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        files[STUDENT / path.name] = nbformat.writes(student_notebook(nb, path.name)) + "\n"
    return files


def differing(files: dict[Path, str], folders: list[Path]) -> list[Path]:
    """Generated notebooks that differ from `files` (path -> text), are missing, or have no source (a notebook
    in `folders` that `files` does not name)."""
    stale = [p for p, text in files.items() if not p.exists() or p.read_text(encoding="utf-8") != text]
    orphans = [p for folder in folders for p in folder.glob("*.ipynb") if p not in files]
    return sorted(stale + orphans)


def write_generated(files: dict[Path, str], folders: list[Path]) -> list[Path]:
    """Write the generated notebooks that differ and remove those without a source; the paths touched."""
    touched = differing(files, folders)
    for path in touched:
        path.parent.mkdir(parents=True, exist_ok=True)
        if path in files:
            path.write_text(files[path], encoding="utf-8")
        else:
            path.unlink()
    return touched


def generated_main(argv: list[str], edition: str, files, folders: list[Path], command: str) -> int:
    """The command line of a generated edition: `--check` names what is out of date (exit 1), else write it."""
    if "--check" in argv:
        stale = differing(files(), folders)
        if stale:
            print(f"{edition} out of date: " + ", ".join(p.relative_to(ROOT).as_posix() for p in stale)
                  + f"\nrun: {command}")
            return 1
        print(f"{edition} up to date")
        return 0
    expected = files()
    written = [p.relative_to(ROOT).as_posix() + ("" if p in expected else " (removed: no source)")
               for p in write_generated(expected, folders)]
    print("wrote: " + (", ".join(written) or "nothing"))
    return 0


def out_of_date() -> list[Path]:
    """Student notebooks that differ from what the source gives, that are missing, or that have no source."""
    return differing(expected_files(), [STUDENT])


def main(argv: list[str]) -> int:
    return generated_main(argv, "student edition", expected_files, [STUDENT], "make student")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
