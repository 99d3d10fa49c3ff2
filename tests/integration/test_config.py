"""Configuration at the CLI: `check-config`, `init` and exit code 2 (the file contract itself: tests/unit/test_config.py)."""
from __future__ import annotations

from pathlib import Path

from tests.conftest import invoke

GOOD = """db = "data/archive.db"
[[sources]]
name = "press"
profile = "state.gov"
start_urls = ["https://www.state.gov/press-releases/"]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rw.toml"
    path.write_text(text, encoding="utf-8")
    return path


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
