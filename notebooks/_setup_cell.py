# Course setup: this same cell opens every notebook (source: notebooks/_setup_cell.py; address and release
# from course.toml, written by `make release`). In Google Colab it fetches the course at that release and
# installs only what Colab lacks (rnnlab, d2l); it never reinstalls numpy, torch or CuPy. Elsewhere it only
# sets paths. Forks and tests may set COURSE_REPO, COURSE_REF (tag, branch or commit id), COURSE_HOME.
import os
import subprocess
import sys
import tomllib
from pathlib import Path

COURSE_RELEASE = "@RELEASE@"
COURSE_REPO = os.environ.get("COURSE_REPO", "@REPO@")
COURSE_REF = os.environ.get("COURSE_REF", COURSE_RELEASE)


class CourseSetupError(RuntimeError):
    def _render_traceback_(self):  # IPython prints this one message instead of a traceback
        return [f"\x1b[1;31mCourse setup failed:\x1b[0m {self}"]


def _run(*cmd):
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        why = (done.stderr.strip().splitlines() or [f"exit status {done.returncode}"])[-1]
        raise CourseSetupError(f"`{' '.join(cmd[:4])} ...` failed: {why}")


if "google.colab" in sys.modules:
    ROOT = Path(os.environ.get("COURSE_HOME", "/content/parallel-lstm"))
    done_marker = ROOT / ".git" / "course-setup-done"
    if not (done_marker.exists() and done_marker.read_text() == f"{COURSE_REPO} {COURSE_REF}"):
        try:
            _run("git", "init", "-q", str(ROOT))
            _run("git", "-C", str(ROOT), "fetch", "-q", "--depth", "1", COURSE_REPO, COURSE_REF)
            _run("git", "-C", str(ROOT), "checkout", "-q", "--force", "--detach", "FETCH_HEAD")
        except (CourseSetupError, OSError, subprocess.TimeoutExpired) as err:
            raise CourseSetupError(
                f"could not fetch the course from {COURSE_REPO} at {COURSE_REF} ({err}). Check that the "
                "runtime is connected to the internet and run this cell again; if it fails again, open the "
                "notebook from the README's badges (they name a published release), or set COURSE_REPO and "
                "COURSE_REF to a course address and version that exist.") from None
        toml = ROOT / "course.toml"
        fetched = tomllib.loads(toml.read_text(encoding="utf-8")).get("release") if toml.exists() else None
        if COURSE_REF == COURSE_RELEASE and fetched != COURSE_RELEASE:
            raise CourseSetupError(
                f"{COURSE_REPO} at {COURSE_REF} is not release {COURSE_RELEASE} (its course.toml says "
                f"{fetched!r}): the tag was moved or made by hand. Open the notebook again from the README's "
                "badges, or ask the maintainers to re-publish the release with `make release`.")
        # --no-deps: rnnlab's numpy, pandas, matplotlib and tqdm, and d2l's torch, are Colab's own.
        _run(sys.executable, "-m", "pip", "install", "-q", "--no-deps", "-e", str(ROOT), "d2l==1.0.3")
        done_marker.write_text(f"{COURSE_REPO} {COURSE_REF}")
    os.chdir(ROOT / "notebooks")
else:
    ROOT = next((p for p in [Path.cwd().resolve(), *Path.cwd().resolve().parents]
                 if (p / "pyproject.toml").exists() and (p / "rnnlab").is_dir()), None)
    if ROOT is None:
        raise CourseSetupError("this notebook is outside a clone of the course: open it from the course's "
                               "folder (`make lab`), or in Colab from the README's badges.")
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
# Under test the figures go to a scratch folder, so that `make test` leaves figures/ as it is.
FIGURES = Path(os.environ.get("COURSE_FIGURES", ROOT / "figures"))
