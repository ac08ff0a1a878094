"""Google Colab, emulated end to end without reaching GitHub: what a student gets from a badge.

Colab opens a notebook from GitHub at the release its badge names, outside any copy of the course, in a
Python that has numpy, pandas, matplotlib and torch but not rnnlab, with `google.colab` imported at start.
Here:
- the course is released (`.ci/release.py`, the maintainers' `make release`) in a scratch clone of this
  repository, and served from a local bare clone through COURSE_REPO=file://...;
- a notebook is copied out of the release and executed top to bottom, unchanged, by a kernel whose Python
  has `google.colab` in sys.modules from start-up and no rnnlab, d2l or CuPy (a CPU runtime);
- the setup cell must fetch the release into COURSE_HOME, install rnnlab there, and the notebook must import
  rnnlab from it.
Where a Python 3.13 interpreter is present (Colab's version), one theory notebook also runs under it, in an
environment with the numpy, pandas, matplotlib and tqdm versions Colab ships (.ci/colab-stack.txt).
"""

import glob
import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
RELEASE = "v0.0.0-colab-emulation"
STACK = ROOT / ".ci" / "colab-stack.txt"
# A Colab CPU runtime has none of these; they must come from the setup cell or not be needed.
NOT_IN_COLAB = ("rnnlab", "d2l", "cupy", "cupyx", "cupy_backends", "fastrlock", "__editable__")
# Makes a Python look like Colab's from start-up: a .pth line starting with `import` runs when site loads.
COLAB_PTH = 'import sys, types; sys.modules.setdefault("google.colab", types.ModuleType("google.colab"))\n'
# Appended to the opened notebook: where rnnlab came from, as JSON.
REPORT = ('import json, os, sys, rnnlab\n'
          'print(json.dumps({"rnnlab": rnnlab.__file__, "cwd": os.getcwd(), "colab": "google.colab" in sys.modules,'
          ' "python": sys.version.split()[0]}))')

pytestmark = pytest.mark.slow


def run(*cmd, **kwargs):
    return subprocess.run([str(c) for c in cmd], check=True, capture_output=True, text=True, timeout=900, **kwargs)


@pytest.fixture(scope="module")
def released(tmp_path_factory):
    """A release of this repository's HEAD in a scratch clone, pushed with its tag to a local bare clone."""
    base = tmp_path_factory.mktemp("colab")
    scratch, bare = base / "scratch", base / "course.git"
    run("git", "clone", "-q", ROOT, scratch)
    run("git", "-C", scratch, "config", "user.email", "ci@example.invalid")
    run("git", "-C", scratch, "config", "user.name", "CI")
    run(sys.executable, scratch / ".ci" / "release.py", RELEASE, cwd=scratch)
    run("git", "init", "-q", "--bare", bare)
    run("git", "-C", scratch, "push", "-q", bare, "HEAD:refs/heads/main", RELEASE)
    return {"scratch": scratch, "url": f"file://{bare}", "base": base,
            "commit": run("git", "-C", scratch, "rev-parse", f"{RELEASE}^{{commit}}").stdout}


def python_env(base: Path, python: str, name: str) -> Path:
    """A fresh environment of `python` whose packages are this test run's, less those Colab lacks."""
    env = base / name
    run(python, "-m", "venv", "--without-pip", env)
    site = Path(run(env / "bin" / "python", "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])")
                .stdout.strip())
    shadow = base / f"{name}-packages"
    shadow.mkdir()
    ours = Path(sysconfig.get_paths()["purelib"])
    for entry in ours.iterdir():
        if not entry.name.lower().startswith(NOT_IN_COLAB) and entry.suffix != ".pth":
            (shadow / entry.name).symlink_to(entry)
    (site / "course_packages.pth").write_text(f"{shadow}\n", encoding="utf-8")
    (site / "google_colab.pth").write_text(COLAB_PTH, encoding="utf-8")
    return env


