"""URLs from a config file (issue 27, item 18): a malformed one is a clear error naming the key,
never a traceback; a port past 65535 and an endless delay are refused."""
from __future__ import annotations

from pathlib import Path

import pytest

from remarkwatch.config import build_config
from remarkwatch.core.urls import usable_url
from remarkwatch.errors import ConfigError


@pytest.mark.parametrize("url, usable", [
    ("https://www.state.gov/remarks/", True), ("http://127.0.0.1:8080/x", True), ("http://[::1]:80/", True),
    ("http://[::1", False), ("http://127.0.0.1:99999/", False), ("ftp://example.org/", False),
    ("https:///nohost", False), ("javascript:alert(1)", False), (None, False), (42, False),
])
def test_usable_url(url, usable):
    assert (usable_url(url) is not None) == usable


SOURCE = {"name": "s", "profile": "state.gov", "start_urls": ["https://www.state.gov/"]}


@pytest.mark.parametrize("data, message", [
    ({"sources": [{**SOURCE, "start_urls": ["http://[::1"]}]}, "start_urls: 'http://[::1' is not an http(s) URL"),
    ({"sources": [{**SOURCE, "start_urls": ["http://127.0.0.1:99999/"]}]}, "a port up to 65535"),
    ({"sources": [{**SOURCE, "delay_s": 1e308}]}, "delay_s from 0 to 3600"),
    ({"sources": [SOURCE], "public_url": "http://[::1"}, "public_url: 'http://[::1' is not an http(s) URL"),
    ({"sources": [SOURCE], "backfill": {"wayback_url": "http://[::1"}}, "wayback_url: 'http://[::1'"),
    ({"sources": [SOURCE], "cluster": {"redis_url": "redis://[::1"}}, "is not a Redis URL"),
    ({"sources": [SOURCE], "alerts": [{"name": "w", "kind": "webhook", "url": "http://[::1", "secret_env": "S"}]},
     "url: 'http://[::1' is not an http(s) URL"),
])
def test_malformed_urls_and_endless_delays_are_config_errors(data, message, tmp_path: Path):
    with pytest.raises(ConfigError) as caught:
        build_config(data, tmp_path / "remarkwatch.toml", env={"S": "x"})
    assert message in str(caught.value)
