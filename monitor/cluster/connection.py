"""The clustered mode's Redis: connecting to it (its password and the cluster secret from the
environment), its URL as it may be shown, and what the workers and the backlog look like
(`remarkwatch status`)."""
from __future__ import annotations

import json
import os
import time
from urllib.parse import urlsplit

from remarkwatch.config import Config
from remarkwatch.crawler.cluster.frontier import Keys
from remarkwatch.crawler.cluster.signing import SECRET_ENV, Signer
from remarkwatch.crawler.cluster.worker import WORKER_TTL_S
from remarkwatch.errors import ConfigError
from remarkwatch.untrusted import LOG_FILTER

PASSWORD_ENV = "REMARKWATCH_REDIS_PASSWORD"
MIN_SECRET = 16


def redis_params(env=None) -> dict:
    """What a Redis client needs besides the URL: the password of `redis_url`'s user (or of
    `requirepass`) from the environment, when the URL does not hold one."""
    env = os.environ if env is None else env
    password = env.get(PASSWORD_ENV)
    if password:
        LOG_FILTER.add(password)
        return {"password": password}
    return {}


def connect(config: Config, env=None, *, need_secret: bool = True):
    """A Redis client for the configured cluster; ConfigError (exit 2) when it cannot be reached,
    or (`need_secret`: a pass, a worker, check-config) when the cluster secret is missing."""
    if need_secret:
        cluster_signer(config, env)
    try:
        import redis
    except ImportError:
        raise ConfigError("the [cluster] mode needs the cluster extra: pip install 'remarkwatch[cluster]'") from None
    url = config.cluster.redis_url
    if urlsplit(url).password:
        LOG_FILTER.add(urlsplit(url).password)
    client = redis.Redis.from_url(url, socket_timeout=10, socket_connect_timeout=5, health_check_interval=30,
                                  **redis_params(env))
    try:
        client.ping()
    except redis.RedisError as exc:
        raise ConfigError(f"cannot reach Redis at {safe_url(url)} ([cluster] redis_url or $REMARKWATCH_REDIS_URL, "
                          f"${PASSWORD_ENV}): {exc}") from None
    return client


def cluster_signer(config: Config, env=None) -> Signer:
    """The signer of everything the cluster puts in Redis, keyed by $REMARKWATCH_CLUSTER_SECRET;
    without it a ConfigError (exit 2), unless the config opts out with `insecure_unsigned`."""
    env = os.environ if env is None else env
    secret = env.get(SECRET_ENV)
    if secret:
        if len(secret) < MIN_SECRET:
            raise ConfigError(f"${SECRET_ENV} is {len(secret)} characters; use at least {MIN_SECRET} "
                              f"(python3 -c 'import secrets; print(secrets.token_hex(32))')")
        LOG_FILTER.add(secret)
        return Signer(secret.encode())
    if config.cluster.insecure_unsigned:
        return Signer(None)
    raise ConfigError(f"the clustered mode needs a shared secret: set ${SECRET_ENV} to the same value on the "
                      f"coordinator and every worker (python3 -c 'import secrets; print(secrets.token_hex(32))'); "
                      f"or, on a Redis nobody else can write to, [cluster] insecure_unsigned = true "
                      f"(see docs/cluster.md#security)")


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
    redis = connect(config, need_secret=False)
    keys = Keys(config.cluster.key_prefix)
    now = time.time()
    workers = [{**w, "seconds_since_heartbeat": round(now - w["at"], 1)} for w in live_workers(redis, keys)]
    return {"redis_url": safe_url(config.cluster.redis_url), "workers": workers, "backlog": backlog(redis, keys),
            "worker_ttl_s": WORKER_TTL_S}

