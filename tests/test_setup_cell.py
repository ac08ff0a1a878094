"""The shared setup cell (notebooks/_setup_cell.py, filled from course.toml): a no-op outside Colab, pinned in Colab.

`python .ci/sync_setup_cell.py` writes the cell and the Colab badges into every notebook and the README;
these tests check that it was, that outside Colab the cell starts no process, opens no connection and
writes nothing (it only sets ROOT, FIGURES and sys.path), that in Colab it fetches the course at the release
course.toml names (or at COURSE_REPO/COURSE_REF/COURSE_HOME when set), checks what it got, and installs only
rnnlab and d2l without dependencies. tests/test_colab.py runs the real thing end to end.
"""

import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent

_spec = importlib.util.spec_from_file_location("sync_setup_cell", ROOT / ".ci" / "sync_setup_cell.py")
sync = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(sync)
SOURCE = sync.setup_source()
CONFIG = sync.course_config()
NOTEBOOKS = sync.course_notebooks()

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

# Runs the cell as if in Colab: a google.colab module is present, subprocess.run and os.chdir only record
# (every command succeeds). An error the cell raises is reported with what IPython would print for it.
IN_COLAB = r"""
import json, os, subprocess, sys, types
sys.modules["google.colab"] = types.ModuleType("google.colab")
calls, dirs = [], []
def fake_run(cmd, **kw):
    calls.append([str(a) for a in cmd])
    return subprocess.CompletedProcess(cmd, 0, "", "")
subprocess.run = fake_run
os.chdir = lambda path: dirs.append(str(path))
namespace = {}
try:
    exec(compile(open(sys.argv[1], encoding="utf-8").read(), "setup_cell", "exec"), namespace)
except Exception as err:
    print(json.dumps({"calls": calls, "error": err._render_traceback_()}))
else:
    print(json.dumps({"calls": calls, "dirs": dirs, "ROOT": str(namespace["ROOT"]),
                      "FIGURES": str(namespace["FIGURES"])}))
"""


def run_cell(harness: str, tmp_path: Path, cwd: Path = ROOT / "notebooks", env: dict | None = None) -> dict:
    cell = tmp_path / "setup_cell.py"
    cell.write_text(SOURCE, encoding="utf-8")
    environ = {k: v for k, v in os.environ.items() if not k.startswith("COURSE_")}
    done = subprocess.run([sys.executable, "-c", harness, str(cell)], cwd=cwd, capture_output=True, text=True,
                          timeout=60, check=False, env={**environ, **(env or {})})
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_there_are_notebooks():
    assert sync.source_notebooks(), "no notebooks/NN_*.ipynb"


def test_setup_cells_and_badges_are_in_sync_with_course_toml():
    assert sync.sync(check=True) == [], "run `python .ci/sync_setup_cell.py`"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.relative_to(ROOT / "notebooks").as_posix() for p in NOTEBOOKS])
def test_notebook_starts_with_the_setup_cell(path):
    cells = nbformat.read(path, as_version=4).cells
    first = cells[0]
    assert first.cell_type == "code", f"{path.name}: the first cell is {first.cell_type}"
    assert first.source == SOURCE, f"{path.name}: run `python .ci/sync_setup_cell.py`"
    assert first.metadata.get("slideshow", {}).get("slide_type") == "skip", f"{path.name}: not skipped"
    # The repository address lives in the setup cell only (badges excepted: they are Colab links).
    again = [k for k, cell in enumerate(cells[1:], start=1) if CONFIG["repo"] in cell.source
             or "COURSE_REPO =" in cell.source]
    assert not again, f"{path.name}: cells {again} repeat the repository address"


def test_the_template_is_filled_from_course_toml():
    assert "@" + "REPO@" not in SOURCE and "@" + "RELEASE@" not in SOURCE
    assert f'COURSE_RELEASE = "{CONFIG["release"]}"' in SOURCE
    assert f'os.environ.get("COURSE_REPO", "{CONFIG["repo"]}")' in SOURCE


@pytest.mark.parametrize("where", [Path("notebooks"), Path("data") / "benchmarks"], ids=str)
def test_outside_colab_it_only_sets_paths(where, tmp_path):
    """From any folder of the clone (generated editions sit one or two levels below notebooks/)."""
    seen = run_cell(OUTSIDE_COLAB, tmp_path, cwd=ROOT / where)
    assert seen["events"] == [], f"the setup cell did more than set paths: {seen['events']}"
    assert seen["control"] == ["os.chdir"], "the audit hook did not record the control action"
    assert Path(seen["ROOT"]) == ROOT
    assert Path(seen["FIGURES"]) == ROOT / "figures"
    assert Path(seen["cwd"]) == ROOT / where
    assert Path(seen["path0"]) == ROOT or str(ROOT) in sys.path


