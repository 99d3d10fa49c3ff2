"""Configuration at the CLI: `check-config`, `init` and exit code 2 (the file contract itself: tests/unit/test_config.py)."""
from __future__ import annotations

from tests.conftest import invoke
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
