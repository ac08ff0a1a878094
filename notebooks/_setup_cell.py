# Course setup: this same cell opens every notebook (source: notebooks/_setup_cell.py).
# In Google Colab it fetches the course at a pinned version and installs only what Colab
# lacks (rnnlab and d2l); it never reinstalls numpy, torch or CuPy. Elsewhere it only sets paths.
import os
import subprocess
import sys
from pathlib import Path

COURSE_REPO = "https://github.com/parallel-lstm-course/parallel-lstm.git"
COURSE_REF = "v1.0.0"  # a release tag, not a branch: Colab runs the code this notebook was written for
if "google.colab" in sys.modules:
    ROOT = Path("/content/parallel-lstm")
    if not ROOT.exists():
        subprocess.run(["git", "clone", "-q", "--depth", "1", "--branch", COURSE_REF, COURSE_REPO, str(ROOT)],
                       check=True)
        # --no-deps: rnnlab's numpy, pandas, matplotlib and tqdm, and d2l's torch, are Colab's own.
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "-e", str(ROOT),
                        "d2l==1.0.3"], check=True)
    os.chdir(ROOT / "notebooks")
else:
    ROOT = Path.cwd().resolve().parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
FIGURES = ROOT / "figures"
