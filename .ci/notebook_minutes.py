"""Each notebook's minutes under `make test`, from the JUnit report strict nbval writes, into the README.

    .venv/bin/python .ci/notebook_minutes.py build/nbval-as-is.xml            # print them
    .venv/bin/python .ci/notebook_minutes.py build/nbval-as-is.xml --readme   # and write README's table

`make notebooks` writes build/nbval-as-is.xml (one test case per cell, with its duration). A notebook's
minutes are the sum of its cells' durations (the kernel's start is not counted), rounded up to 0.1; the
README's table takes them in its "minutes" column, and its sentence above the table the total.
"""

import math
import re
import sys
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
NOTEBOOK = re.compile(r"(\d\d_[A-Za-z0-9_]+)\.ipynb")
ROW = re.compile(r"^\| (\d\d) \| \[[^]]*\]\(notebooks/(\d\d_[A-Za-z0-9_]+)\.ipynb\)")
TOTAL = re.compile(r"all (\w+) together took [\d.]+ minutes there")
NUMBER_WORDS = {12: "twelve", 13: "thirteen", 14: "fourteen", 15: "fifteen"}


def seconds_per_notebook(report: Path) -> dict[str, float]:
    seconds: dict[str, float] = defaultdict(float)
    for case in ET.parse(report).iter("testcase"):
        where = " ".join(case.get(key, "") for key in ("file", "classname", "name"))
        found = NOTEBOOK.search(where.replace("/", " ").replace("notebooks.", ""))
        if found:
            seconds[found.group(1)] += float(case.get("time", 0))
    if not seconds:
        raise SystemExit(f"{report}: no nbval test case names a notebook")
    return dict(seconds)


def minutes(seconds: float) -> str:
    return f"{max(0.1, math.ceil(seconds / 6) / 10):.1f}"


def write_readme(seconds: dict[str, float]) -> None:
    lines = README.read_text(encoding="utf-8").splitlines(keepends=True)
    seen = set()
    for k, line in enumerate(lines):
        row = ROW.match(line)
        if row and row.group(2) in seconds:
            cells = line.split(" | ")
            cells[3] = minutes(seconds[row.group(2)])  # | # | notebook | what you learn | minutes | ...
            lines[k] = " | ".join(cells)
            seen.add(row.group(2))
    missing = sorted(set(seconds) - seen)
    if missing:
        raise SystemExit(f"README.md's notebook table has no row for {missing}")
    text = "".join(lines)
    count = NUMBER_WORDS.get(len(seconds), str(len(seconds)))
    text, n = TOTAL.subn(f"all {count} together took {minutes(sum(seconds.values()))} minutes there", text)
    if n != 1:
        raise SystemExit("README.md: the sentence 'all ... together took ... minutes there' was not found once")
    README.write_text(text, encoding="utf-8")


def main(argv: list[str]) -> int:
    if not argv or argv[0].startswith("-"):
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    seconds = seconds_per_notebook(Path(argv[0]))
    for name, value in sorted(seconds.items()):
        print(f"{name:40s} {value:7.1f} s  {minutes(value)} min")
    print(f"{'together':40s} {sum(seconds.values()):7.1f} s  {minutes(sum(seconds.values()))} min")
    if "--readme" in argv[1:]:
        write_readme(seconds)
        print(f"wrote {README.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
