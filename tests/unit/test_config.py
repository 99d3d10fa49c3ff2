"""monitor/config.py: the file contract, validation messages that name file and key, and precedence
(defaults < file < environment < flags)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from remarkwatch.config import ENV, bundled_config, load_config
from remarkwatch.errors import ConfigError

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
    ("concurrency = 0\n" + GOOD, "concurrency: must be 1 or more"),
    ("concurrency = true\n" + GOOD, "concurrency: expected a number, got True"),
    ("max_page_mb = nan\n" + GOOD, "max_page_mb: expected a finite number"),
    ("max_page_mb = 2000\n" + GOOD, "max_page_mb: above 0 and at most 1024"),
    ("source_failing_after = 0\n" + GOOD, "source_failing_after: 1 or more"),
    ("public_url = 'archive.example.org'\n" + GOOD, "public_url: 'archive.example.org' is not an http(s) URL"),
    ("extract_workers = 'many'\n" + GOOD, 'extract_workers: "auto" or a number from 0 to 64'),
    ("extract_workers = 65\n" + GOOD, 'extract_workers: "auto" or a number from 0 to 64'),
    ('db = "/proc/archive.db"\n' + GOOD.split("\n", 1)[1], "is under a system folder"),
    (GOOD + "[backfill]\nspeed = 1\n", "backfill: unknown key 'speed'"),
    (GOOD + "[backfill]\nwayback_url = 'ftp://x'\n", "backfill.wayback_url: 'ftp://x' is not an http(s) URL"),
    (GOOD + "[backfill]\nretries = 11\n", "backfill.retries: 0 to 10"),
    (GOOD + "[backfill]\ntimeout_s = 0\n", "backfill.timeout_s: above 0"),
    (GOOD + "[cluster]\nkey_prefix = 'rw'\n", "cluster: redis_url is required"),
    (GOOD + "[cluster]\nredis_url = 'http://x'\n", "cluster.redis_url: 'http://x' is not a Redis URL"),
    (GOOD + "[cluster]\nredis_url = 'redis://x'\nkey_prefix = 'a b'\n", "cluster.key_prefix: letters"),
    (GOOD + "[cluster]\nredis_url = 'redis://x'\nworker_wait_s = 0\n", "cluster.worker_wait_s: above 0"),
    (GOOD.replace('name = "press"', 'name = "press release"'), "sources[0] (press release).name: use letters"),
    (GOOD.replace('start_urls = ["https://www.state.gov/press-releases/"]', ""), "missing required key 'start_urls'"),
    (GOOD.replace('["https://www.state.gov/press-releases/"]', "[]"), "start_urls: give at least one listing page"),
    (GOOD + "delay_s = -1\n", "delay_s from 0 to 3600"),
    (GOOD + "removed_after_passes = 0\n", "removed_after_passes must be 1 or more"),
    (GOOD + 'schedule = "soon"\n', "schedule: 'soon' is not a duration"),
    (GOOD + 'schedule = "61 * * * *"\n', "press).schedule: "),
    (GOOD + 'recheck = [["48h", "15m"]]\n', 'the last tier must be ["*", INTERVAL]'),
    (GOOD + 'recheck = ["15m"]\n', "a list of [AGE, INTERVAL] pairs"),
    (GOOD + 'recheck = "weekly"\n', "recheck: \"auto\" or a list of [AGE, INTERVAL] pairs, got 'weekly'"),
    (GOOD + "recheck = 5\n", "recheck: expected a list or a string, got int 5"),
    (GOOD + "sweep_days = 0\n", "sweep_days: above 0"),
    (GOOD + 'allowed_domains = [""]\n', "allowed_domains: a list of host names"),
    (GOOD + '[sources.selectors]\nbody = "div[["\n', "selectors.body: 'div[[' is not a valid CSS selector"),
    (GOOD + "[sources.selectors]\nbody = []\n", "selectors.body: a CSS selector or a list of them"),
    ("sources = 3\n", "sources: expected a list, got int 3"),
    ("sources = [1]\n", "sources[0]: each [[sources]] entry must be a table"),
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
    assert all(s.recheck_auto for s in config.sources)     # what `init` writes: recheck = "auto"


@pytest.mark.parametrize("line, auto, spec", [
    ('recheck = "auto"\n', True, "172800:900;604800:3600;2.592e+06:86400;*:604800"),   # until a pass plans it
    ('recheck = [["1h", "5m"], ["*", "1d"]]\n', False, "3600:300;*:86400"),
    ("", False, "172800:900;604800:3600;2.592e+06:86400;*:604800"),
])
def test_recheck_auto_or_tiers(tmp_path, line, auto, spec):
    source = load_config(write(tmp_path, GOOD + line), env={}).sources[0]
    assert (source.recheck_auto, source.recheck.spec()) == (auto, spec)




def test_env_and_flags_over_the_file_for_cluster_and_config_path(tmp_path, monkeypatch):
    path = write(tmp_path, GOOD + "[cluster]\nredis_url = 'redis://file:6379/0'\n")
    assert load_config(path, env={}).cluster.redis_url == "redis://file:6379/0"
    from_env = load_config(path, env={ENV["redis_url"]: "redis://env:6379/1"})
    assert from_env.cluster.redis_url == "redis://env:6379/1" and from_env.cluster.worker_wait_s == 60
    assert load_config(write(tmp_path, GOOD), env={}).cluster is None
    monkeypatch.chdir(tmp_path)
    assert load_config(None, env={ENV["config"]: str(path)}).path == path


def test_a_local_file_beats_the_bundled_default(tmp_path, monkeypatch):
    (tmp_path / "remarkwatch.toml").write_text(GOOD, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    config = load_config(None, env={})
    assert not config.bundled and config.path == tmp_path / "remarkwatch.toml"


@pytest.mark.parametrize("raw, message", [
    (b"\xef\xbb\xbf" + GOOD.encode(), None),                       # a byte-order mark is dropped
    (GOOD.encode("utf-16"), "not UTF-8 text (byte 0)"),
])
def test_file_encodings(tmp_path, raw, message):
    path = tmp_path / "rw.toml"
    path.write_bytes(raw)
    if message is None:
        assert load_config(path, env={}).sources[0].name == "press"
    else:
        with pytest.raises(ConfigError, match=re.escape(message)):
            load_config(path, env={})


def test_a_missing_file_says_how_to_make_one(tmp_path):
    with pytest.raises(ConfigError, match=r"config file not found \(write one with `remarkwatch init`\)"):
        load_config(tmp_path / "none.toml", env={})


def test_source_and_channel_lookup_lists_the_valid_names(tmp_path):
    config = load_config(write(tmp_path, GOOD), env={})
    assert config.source("press").name == "press"
    with pytest.raises(ConfigError, match=r"no source named 'x' \(sources: press\)"):
        config.source("x")
    with pytest.raises(ConfigError, match=r"no alert channel named 'x' \(channels: none configured\)"):
        config.channel("x")


def test_values_from_the_file(tmp_path):
    text = ('user_agent = "me@example.org"\nconcurrency = 2\nmax_page_mb = 0.5\npublic_url = "https://a.example/"\n'
            'extract_workers = 0\n' + GOOD + 'schedule = "*/15 * * * *"\nrecheck = [["1h", "5m"], ["*", "1d"]]\n'
            'delay_s = 0\nallowed_domains = ["state.gov"]\n[sources.selectors]\nbody = "main"\n')
    config = load_config(write(tmp_path, text), env={})
    assert (config.user_agent, config.concurrency, config.max_page_bytes, config.public_url, config.extract_workers) == (
        "me@example.org", 2, 512 * 1024, "https://a.example", 0)
    source = config.sources[0]
    assert source.schedule.is_cron and source.recheck.spec() == "3600:300;*:86400"
    assert (source.delay_s, source.allowed_domains, source.profile.sel("body")) == (0.0, ("state.gov",), ("main",))
