"""What the slide checks say about some notebooks, without building every deck: the edit-test loop for slides.

    .venv/bin/python .ci/slide_report.py notebooks/05_lstm_d2l_pytorch.ipynb [more notebooks]

Builds the full decks of the given notebooks into build/slide-report/ (`make slides` with SLIDES_DIR and
NOTEBOOKS set), then runs tests/test_slides.py's section-notes, `%% [notes]` and overflow checks on them and
prints every problem: each level-2 section without speaker notes, each slide larger than 960x700 with its
measured size. Exit status 0 when nothing is wrong.
"""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "build" / "slide-report"


def main(argv: list[str]) -> int:
    notebooks = [Path(arg).resolve() for arg in argv]
    if not notebooks or any(not nb.is_file() or nb.suffix != ".ipynb" for nb in notebooks):
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    listed = " ".join(str(nb.relative_to(ROOT)) for nb in notebooks)
    subprocess.run(["make", "-s", "slides", f"SLIDES_DIR={OUT}", f"NOTEBOOKS={listed}"], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)
    stems = " or ".join(nb.stem for nb in notebooks)
    checks = "test_every_section_has_speaker_notes or test_no_literal_notes_marker or test_no_slide_overflows"
    env = dict(os.environ, REQUIRE_SLIDES="1", SLIDES_DIR=str(OUT))
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--tb=line",
                           "-k", f"({checks}) and ({stems})", str(ROOT / "tests" / "test_slides.py")],
                          cwd=ROOT, env=env).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
