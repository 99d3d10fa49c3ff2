"""The order the suite's files start in: heavy_files.txt, written from a run's JUnit XML."""
from __future__ import annotations

import pytest

from tests import heavy_files
from tests.conftest import HEAVY_FILES, _heavy_rank


@pytest.mark.parametrize("classname, path", [
    ("tests.unit.test_house", "tests/unit/test_house.py"),
    ("tests.integration.scenarios.test_scenarios", "tests/integration/scenarios/test_scenarios.py"),
    ("tests.unit.test_house.TestSomething", "tests/unit/test_house.py"),
    ("tests.unit.test_no_such_file", None),
])
def test_a_junit_classname_is_its_file(classname, path):
    assert heavy_files.file_of(classname) == path


def test_seconds_are_summed_by_file(tmp_path):
    junit = tmp_path / "tests.xml"
    junit.write_text("""<testsuites><testsuite>
      <testcase classname="tests.unit.test_house" name="a" time="4.5"/>
      <testcase classname="tests.unit.test_house" name="b[1]" time="6.0"/>
      <testcase classname="tests.system.test_crash" name="c" time="12.25"/>
      <testcase classname="gone.module" name="d" time="99"/>
    </testsuite></testsuites>""", encoding="utf-8")
    assert heavy_files.seconds_by_file(junit) == {"tests/unit/test_house.py": 10.5,
                                                  "tests/system/test_crash.py": 12.25}


def test_every_listed_file_exists_and_is_listed_once():
    rank = _heavy_rank()
    assert rank, f"{HEAVY_FILES} lists no file"
    assert len(rank) == len([line for line in HEAVY_FILES.read_text().splitlines()
                             if line.strip() and not line.startswith("#")])
    missing = [path for path in rank if not (heavy_files.ROOT / path).is_file()]
    assert not missing, f"heavy_files.txt names files that are gone: {missing}"
