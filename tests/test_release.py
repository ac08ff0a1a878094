"""`make release` (.ci/release.py): one step writes the address and version everywhere, commits and tags.

Each test works in a scratch clone of this repository's HEAD, so nothing here touches the checkout.
"""

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
FORK = "https://github.com/a-student/parallel-lstm-fork.git"


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout.strip()


def release(repo: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(repo / ".ci" / "release.py"), *args], cwd=repo,
                          capture_output=True, text=True, timeout=300, check=False)


@pytest.fixture
def clone(tmp_path) -> Path:
    repo = tmp_path / "course"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(repo)], check=True)
    git(repo, "config", "user.email", "ci@example.invalid")
    git(repo, "config", "user.name", "CI")
    return repo


def colab_links(text: str) -> list[str]:
    return re.findall(r"https://colab\.research\.google\.com/github/[^)\s\"']+", text)


def test_a_release_writes_address_and_version_everywhere_commits_and_tags(clone):
    done = release(clone, "v7.8.9", "--repo", FORK)
    assert done.returncode == 0, done.stderr
    assert git(clone, "status", "--porcelain") == "", "the release left uncommitted changes"
    assert git(clone, "rev-parse", "v7.8.9^{commit}") == git(clone, "rev-parse", "HEAD")
    assert tomllib.loads((clone / "course.toml").read_text()) == {"repo": FORK, "release": "v7.8.9"}
    links = colab_links((clone / "README.md").read_text())
    assert links and all(link.startswith(
        "https://colab.research.google.com/github/a-student/parallel-lstm-fork/blob/v7.8.9/notebooks/")
        for link in links), links
    for path in sorted((clone / "notebooks").rglob("[0-9]*.ipynb")):
        cells = nbformat.read(path, as_version=4).cells
        assert 'COURSE_RELEASE = "v7.8.9"' in cells[0].source, path.name
        assert f'os.environ.get("COURSE_REPO", "{FORK}")' in cells[0].source, path.name
        for link in colab_links("\n".join(c.source for c in cells if c.cell_type == "markdown")):
            assert "/a-student/parallel-lstm-fork/blob/v7.8.9/" in link, (path.name, link)
    check = subprocess.run([sys.executable, ".ci/sync_setup_cell.py", "--check"], cwd=clone, capture_output=True,
                           text=True, check=False)
    assert check.returncode == 0, check.stdout
    for script in (".ci/student_edition.py", ".ci/i18n.py generate"):  # the generated editions name v7.8.9 too
        check = subprocess.run([sys.executable, *script.split(), "--check"], cwd=clone, capture_output=True,
                               text=True, check=False)
        assert check.returncode == 0, (script, check.stdout)


def test_a_release_refuses_uncommitted_changes(clone):
    (clone / "README.md").write_text((clone / "README.md").read_text() + "\nlocal edit\n")
    done = release(clone, "v7.8.9")
    assert done.returncode == 1 and "uncommitted changes" in done.stderr
    assert git(clone, "tag", "--list", "v7.8.9") == ""


def test_a_release_refuses_an_existing_tag_and_a_bad_version(clone):
    git(clone, "tag", "v7.8.9")
    done = release(clone, "v7.8.9")
    assert done.returncode == 1 and "exists already" in done.stderr
    bad = release(clone, "7.8")
    assert bad.returncode == 2 and "VERSION" in bad.stderr
    fork_elsewhere = release(clone, "v7.9.0", "--repo", "https://gitlab.example/course.git")
    assert fork_elsewhere.returncode == 2 and "github.com" in fork_elsewhere.stderr
    assert git(clone, "status", "--porcelain") == ""
