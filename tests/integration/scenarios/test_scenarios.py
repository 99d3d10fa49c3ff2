"""The scenario suite as a test: every taxonomy row and noise case, through real crawls."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import ROOT
from tests.integration.scenarios.cases import cases
from tests.integration.scenarios.real import REAL, real_cases

pytestmark = pytest.mark.slow


def test_catalogue_covers_the_taxonomy():
    rows = {c.row for c in cases()}
    assert {str(n) for n in range(1, 15)} <= rows, "every row of research §5.3 (1-14) has a case"
    noise = {c.name for c in cases() if c.row == "noise"}
    for needed in ("nbsp-title", "double-spaces", "link-added", "wbr", "apostrophe-entity", "related",
                   "cookie-footer", "cache-buster", "script"):
        assert f"noise-{needed}" in noise
    assert len({c.release.post_id for c in cases()}) == len(cases())


def test_scenarios(tmp_path):
    out = tmp_path / "results.json"
    result = subprocess.run([sys.executable, "-m", "tests.integration.scenarios.run", "--json", str(out)], cwd=ROOT,
                            capture_output=True, text=True, timeout=240)
    table = result.stdout + result.stderr
    assert out.exists(), table
    report = json.loads(out.read_text())
    wrong = [o for o in report["outcomes"] if o["verdict"] != "ok"]
    assert wrong == [], table
    assert result.returncode == 0, table
    expected_cases = len(cases()) + (len(real_cases()) if REAL.exists() else 0)
    assert report["cases"] == expected_cases
    assert report["detected"] == report["expected_changes"] > 0
    assert (report["misclassified"], report["missed"], report["false_alerts"]) == (0, 0, 0)
    assert "false alerts: 0" in result.stdout
