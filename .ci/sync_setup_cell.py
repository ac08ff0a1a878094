"""Write notebooks/_setup_cell.py into the first cell of every course notebook; print the Colab badges.

    python .ci/sync_setup_cell.py            # rewrite the setup cell where it differs (outputs kept)
    python .ci/sync_setup_cell.py --check    # exit 1, naming the notebooks, if any setup cell differs
    python .ci/sync_setup_cell.py --badges   # the README's "Open in Colab" badges, from COURSE_REPO/REF

The first cell of a notebook is taken as its setup cell when it is a code cell tagged `setup` or starting
with the setup cell's first line; otherwise a setup cell is inserted before it. Either way the cell gets
slide type `skip` and the tag `setup`. Only notebooks whose setup cell changes are written. The setup cell
prints nothing outside Colab, so its stored outputs (none) stay valid; no notebook needs re-executing.
"""

import ast
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
SETUP = ROOT / "notebooks" / "_setup_cell.py"


def setup_source() -> str:
    return SETUP.read_text(encoding="utf-8").strip("\n")


def course_notebooks() -> list[Path]:
    return sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))


def setup_constants() -> dict[str, str]:
    """The string constants the setup cell assigns (COURSE_REPO, COURSE_REF), read without running it."""
    out = {}
    for node in ast.parse(setup_source()).body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
            for target in node.targets:
                if isinstance(target, ast.Name) and isinstance(node.value.value, str):
                    out[target.id] = node.value.value
    return out


def colab_url(notebook: Path) -> str:
    """https://colab.research.google.com/github/OWNER/REPO/blob/REF/notebooks/NAME, from the setup cell."""
    constants = setup_constants()
    repo = constants["COURSE_REPO"].removesuffix(".git")
    prefix = "https://github.com/"
    if not repo.startswith(prefix):
        raise ValueError(f"COURSE_REPO must be a https://github.com/OWNER/REPO address, got {repo!r}")
    return (f"https://colab.research.google.com/github/{repo[len(prefix):]}/blob/{constants['COURSE_REF']}"
            f"/notebooks/{notebook.name}")


def badge(notebook: Path) -> str:
    return (f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
            f"({colab_url(notebook)})")


def is_setup_cell(cell, first_line: str) -> bool:
    return cell.cell_type == "code" and ("setup" in cell.metadata.get("tags", [])
                                         or cell.source.startswith(first_line))


def synced(nb, source: str) -> bool:
    """Make the notebook's first cell the setup cell; True when the notebook changed."""
    first_line = source.split("\n", 1)[0]
    before = nbformat.writes(nb)
    if nb.cells and is_setup_cell(nb.cells[0], first_line):
        cell = nb.cells[0]
        cell.source = source
    else:
        cell = nbformat.v4.new_code_cell(source)
        cell.id = "setup"
        nb.cells.insert(0, cell)
    cell.metadata.setdefault("slideshow", {})["slide_type"] = "skip"
    tags = cell.metadata.setdefault("tags", [])
    if "setup" not in tags:
        tags.append("setup")
    return nbformat.writes(nb) != before


def main(argv: list[str]) -> int:
    if "--badges" in argv:
        for path in course_notebooks():
            print(f"| {path.stem} | {badge(path)} |")
        return 0
    check = "--check" in argv
    source = setup_source()
    differ = []
    for path in course_notebooks():
        nb = nbformat.read(path, as_version=4)
        if synced(nb, source):
            differ.append(path.name)
            if not check:
                nbformat.write(nb, path)
    if check and differ:
        print("setup cell differs from notebooks/_setup_cell.py in: " + ", ".join(differ))
        print("run: python .ci/sync_setup_cell.py")
        return 1
    print(("would update: " if check else "updated: ") + (", ".join(differ) or "nothing"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
