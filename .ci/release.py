"""Make a release that Colab can open: `make release VERSION=v1.2.0 [REPO=https://github.com/OWNER/REPO.git]`.

A commit cannot contain its own id, so the notebooks name a tag instead:
1. refuse unless the work tree is clean and the tag is new;
2. write VERSION (and REPO, when given) into course.toml;
3. write them into every notebook's setup cell and every Colab badge (README and every notebook edition)
   with .ci/sync_setup_cell.py;
4. regenerate the student edition (notebooks/student/, .ci/student_edition.py) and the Vietnamese edition
   (notebooks/vi/, .ci/i18n.py) from the synced sources, so that every edition names VERSION;
5. commit that change and tag the commit VERSION.
A badge opens notebooks/student/NN_topic.ipynb (or the instructor edition notebooks/NN_topic.ipynb) as it is
at the tag; its setup cell fetches the course at the same
tag and checks that the course.toml it got names VERSION, so what an opened notebook runs cannot change
after a later push. Publishing is then `git push origin HEAD VERSION`.
"""

import argparse
import importlib.util
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("sync_setup_cell", ROOT / ".ci" / "sync_setup_cell.py")
sync = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(sync)
_spec = importlib.util.spec_from_file_location("student_edition", ROOT / ".ci" / "student_edition.py")
student_edition = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(student_edition)
_spec = importlib.util.spec_from_file_location("i18n", ROOT / ".ci" / "i18n.py")
i18n = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("i18n", i18n)
_spec.loader.exec_module(i18n)


def git(*args: str) -> str:
    return subprocess.run(["git", "-C", str(ROOT), *args], check=True, capture_output=True,
                          text=True).stdout.strip()


def write_config(version: str, repo: str | None) -> None:
    text = sync.CONFIG.read_text(encoding="utf-8")
    text = re.sub(r'(?m)^release = ".*"$', f'release = "{version}"', text)
    if repo:
        text = re.sub(r'(?m)^repo = ".*"$', f'repo = "{repo}"', text)
    sync.CONFIG.write_text(text, encoding="utf-8")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("version", help="the release tag, e.g. v1.2.0")
    parser.add_argument("--repo", help="the course's public https://github.com/OWNER/REPO.git (default: "
                                       "course.toml's); a fork gives its own")
    args = parser.parse_args(argv)
    version = args.version
    if not re.fullmatch(r"v\d+(\.\d+)*(-[0-9A-Za-z.-]+)?", version):
        print(f"release: VERSION must look like v1.2.0, got {version!r}", file=sys.stderr)
        return 2
    dirty = git("status", "--porcelain")
    if dirty:
        print("release: refusing, the work tree has uncommitted changes (commit or stash them first):\n"
              + dirty, file=sys.stderr)
        return 1
    if git("tag", "--list", version):
        print(f"release: refusing, the tag {version} exists already", file=sys.stderr)
        return 1
    write_config(version, args.repo)
    try:
        config = sync.course_config()
    except ValueError as err:
        git("checkout", "--", "course.toml")
        print(f"release: {err}", file=sys.stderr)
        return 2
    changed = sync.sync(check=False)
    student_edition.main([])
    i18n.main(["generate"])
    git("add", "course.toml", "README.md", "notebooks")
    git("commit", "-q", "--allow-empty", "-m", f"Release {version}: setup cells and Colab badges name {version}")
    git("tag", "-a", version, "-m", f"Release {version} of the course ({config['repo']})")
    print(f"release: tagged {version} ({git('rev-parse', '--short', 'HEAD')}); setup cells and badges "
          f"written in {len(changed)} file(s), course.toml included")
    print(f"publish it: git push origin HEAD {version}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
