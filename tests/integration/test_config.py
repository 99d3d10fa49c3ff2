"""Configuration: the file contract, validation messages, precedence, and the CLI's exit code 2."""
from __future__ import annotations

from pathlib import Path

import pytest

from remarkwatch.config import bundled_config, load_config
from remarkwatch.errors import ConfigError
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


def test_defaults_and_relative_db(tmp_path):
    config = load_config(write(tmp_path, GOOD), env={})
    assert config.db_path == (tmp_path / "data" / "archive.db").resolve()
    source = config.sources[0]
    assert source.allowed_domains == ("www.state.gov",)
    assert source.delay_s == 5.0 and source.max_listing_pages == 3
    assert source.profile.name == "state.gov"


def test_precedence_file_env_flag(tmp_path):
    path = write(tmp_path, GOOD)
    assert load_config(path, env={"REMARKWATCH_DB": "env.db"}).db_path == (tmp_path / "env.db").resolve()
    assert load_config(path, env={"REMARKWATCH_DB": "env.db"}, db_flag="flag.db").db_path == (tmp_path / "flag.db").resolve()
    assert load_config(path, env={"REMARKWATCH_USER_AGENT": "me@example.org"}).user_agent == "me@example.org"


@pytest.mark.parametrize("text, message", [
    (GOOD + "colour = 1\n", "unknown key 'colour'"),
    (GOOD.replace('name = "press"', 'name = "press"\nmax_pages = 2'), "sources[0] (press): unknown key 'max_pages'"),
    (GOOD.replace('"state.gov"', '"nope.gov"'), "unknown profile 'nope.gov' (valid: "),
    (GOOD.replace("https://www.state.gov/press-releases/", "ftp://x"), "is not an http(s) URL"),
    ("concurrency = 'two'\n" + GOOD, "concurrency: expected a whole number"),
    (GOOD + '[sources.selectors]\nbodyy = "div"\n', "selectors: unknown key 'bodyy'"),
    (GOOD + GOOD.split("\n", 1)[1], "the name 'press' is used twice"),
    ("db = \n", "not valid TOML"),
])
def test_bad_config_names_file_and_key(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(path, env={})
    assert str(path) in str(info.value) and message in str(info.value)


def test_bundled_default_is_valid_and_used_when_no_local_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config = load_config(None, env={})
    assert config.bundled and config.path == bundled_config()
    assert config.db_path == (tmp_path / "remarkwatch.db").resolve()
    assert {s.name for s in config.sources} == {"state-press-releases", "state-press-briefings"}


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
