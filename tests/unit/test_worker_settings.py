"""A `remarkwatch worker` process's Scrapy settings (cluster/worker_process.py), in process: the
shared frontier, duplicate filter and pacer under the config's key prefix, and enough request
slots that no host starves the others."""
from __future__ import annotations

import pytest

from remarkwatch.cluster.worker_process import worker_settings
from remarkwatch.passes.local import MIN_DOWNLOAD_DELAY_S
from tests.unit.conftest import state_config

CLUSTER = {"redis_url": "redis://127.0.0.1:9/2", "key_prefix": "desk"}


def hosts(count: int) -> list[dict]:
    """One source with start URLs on `count` hosts."""
    urls = [f"https://h{i}.example.org/remarks/" for i in range(count)]
    return [{"name": "many", "profile": "generic", "start_urls": urls,
             "allowed_domains": [f"h{i}.example.org" for i in range(count)]}]


@pytest.mark.parametrize("count, concurrency, slots", [
    (1, 1, 16),          # at least 16
    (1, 32, 32),         # the configured concurrency when larger
    (20, 1, 80),         # four per host
    (200, 1, 512),       # at most 512
])
def test_request_slots_grow_with_the_hosts(tmp_path, count, concurrency, slots):
    config = state_config(tmp_path, sources=hosts(count), cluster=CLUSTER, concurrency=concurrency)
    assert worker_settings(config, "ERROR")["CONCURRENT_REQUESTS"] == slots


def test_the_frontier_and_pacer_are_shared_under_the_key_prefix(tmp_path):
    settings = worker_settings(state_config(tmp_path, cluster=CLUSTER, user_agent="desk-bot/1"), "WARNING")
    assert {key: settings[key] for key in ("SCHEDULER_QUEUE_KEY", "SCHEDULER_DUPEFILTER_KEY", "REDIS_URL",
                                           "REMARKWATCH_REDIS_PREFIX", "SCHEDULER_PERSIST", "LOG_LEVEL",
                                           "USER_AGENT")} == {
        "SCHEDULER_QUEUE_KEY": "desk:frontier", "SCHEDULER_DUPEFILTER_KEY": "desk:dupefilter",
        "REDIS_URL": "redis://127.0.0.1:9/2", "REMARKWATCH_REDIS_PREFIX": "desk", "SCHEDULER_PERSIST": True,
        "LOG_LEVEL": "WARNING", "USER_AGENT": "desk-bot/1"}
    # Delays are one reservation per host in Redis; a millisecond keeps Scrapy's per-host limit.
    assert (settings["DOWNLOAD_DELAY"], settings["AUTOTHROTTLE_ENABLED"]) == (MIN_DOWNLOAD_DELAY_S, False)
    assert settings["REMARKWATCH_PACER"] == "remarkwatch.crawler.cluster.pacing.redis_pacer"