def colab_stack_env(base: Path, python: str) -> Path:
    """A Python 3.13 environment with Colab's own versions of numpy, pandas, matplotlib and tqdm."""
    env = base / "py313"
    run(python, "-m", "venv", env)
    run(env / "bin" / "python", "-m", "pip", "install", "-q", "-r", STACK, "ipykernel")
    site = Path(run(env / "bin" / "python", "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])")
                .stdout.strip())
    (site / "google_colab.pth").write_text(COLAB_PTH, encoding="utf-8")
    return env


def kernel(released, env: Path, monkeypatch) -> str:
    """A kernel spec that runs env's Python, found through JUPYTER_PATH; returns its name."""
    name = f"colab-{env.name}"
    spec = released["base"] / "jupyter" / "kernels" / name
    spec.mkdir(parents=True, exist_ok=True)
    monkeypatch.setenv("JUPYTER_PATH", str(released["base"] / "jupyter"))
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [str(env / "bin" / "python"), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": name, "language": "python"}), encoding="utf-8")
    return name


def open_in_colab(released, notebook: str, env: Path, monkeypatch, home: Path, allow_errors: bool = False,
                  **course_env) -> nbformat.NotebookNode:
    """Copy the notebook out of the release, as Colab opens it, and run it top to bottom in env's kernel."""
    opened = home.parent / "opened"
    opened.mkdir(parents=True, exist_ok=True)
    shutil.copy(released["scratch"] / "notebooks" / notebook, opened / Path(notebook).name)
    nb = nbformat.read(opened / Path(notebook).name, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(REPORT))
    monkeypatch.setenv("COURSE_HOME", str(home))
    monkeypatch.setenv("COURSE_REPO", released["url"])
    monkeypatch.delenv("COURSE_REF", raising=False)
    monkeypatch.delenv("COURSE_FIGURES", raising=False)
    monkeypatch.delenv("PYTHONPATH", raising=False)
    monkeypatch.delenv("VIRTUAL_ENV", raising=False)
    for key, value in course_env.items():
        monkeypatch.setenv(key, value)
    NotebookClient(nb, timeout=900, kernel_name=kernel(released, env, monkeypatch), allow_errors=allow_errors,
                   resources={"metadata": {"path": str(opened)}}).execute()
    return nb


def report(nb) -> dict:
    return json.loads(nb.cells[-1].outputs[0]["text"].strip().splitlines()[-1])


def text_of(nb) -> str:
    return "\n".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)


