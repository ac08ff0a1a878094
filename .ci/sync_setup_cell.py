"""Write the setup cell and the Colab badges from course.toml into every notebook and the README.

    python .ci/sync_setup_cell.py            # rewrite setup cells and badges where they differ (outputs kept)
    python .ci/sync_setup_cell.py --check    # exit 1, naming the files, if any setup cell or badge differs
    python .ci/sync_setup_cell.py --badges   # print the README's "Open in Colab" table cells

course.toml holds the course's public address (`repo`) and its release (`release`): the one place for both.
notebooks/_setup_cell.py is the setup cell's template; `@REPO@` and `@RELEASE@` in it are filled from
course.toml. Every notebook under notebooks/ (the source notebooks and the generated editions in folders
below it) starts with the rendered cell. A Colab badge is any link to colab.research.google.com/github/...:
its owner, repository and ref are rewritten to course.toml's, its path is kept.

The first cell of a notebook is taken as its setup cell when it is a code cell tagged `setup` or starting
with the setup cell's first line; otherwise a setup cell is inserted before it. Either way the cell gets
slide type `skip` and the tag `setup`. Only files that change are written. The setup cell prints nothing
outside Colab, so its stored outputs (none) stay valid; no notebook needs re-executing.
"""

import re
import sys
import tomllib
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "course.toml"
TEMPLATE = ROOT / "notebooks" / "_setup_cell.py"
README = ROOT / "README.md"
COLAB_LINK = re.compile(r"https://colab\.research\.google\.com/github/[^/\s)\"']+/[^/\s)\"']+/blob/"
                        r"[^/\s)\"']+/(?P<path>notebooks/[^\s)\"']+\.ipynb)")
GITHUB = "https://github.com/"


def course_config() -> dict[str, str]:
    """course.toml's `repo` and `release`, checked."""
    config = tomllib.loads(CONFIG.read_text(encoding="utf-8"))
    repo, release = config.get("repo"), config.get("release")
    if not (isinstance(repo, str) and repo.startswith(GITHUB) and len(github_path(repo).split("/")) == 2):
        raise ValueError(f"course.toml: repo must be a https://github.com/OWNER/REPO(.git) address, got {repo!r}")
    if not (isinstance(release, str) and re.fullmatch(r"v\d+(\.\d+)*(-[0-9A-Za-z.-]+)?", release)):
        raise ValueError(f"course.toml: release must be a version tag such as v1.2.0, got {release!r}")
    return {"repo": repo, "release": release}


def github_path(repo: str) -> str:
    """OWNER/REPO of a https://github.com/OWNER/REPO(.git) address."""
    return repo.removeprefix(GITHUB).removesuffix(".git").strip("/")


def setup_source(config: dict[str, str] | None = None) -> str:
    config = config or course_config()
    return (TEMPLATE.read_text(encoding="utf-8").strip("\n")
            .replace("@REPO@", config["repo"]).replace("@RELEASE@", config["release"]))


def course_notebooks() -> list[Path]:
    """Every notebook of every edition: notebooks/NN_*.ipynb and those in the folders below it."""
    return sorted(p for p in (ROOT / "notebooks").rglob("[0-9]*.ipynb") if ".ipynb_checkpoints" not in p.parts)


def source_notebooks() -> list[Path]:
    """The English instructor edition, the one that is executed and tested: notebooks/NN_*.ipynb."""
    return sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))


def colab_url(notebook: Path, config: dict[str, str] | None = None) -> str:
    """https://colab.research.google.com/github/OWNER/REPO/blob/RELEASE/notebooks/..., from course.toml."""
    config = config or course_config()
    path = notebook.resolve().relative_to(ROOT).as_posix()
    return f"https://colab.research.google.com/github/{github_path(config['repo'])}/blob/{config['release']}/{path}"


def badge(notebook: Path) -> str:
    """The README's Colab cell of a source notebook: the badge opens the student edition, the link the instructor's."""
    student = notebook.parent / "student" / notebook.name
    return (f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
            f"({colab_url(student)}) [instructor]({colab_url(notebook)})")


def vi_badge(notebook: Path) -> str:
    """The README's Vietnamese Colab cell: the badge opens notebooks/vi/student/, the link notebooks/vi/."""
    vi = notebook.parent / "vi"
    return (f"[![Mở trong Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
            f"({colab_url(vi / 'student' / notebook.name)}) [giảng viên]({colab_url(vi / notebook.name)})")


def with_current_badges(text: str, config: dict[str, str]) -> str:
    return COLAB_LINK.sub(lambda m: colab_url(ROOT / m["path"], config), text)


def is_setup_cell(cell, first_line: str) -> bool:
    return cell.cell_type == "code" and ("setup" in cell.metadata.get("tags", [])
                                         or cell.source.startswith(first_line))


def synced(nb, source: str, config: dict[str, str]) -> bool:
    """Make the notebook's first cell the setup cell and its badges current; True when the notebook changed."""
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
    for other in nb.cells[1:]:
        if other.cell_type == "markdown":
            other.source = with_current_badges(other.source, config)
    return nbformat.writes(nb) != before


def sync(check: bool) -> list[str]:
    """Bring every notebook and the README in line with course.toml; the names of the files that differed."""
    config = course_config()
    source = setup_source(config)
    differ = []
    for path in course_notebooks():
        nb = nbformat.read(path, as_version=4)
        if synced(nb, source, config):
            differ.append(path.relative_to(ROOT).as_posix())
            if not check:
                nbformat.write(nb, path)
    readme = README.read_text(encoding="utf-8")
    if with_current_badges(readme, config) != readme:
        differ.append("README.md")
        if not check:
            README.write_text(with_current_badges(readme, config), encoding="utf-8")
    return differ


def main(argv: list[str]) -> int:
    if "--badges" in argv:
        for path in source_notebooks():
            print(f"| {path.stem} | {badge(path)} | {vi_badge(path)} |")
        return 0
    check = "--check" in argv
    differ = sync(check)
    if check and differ:
        print("setup cell or Colab badges differ from course.toml and notebooks/_setup_cell.py in: "
              + ", ".join(differ))
        print("run: python .ci/sync_setup_cell.py")
        return 1
    print(("would update: " if check else "updated: ") + (", ".join(differ) or "nothing"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
