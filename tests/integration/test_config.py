"""Configuration at the CLI: `check-config`, `init` and exit code 2 (the file contract itself: tests/unit/test_config.py)."""
from __future__ import annotations

import pytest

from tests.conftest import invoke
from tests.unit.test_autorecheck import archive, config_file, source
from tests.unit.test_config import GOOD, write


def test_cli_exit_2_on_broken_config(tmp_path):
    path = write(tmp_path, GOOD + "colour = 1\n")
    result = invoke("check-config", "--config", path)
    assert result.returncode == 2
    assert "unknown key 'colour'" in result.stderr and str(path) in result.stderr
    assert result.stdout == ""


def test_cli_check_config_and_init(tmp_path):
    target = tmp_path / "starter.toml"
    assert invoke("init", target).returncode == 0
    assert invoke("init", target).returncode == 2          # refuses to overwrite
    result = invoke("check-config", "--config", target)
    assert result.returncode == 0 and "source state-press-releases" in result.stdout
    assert "note:" not in result.stderr, result.stderr
    # A mistyped listing URL: no feed or REST query announces its releases, and check-config says so.
    target.write_text(target.read_text(encoding="utf-8").replace("/press-releases/", "/press-releasez/"), encoding="utf-8")
    noted = invoke("check-config", "--config", target, check=True).stderr
    assert "note: source state-press-releases reads none of the listings state.gov's feeds and REST queries " \
           "announce (/department-press-briefings/, /press-releases/)" in noted, noted


def test_check_config_of_a_file_with_no_sources_says_it_watches_nothing(tmp_path):
    """Issue 27, item 22: it printed `ok` for a configuration that watches nothing."""
    path = tmp_path / "empty.toml"
    path.write_text('db = "archive.db"\n', encoding="utf-8")
    result = invoke("check-config", "--config", path, check=True)
    assert "ok" not in result.stdout.split() and "valid, but watches nothing" in result.stdout
    assert "warning: no [[sources]]" in result.stderr


@pytest.mark.parametrize("recheck, delay, warned", [
    ('"auto"', 5, False),
    ('[["*", "15m"]]', 5, True),          # 3,000 documents every 15 minutes: 288,000 a day
    ('[["48h", "15m"], ["*", "7d"]]', 5, False),
    ('"auto"', 300, True),                # 288 requests a day: not even the passes fit
])
def test_check_config_warns_when_the_documents_cannot_be_rechecked(tmp_path, recheck, delay, warned):
    config_file(tmp_path, source("a", recheck=recheck, delay=delay))
    archive(tmp_path / "a.db", "a", 3000, []).close()
    ran = invoke("check-config", "--config", tmp_path / "rw.toml", check=True)
    assert "budget:" in ran.stdout
    assert ("warning: source a:" in ran.stderr) is warned, ran.stderr