@pytest.fixture(scope="module")
def cpu_runtime(released):
    env = python_env(released["base"], sys.executable, "py311")
    missing = subprocess.run([env / "bin" / "python", "-c", "import rnnlab"], capture_output=True, check=False,
                             cwd=released["base"], env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"})
    assert missing.returncode != 0, "the emulated Colab Python can import rnnlab before the setup cell"
    return env


@pytest.mark.parametrize("notebook", ["01_rnn.ipynb", "07_numpy_lstm_sequential.ipynb", "10_cupy_gpu_lstm.ipynb"])
def test_a_notebook_opened_from_its_badge_runs_in_colab(notebook, released, cpu_runtime, monkeypatch, tmp_path):
    home = tmp_path / "content" / "parallel-lstm"
    nb = open_in_colab(released, notebook, cpu_runtime, monkeypatch, home)
    seen = report(nb)
    assert seen["colab"], "google.colab was not imported at start-up"
    assert Path(seen["rnnlab"]).resolve().is_relative_to(home.resolve()), seen
    assert Path(seen["cwd"]) == home / "notebooks"
    assert run("git", "-C", home, "rev-parse", "HEAD").stdout == released["commit"], "not the release's commit"
    installed = run(cpu_runtime / "bin" / "python", "-m", "pip", "list", "--format", "json").stdout
    assert {"rnnlab", "d2l"} <= {p["name"] for p in json.loads(installed)}
    if notebook.startswith("10_"):
        assert "fall back to NumPy" in text_of(nb), "the CuPy notebook must say that it falls back to NumPy"


@pytest.mark.parametrize("notebook", ["student/01_rnn.ipynb", "vi/student/01_rnn.ipynb"], ids=["en", "vi"])
def test_a_student_notebook_opened_from_its_badge_runs_in_colab(notebook, released, cpu_runtime, monkeypatch,
                                                                 tmp_path):
    """The student edition's badge (English and Vietnamese): every cell runs, and only the exercises' checkers
    fail, as not implemented."""
    home = tmp_path / "content" / "parallel-lstm"
    nb = open_in_colab(released, notebook, cpu_runtime, monkeypatch, home, allow_errors=True)
    assert Path(report(nb)["rnnlab"]).resolve().is_relative_to(home.resolve())
    errors = [(o.ename, o.evalue) for c in nb.cells if c.cell_type == "code" for o in c.outputs
              if o.output_type == "error"]
    assert errors, "the student notebook's checkers did not run"
    assert all(name == "ExerciseError" and "is not implemented yet" in value for name, value in errors), errors


def test_colab_can_be_pointed_at_a_commit(released, cpu_runtime, monkeypatch, tmp_path):
    commit = run("git", "-C", released["scratch"], "rev-parse", "HEAD~1").stdout.strip()
    home = tmp_path / "content" / "parallel-lstm"
    nb = open_in_colab(released, "02_lstm.ipynb", cpu_runtime, monkeypatch, home, COURSE_REF=commit)
    assert Path(report(nb)["rnnlab"]).resolve().is_relative_to(home.resolve())
    assert run("git", "-C", home, "rev-parse", "HEAD").stdout.strip() == commit


def test_a_fetch_that_fails_stops_with_one_clear_line(released, cpu_runtime, monkeypatch, tmp_path):
    nb = nbformat.v4.new_notebook(cells=[nbformat.read(released["scratch"] / "notebooks" / "01_rnn.ipynb",
                                                       as_version=4).cells[0]])
    monkeypatch.setenv("COURSE_HOME", str(tmp_path / "content" / "parallel-lstm"))
    monkeypatch.setenv("COURSE_REPO", f"file://{tmp_path}/no-such-course.git")
    monkeypatch.setenv("COURSE_REF", "v9.9.9")
    client = NotebookClient(nb, timeout=300, kernel_name=kernel(released, cpu_runtime, monkeypatch),
                            allow_errors=True,
                            resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    (error,) = [o for o in nb.cells[0].outputs if o.output_type == "error"]
    assert len(error.traceback) == 1, error.traceback
    line = error.traceback[0]
    assert "Course setup failed" in line and "no-such-course.git" in line and "v9.9.9" in line, line
    assert "Traceback" not in line and "CalledProcessError" not in line


def python313() -> str | None:
    candidates = [shutil.which("python3.13"), *sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.13*/bin/python3.13")))]
    for candidate in filter(None, candidates):
        if subprocess.run([candidate, "--version"], capture_output=True, check=False).returncode == 0:
            return candidate
    return None


@pytest.mark.skipif(python313() is None, reason="no Python 3.13 interpreter here (Colab's version)")
def test_a_theory_notebook_runs_on_colabs_python_and_stack(released, monkeypatch, tmp_path):
    env = colab_stack_env(tmp_path, python313())
    home = tmp_path / "content" / "parallel-lstm"
    nb = open_in_colab(released, "01_rnn.ipynb", env, monkeypatch, home)
    seen = report(nb)
    assert seen["python"].startswith("3.13") and seen["colab"]
    assert Path(seen["rnnlab"]).resolve().is_relative_to(home.resolve())
    versions = run(env / "bin" / "python", "-m", "pip", "list", "--format", "freeze").stdout.lower().split()
    pinned = [line for line in STACK.read_text().split() if "==" in line]
    assert set(pinned) <= set(versions), "the Colab stack was not installed as pinned"
