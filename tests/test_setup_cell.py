"""The shared setup cell (notebooks/_setup_cell.py): in every notebook, a no-op outside Colab, pinned in Colab.

`python .ci/sync_setup_cell.py` writes the cell into every notebook; these tests check that it was, that
outside Colab the cell starts no process, opens no connection and writes nothing (it only sets ROOT,
FIGURES and sys.path), that in Colab it clones the course at a pinned tag and installs only rnnlab and d2l
without dependencies, and that the README's Colab badges point where COURSE_REPO and COURSE_REF say.
"""

import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))

_spec = importlib.util.spec_from_file_location("sync_setup_cell", ROOT / ".ci" / "sync_setup_cell.py")
sync = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(sync)
SOURCE = sync.setup_source()
CONSTANTS = sync.setup_constants()

# Runs the cell in a fresh interpreter with an audit hook that records every process, connection, file
# write, directory change and file-system change (PEP 578 audit events), then prints what it saw as JSON.
# A control action after the cell proves that the hook records.
OUTSIDE_COLAB = r"""
import json, os, sys
events = []
WATCHED = ("subprocess.", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork", "socket.",
           "urllib.", "http.", "os.chdir", "os.mkdir", "os.rmdir", "os.remove", "os.rename", "os.symlink",
           "os.link", "os.truncate", "os.chmod", "os.chown", "os.utime", "shutil.")
WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
def hook(event, args):
    if event.startswith(WATCHED):
        events.append(event)
    elif event == "open":
        path, mode, flags = args
        writes = any(c in mode for c in "wax+") if isinstance(mode, str) else bool((flags or 0) & WRITE_FLAGS)
        if writes:
            events.append(f"open for writing: {path}")
sys.addaudithook(hook)
namespace = {}
exec(compile(open(sys.argv[1], encoding="utf-8").read(), "setup_cell", "exec"), namespace)
during = list(events)
os.chdir(os.getcwd())  # the control: must be recorded
print(json.dumps({"events": during, "control": events[len(during):], "ROOT": str(namespace["ROOT"]),
                  "FIGURES": str(namespace["FIGURES"]), "path0": sys.path[0], "cwd": os.getcwd()}))
"""

# Runs the cell as if in Colab: a google.colab module is present, subprocess.run and os.chdir only record.
IN_COLAB = r"""
import json, os, subprocess, sys, types
sys.modules["google.colab"] = types.ModuleType("google.colab")
calls, dirs = [], []
subprocess.run = lambda cmd, **kw: calls.append([str(a) for a in cmd])
os.chdir = lambda path: dirs.append(str(path))
namespace = {}
exec(compile(open(sys.argv[1], encoding="utf-8").read(), "setup_cell", "exec"), namespace)
print(json.dumps({"calls": calls, "dirs": dirs, "ROOT": str(namespace["ROOT"]),
                  "FIGURES": str(namespace["FIGURES"])}))
"""


def run_cell(harness: str) -> dict:
    done = subprocess.run([sys.executable, "-c", harness, str(sync.SETUP)], cwd=ROOT / "notebooks",
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_there_are_notebooks():
    assert NOTEBOOKS, "no notebooks/NN_*.ipynb"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_starts_with_the_setup_cell(path):
    cells = nbformat.read(path, as_version=4).cells
    first = cells[0]
    assert first.cell_type == "code", f"{path.name}: the first cell is {first.cell_type}"
    assert first.source == SOURCE, f"{path.name}: run `python .ci/sync_setup_cell.py`"
    assert first.metadata.get("slideshow", {}).get("slide_type") == "skip", f"{path.name}: not skipped"
    # The repository address lives in the setup cell only.
    again = [k for k, cell in enumerate(cells[1:], start=1) if CONSTANTS["COURSE_REPO"] in cell.source
             or "COURSE_REPO =" in cell.source]
    assert not again, f"{path.name}: cells {again} repeat the repository address"


def test_outside_colab_it_only_sets_paths():
    seen = run_cell(OUTSIDE_COLAB)
    assert seen["events"] == [], f"the setup cell did more than set paths: {seen['events']}"
    assert seen["control"] == ["os.chdir"], "the audit hook did not record the control action"
    assert Path(seen["ROOT"]) == ROOT
    assert Path(seen["FIGURES"]) == ROOT / "figures"
    assert Path(seen["cwd"]) == ROOT / "notebooks"
    assert Path(seen["path0"]) == ROOT or str(ROOT) in sys.path


def test_in_colab_it_clones_a_pinned_version_and_installs_only_what_colab_lacks():
    seen = run_cell(IN_COLAB)
    colab_root = "/content/parallel-lstm"
    assert seen["ROOT"] == colab_root and seen["FIGURES"] == f"{colab_root}/figures"
    assert seen["dirs"] == [f"{colab_root}/notebooks"]
    clone, install = seen["calls"]
    ref = CONSTANTS["COURSE_REF"]
    assert clone[:2] == ["git", "clone"] and CONSTANTS["COURSE_REPO"] in clone and clone[-1] == colab_root
    assert clone[clone.index("--branch") + 1] == ref
    assert re.fullmatch(r"v\d+(\.\d+)*", ref), f"COURSE_REF={ref!r} is not a release tag (pin the version)"
    assert install[1:4] == ["-m", "pip", "install"] and "--no-deps" in install
    packages = [a for a in install[4:] if not a.startswith("-")]
    assert packages == [colab_root, "d2l==1.0.3"], packages
    assert not [a for a in install if re.search(r"numpy|torch|cupy", a, re.I)]


def test_readme_has_a_colab_badge_per_notebook():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    expected = {sync.colab_url(path) for path in NOTEBOOKS}
    found = set(re.findall(r"https://colab\.research\.google\.com/github/[^)\s\"']+", readme))
    assert not expected - found, f"README.md lacks the Colab links {sorted(expected - found)}"
    assert not found - expected, (f"README.md has Colab links that do not follow COURSE_REPO/COURSE_REF: "
                                  f"{sorted(found - expected)} (`python .ci/sync_setup_cell.py --badges`)")
