"""The clustered mode's Redis: connecting to it, its URL as it may be shown, and what the workers
and the backlog look like (`remarkwatch status`)."""
from __future__ import annotations

import json
import time
from urllib.parse import urlsplit

from remarkwatch.config import Config
from remarkwatch.crawler.cluster.frontier import Keys
from remarkwatch.crawler.cluster.worker import WORKER_TTL_S
from remarkwatch.errors import ConfigError


def connect(config: Config):
    """A Redis client for the configured cluster; ConfigError (exit 2) when it cannot be reached."""
    try:
        import redis
    except ImportError:
        raise ConfigError("the [cluster] mode needs the cluster extra: pip install 'remarkwatch[cluster]'") from None
    client = redis.Redis.from_url(config.cluster.redis_url, socket_timeout=10, socket_connect_timeout=5,
                                  health_check_interval=30)
    try:
        client.ping()
    except redis.RedisError as exc:
        raise ConfigError(f"cannot reach Redis at {safe_url(config.cluster.redis_url)} ([cluster] redis_url or "
                          f"$REMARKWATCH_REDIS_URL): {exc}") from None
    return client


def safe_url(url: str) -> str:
    """The Redis URL with its password hidden, for messages and `status`."""
    parts = urlsplit(url)
    return url.replace(parts.password, "***") if parts.password else url


def live_workers(redis, keys: Keys) -> list[dict]:
    found = []
    for key in redis.scan_iter(match=keys.worker("*"), count=100):
        raw = redis.get(key)
        if raw:
            found.append(json.loads(raw))
    return sorted(found, key=lambda w: w["id"])


def backlog(redis, keys: Keys) -> dict:
    """The stream's entries not yet written (lag) and read but not acknowledged (pending), the
    frontier's length, and the entries the writer could not read (dead letters)."""
    info = {"frontier": redis.zcard(keys.frontier), "stream": redis.xlen(keys.stream), "lag": 0, "pending": 0,
            "dead": redis.xlen(keys.dead)}
    try:
        for group in redis.xinfo_groups(keys.stream):
            if group["name"] in (keys.group, keys.group.encode()):
                info["lag"] = group.get("lag") or 0
                info["pending"] = group.get("pending") or 0
    except Exception:  # noqa: BLE001 (no stream yet)
        pass
    return info


def status(config: Config) -> dict:
    """The workers and the backlog, for `remarkwatch status`."""
    redis = connect(config)
    keys = Keys(config.cluster.key_prefix)
    now = time.time()
    workers = [{**w, "seconds_since_heartbeat": round(now - w["at"], 1)} for w in live_workers(redis, keys)]
    return {"redis_url": safe_url(config.cluster.redis_url), "workers": workers, "backlog": backlog(redis, keys),
            "worker_ttl_s": WORKER_TTL_S}

