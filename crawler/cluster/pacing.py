"""Global politeness for the cluster (`RedisPacer`): the per-host delay, robots.txt Crawl-delay and
any Retry-After back-off are one reservation per host in Redis, taken with the Redis server's own
clock, so four workers ask a host no more often than one would."""
from __future__ import annotations

import time

from remarkwatch.crawler.cluster.frontier import Keys
from remarkwatch.crawler.middlewares.politeness import Reachability

RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local start = now
local nxt = tonumber(redis.call('GET', KEYS[1]) or '0')
if nxt > start then start = nxt end
local back = tonumber(redis.call('GET', KEYS[2]) or '0')
if back > start then start = back end
local interval = tonumber(ARGV[1])
if interval > 0 then
  redis.call('SET', KEYS[1], string.format('%.6f', start + interval), 'EX', math.ceil(start - now + interval) + 60)
end
return string.format('%.6f', start - now)
"""
BACK_OFF = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local until_ = now + tonumber(ARGV[1])
local back = tonumber(redis.call('GET', KEYS[1]) or '0')
if until_ > back then redis.call('SET', KEYS[1], string.format('%.6f', until_), 'EX', math.ceil(tonumber(ARGV[1])) + 60) end
return 1
"""

LEFT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local back = tonumber(redis.call('GET', KEYS[1]) or '0')
if back > now then return string.format('%.6f', back - now) end
return '0'
"""


class RedisPacer(Reachability):
    """The single-machine Pacer's interface (crawler/politeness.py), with each host's next start
    and back-off held in Redis for every worker at once."""

    def __init__(self, redis, keys: Keys, max_wait_s: float):
        from remarkwatch.crawler.middlewares.politeness import MAX_BACKOFF_S

        self.redis, self.keys = redis, keys
        self.max_wait_s = max_wait_s
        self.max_backoff_s = MAX_BACKOFF_S
        self.given_up: dict[str, float] = {}
        self.failures: dict[str, int] = {}       # unreachable hosts are judged by each worker
        self.unreachable: dict[str, str] = {}
        self.stopping = False
        self._reserve = redis.register_script(RESERVE)
        self._back_off = redis.register_script(BACK_OFF)
        self._left = redis.register_script(LEFT)

    def reserve(self, host: str, interval_s: float) -> float:
        return float(self._reserve(keys=list(self.keys.pace(host)), args=[interval_s]))

    def back_off(self, host: str, seconds: float) -> bool:
        if seconds > self.max_wait_s:
            self.given_up[host] = seconds
            return False
        self._back_off(keys=[self.keys.pace(host)[1]], args=[min(seconds, self.max_backoff_s)])
        return True

    def backoff_left(self, host: str) -> float:
        return float(self._left(keys=[self.keys.pace(host)[1]]))

    async def wait(self, seconds: float) -> None:
        import asyncio

        end = time.monotonic() + seconds
        while not self.stopping and time.monotonic() < end:
            await asyncio.sleep(min(1.0, end - time.monotonic()))


def redis_pacer(crawler, max_wait_s: float) -> RedisPacer:
    """The pacer of a cluster worker (`REMARKWATCH_PACER`): one reservation per host across every
    worker, in Redis."""
    import redis

    # REDIS_PARAMS: the password from the environment, when the URL has none (scrapy-redis reads it too).
    client = redis.Redis.from_url(crawler.settings["REMARKWATCH_REDIS_URL"], **crawler.settings.getdict("REDIS_PARAMS"))
    return RedisPacer(client,
                      Keys(crawler.settings.get("REMARKWATCH_REDIS_PREFIX") or "remarkwatch"), max_wait_s)
