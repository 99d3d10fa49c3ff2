"""The `[save_page_now]` table: off by default; which changes ask for a capture, the keys' environment
variables (never the keys), and the queue's limits."""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Callable

from remarkwatch.core.detect import ALERT_THRESHOLD, EDITED, MOVED, NEW, RESTORED, REVERTED
from remarkwatch.core.urls import usable_url
from remarkwatch.errors import ConfigError

DEFAULT_ENDPOINT = "https://web.archive.org"
SPN_KEYS = {"enabled": bool, "endpoint": str, "access_env": str, "secret_env": str, "kinds": list,
            "sources": list, "min_significance": int, "capture_all": bool, "budget_s": (int, float),
            "poll_s": (int, float), "timeout_s": (int, float), "max_active": int, "min_interval_s": (int, float),
            "max_attempts": int, "retry_base_s": (int, float), "rate_limit_backoff_s": (int, float),
            "stale_after_s": (int, float)}
# Kinds with a page to capture; a removal or a block has none, a re-extraction is not news.
CAPTURE_KINDS = (NEW, EDITED, REVERTED, MOVED, RESTORED)


@dataclass(frozen=True)
class SavePageNow:
    """[save_page_now]. Routed like an alert channel (the same `kinds`, `sources` and
    `min_significance` rules), so its requests are written in the change's transaction."""
    enabled: bool = False
    endpoint: str = DEFAULT_ENDPOINT
    access_env: str = "REMARKWATCH_SPN_ACCESS"
    secret_env: str = "REMARKWATCH_SPN_SECRET"
    kinds: tuple[str, ...] = (EDITED, REVERTED, MOVED, RESTORED)
    sources: tuple[str, ...] = ()          # empty: every source
    min_significance: int = ALERT_THRESHOLD
    capture_all: bool = False              # also keep an error page the archive fetched
    budget_s: float = 30.0                 # the most a pass spends on the queue; the rest waits
    poll_s: float = 5.0                    # between two status checks of running jobs
    timeout_s: float = 30.0                # per request, and never past the budget
    max_active: int = 4                    # capture jobs running at once
    min_interval_s: float = 3.0            # between two submissions
    max_attempts: int = 6
    retry_base_s: float = 60.0             # backoff: base * 2^(n-1), ±20 %, at most 6 h
    rate_limit_backoff_s: float = 120.0    # a 429 without Retry-After pauses the queue this long
    stale_after_s: float = 1800.0          # a job still pending after this long is submitted again
    name: str = "save_page_now"
    classes: tuple[str, ...] = ()          # routing reads these like a channel's
    historical: bool = False               # an edit found late in an archive is there already

    def credentials(self, env=None) -> tuple[str, str] | None:
        env = os.environ if env is None else env
        access, secret = env.get(self.access_env), env.get(self.secret_env)
        return (access, secret) if access and secret else None


def build(raw: dict, path, check_table: Callable, source_names: list[str]) -> SavePageNow:
    where = f"{path}: save_page_now"
    check_table(raw, SPN_KEYS, where, "see docs/configuration.md and docs/history.md")
    endpoint = raw.get("endpoint", DEFAULT_ENDPOINT).rstrip("/")
    if usable_url(endpoint) is None:
        raise ConfigError(f"{where}.endpoint: {endpoint!r} is not an http(s) URL (the default is {DEFAULT_ENDPOINT})")
    kinds = tuple(raw.get("kinds", SavePageNow.kinds))
    wrong = [k for k in kinds if k not in CAPTURE_KINDS]
    if wrong:
        raise ConfigError(f"{where}.kinds: {wrong[0]!r} has no page to capture (valid: {', '.join(CAPTURE_KINDS)})")
    sources = tuple(raw.get("sources", ()))
    unknown = [s for s in sources if s not in source_names]
    if unknown:
        raise ConfigError(f"{where}.sources: no source named {unknown[0]!r} (sources: {', '.join(source_names)})")
    for key in ("access_env", "secret_env"):
        if key in raw and not raw[key].replace("_", "").isalnum():
            raise ConfigError(f"{where}.{key}: the name of an environment variable, such as \"REMARKWATCH_SPN_ACCESS\"")
    for key in ("budget_s", "poll_s", "timeout_s", "retry_base_s", "rate_limit_backoff_s", "stale_after_s"):
        if key in raw and raw[key] <= 0:
            raise ConfigError(f"{where}.{key}: above 0")
    if raw.get("min_interval_s", 0) < 0:
        raise ConfigError(f"{where}.min_interval_s: 0 or more")
    for key, low, high in (("max_active", 1, 12), ("max_attempts", 1, 20), ("min_significance", 0, 100)):
        if key in raw and not low <= raw[key] <= high:
            raise ConfigError(f"{where}.{key}: {low} to {high}")
    numbers = {k: float(raw[k]) for k in SPN_KEYS if SPN_KEYS[k] == (int, float) and k in raw}
    plain = {k: raw[k] for k in ("enabled", "access_env", "secret_env", "min_significance", "capture_all",
                                 "max_active", "max_attempts") if k in raw}
    return SavePageNow(endpoint=endpoint, kinds=kinds, sources=sources, **plain, **numbers)

