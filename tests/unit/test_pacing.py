"""The cluster's shared pacer (crawler/cluster/pacing.py), in what it decides without Redis: a
back-off longer than the wait allowed is given up (left for the next pass) without reserving
anything, a stop ends a wait, and a worker's pacer takes its key prefix from the settings. Its
reservations are Lua scripts run by Redis: tests/system/test_cluster.py."""
from __future__ import annotations

import asyncio

import pytest
import redis
from scrapy.utils.test import get_crawler

from remarkwatch.crawler.cluster.frontier import Keys
from remarkwatch.crawler.cluster.pacing import RedisPacer, redis_pacer

# redis-py connects on the first command; the decisions tested here send none.
UNUSED = "redis://127.0.0.1:9/0"


@pytest.mark.parametrize("seconds, max_wait", [(61, 60), (3600.5, 3600)])
def test_a_back_off_past_the_wait_allowed_is_given_up(seconds, max_wait):
    pacer = RedisPacer(redis.Redis.from_url(UNUSED), Keys("rw"), max_wait_s=max_wait)
    assert pacer.back_off("www.state.gov", seconds) is False
    assert pacer.given_up == {"www.state.gov": seconds}


def test_a_stop_ends_a_wait_at_once():
    pacer = RedisPacer(redis.Redis.from_url(UNUSED), Keys("rw"), max_wait_s=60)
    pacer.stopping = True
    asyncio.run(asyncio.wait_for(pacer.wait(3600), timeout=30))


@pytest.mark.parametrize("prefix, key", [("desk", "desk:pace:backoff:h"), (None, "remarkwatch:pace:backoff:h")])
def test_a_workers_pacer_comes_from_its_settings(prefix, key):
    crawler = get_crawler(settings_dict={"REMARKWATCH_REDIS_URL": UNUSED, "REMARKWATCH_REDIS_PREFIX": prefix})
    pacer = redis_pacer(crawler, 90.0)
    assert (pacer.keys.pace("h")[1], pacer.max_wait_s) == (key, 90.0)
