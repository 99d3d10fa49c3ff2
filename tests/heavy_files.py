"""Write `heavy_files.txt` from a run's JUnit XML: test files by the seconds their tests took,
heaviest first, those over five seconds. conftest.py starts them first.

    python3 dev.py test --junitxml=/tmp/tests.xml
    .venv/bin/python -m tests.heavy_files /tmp/tests.xml > tests/heavy_files.txt
"""
from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from collections import defaultdict
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEADER = """\
# Test files that take longest, heaviest first, with seconds summed over their tests (one run of
# `python3 dev.py test`, {day}). conftest.py starts them first.
# Write it again after adding a long test: `python3 dev.py test --junitxml=/tmp/tests.xml` then
# `.venv/bin/python -m tests.heavy_files /tmp/tests.xml > tests/heavy_files.txt`."""


def file_of(classname: str) -> str | None:
    """`tests.unit.test_x` or `tests.unit.test_x.TestCase` as the file `tests/unit/test_x.py`."""
    parts = classname.split(".")
    for end in range(len(parts), 0, -1):
        path = "/".join(parts[:end]) + ".py"
        if (ROOT / path).is_file():
            return path
    return None


def seconds_by_file(junit_xml: Path) -> dict[str, float]:
    totals: dict[str, float] = defaultdict(float)
    for case in ET.parse(junit_xml).iter("testcase"):
        path = file_of(case.get("classname", ""))
        if path:
            totals[path] += float(case.get("time") or 0)
    return totals


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    totals = seconds_by_file(Path(argv[0]))
    print(HEADER.format(day=date.today().isoformat()))
    for path, seconds in sorted(totals.items(), key=lambda item: -item[1]):
        if seconds >= 5:
            print(f"{path} {seconds:.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