def test_outside_colab_figures_go_where_course_figures_says(tmp_path):
    seen = run_cell(OUTSIDE_COLAB, tmp_path, env={"COURSE_FIGURES": str(tmp_path / "figs")})
    assert Path(seen["FIGURES"]) == tmp_path / "figs"
    assert seen["events"] == []


def test_outside_a_clone_it_says_so_in_one_message(tmp_path):
    cell = tmp_path / "setup_cell.py"
    cell.write_text(SOURCE + "\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-c", "exec(open('setup_cell.py').read())"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode != 0
    assert "CourseSetupError: this notebook is outside a clone of the course" in done.stderr


def colab_home(tmp_path: Path, release: str) -> Path:
    """What a fetch leaves in COURSE_HOME: a .git folder and course.toml (subprocess.run is faked)."""
    home = tmp_path / "content" / "parallel-lstm"
    (home / ".git").mkdir(parents=True)
    (home / "course.toml").write_text(f'repo = "{CONFIG["repo"]}"\nrelease = "{release}"\n', encoding="utf-8")
    return home


def test_in_colab_it_fetches_the_release_and_installs_only_what_colab_lacks(tmp_path):
    home = colab_home(tmp_path, CONFIG["release"])
    seen = run_cell(IN_COLAB, tmp_path, env={"COURSE_HOME": str(home)})
    assert "error" not in seen, seen
    assert seen["ROOT"] == str(home) and seen["FIGURES"] == f"{home}/figures"
    assert seen["dirs"] == [f"{home}/notebooks"]
    init, fetch, checkout, install = seen["calls"]
    assert init == ["git", "init", "-q", str(home)]
    assert fetch[-2:] == [CONFIG["repo"], CONFIG["release"]] and "fetch" in fetch and "--depth" in fetch
    assert checkout[-1] == "FETCH_HEAD"
    assert install[1:4] == ["-m", "pip", "install"] and "--no-deps" in install
    packages = [a for a in install[4:] if not a.startswith("-")]
    assert packages == [str(home), "d2l==1.0.3"], packages
    assert not [a for a in install if re.search(r"numpy|torch|cupy|pandas|matplotlib", a, re.I)]
    # Run again in the same runtime: nothing is fetched or installed twice.
    again = run_cell(IN_COLAB, tmp_path, env={"COURSE_HOME": str(home)})
    assert again["calls"] == [] and again["dirs"] == [f"{home}/notebooks"]


def test_in_colab_the_default_home_is_content(tmp_path):
    seen = run_cell(IN_COLAB, tmp_path)
    # /content/parallel-lstm does not exist here, so the release check stops it: after trying that address.
    assert seen["calls"][0] == ["git", "init", "-q", "/content/parallel-lstm"]


def test_in_colab_forks_and_tests_override_address_ref_and_home(tmp_path):
    home = colab_home(tmp_path, "v0.0.0-other")
    sha = "0123456789abcdef0123456789abcdef01234567"
    seen = run_cell(IN_COLAB, tmp_path, env={"COURSE_HOME": str(home), "COURSE_REPO": "file:///srv/course.git",
                                             "COURSE_REF": sha})
    assert "error" not in seen, seen  # a ref other than the release is not held to course.toml's release
    assert seen["calls"][1][-2:] == ["file:///srv/course.git", sha]


def test_in_colab_a_course_that_is_not_the_release_is_refused_in_one_message(tmp_path):
    home = colab_home(tmp_path, "v0.0.1")
    seen = run_cell(IN_COLAB, tmp_path, env={"COURSE_HOME": str(home)})
    assert len(seen["error"]) == 1, seen
    assert f"is not release {CONFIG['release']}" in seen["error"][0] and "'v0.0.1'" in seen["error"][0]
    assert not [c for c in seen["calls"] if "pip" in c], "installed a course that is not the release"


def test_readme_has_a_colab_badge_per_notebook():
    """Per notebook and language: the badge opens the student edition, a second link the instructor edition."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    expected = {sync.colab_url(path) for path in sync.source_notebooks()}
    expected |= {sync.colab_url(path.parent / "student" / path.name) for path in sync.source_notebooks()}
    # The Vietnamese edition's: the badge opens notebooks/vi/student/, the link notebooks/vi/.
    expected |= {sync.colab_url(path.parent / "vi" / sub / path.name) for path in sync.source_notebooks()
                 for sub in ("student", "")}
    found = set(re.findall(r"https://colab\.research\.google\.com/github/[^)\s\"']+", readme))
    assert not expected - found, f"README.md lacks the Colab links {sorted(expected - found)}"
    assert not found - {sync.colab_url(path) for path in NOTEBOOKS}, (
        f"README.md has Colab links that do not follow course.toml: {sorted(found - expected)} "
        "(`python .ci/sync_setup_cell.py`)")
