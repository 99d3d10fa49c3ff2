"""One validated configuration, built once at CLI entry: defaults < file < environment < flags."""
from __future__ import annotations

import math
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from remarkwatch.crawler.errors import ProfileError
from remarkwatch.crawler.profiles import SELECTOR_KEYS, Profile, config_dir, css_selectors, load_profiles
from remarkwatch.crawler.settings import DEFAULT_USER_AGENT
from remarkwatch.alerts.channels.base import Channel, build_channel
from remarkwatch.errors import ConfigError
from remarkwatch.core.recheck import DEFAULT as DEFAULT_RECHECK
from remarkwatch.core.recheck import DEFAULT_RECHECK as DEFAULT_RECHECK_PAIRS
from remarkwatch.core.recheck import DEFAULT_SCHEDULE, Recheck, SourceSchedule
from remarkwatch.core.urls import usable_url
from remarkwatch.evidence import settings as spn_settings
from remarkwatch.evidence.settings import SavePageNow

DEFAULT_FILE = "remarkwatch.toml"
AUTO = "auto"       # recheck = "auto": tiers planned from the budget and the source's own edits
TOP_KEYS = {"db": str, "user_agent": str, "concurrency": int, "source_failing_after": int,
            "max_page_mb": (int, float), "public_url": str, "sources": list, "alerts": list,
            "backfill": dict, "cluster": dict, "extract_workers": (int, str), "save_page_now": dict}
CLUSTER_KEYS = {"redis_url": str, "key_prefix": str, "worker_wait_s": (int, float), "insecure_unsigned": bool}
BACKFILL_KEYS = {"wayback_url": str, "search_per_second": (int, float), "memento_per_second": (int, float),
                 "timeout_s": (int, float), "retries": int, "rate_limit_backoff_s": (int, float),
                 "rate_limit_waits": int}
DEFAULT_WAYBACK = "https://web.archive.org"
MAX_DELAY_S = 3600      # between two requests to one host: more would hold a pass for hours (1e308 for ever)
DEFAULT_MAX_PAGE_MB = 5        # a long transcript is ~300 KB; a bigger answer is `too_large`
# Databases under these would be pseudo-files or devices, never an archive.
SYSTEM_DIRS = (Path("/proc"), Path("/sys"), Path("/dev"))
SOURCE_KEYS = {
    "name": str, "profile": str, "start_urls": list, "max_listing_pages": int,
    "delay_s": (int, float), "allowed_domains": list, "selectors": dict,
    "schedule": str, "recheck": (list, str), "sweep_days": (int, float), "removed_after_passes": int, "removed_after_hours": (int, float),
}
ENV = {"db": "REMARKWATCH_DB", "user_agent": "REMARKWATCH_USER_AGENT", "config": "REMARKWATCH_CONFIG",
       "redis_url": "REMARKWATCH_REDIS_URL"}
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


@dataclass(frozen=True)
class Source:
    name: str
    profile: Profile
    start_urls: tuple[str, ...]
    allowed_domains: tuple[str, ...]
    max_listing_pages: int = 3
    delay_s: float = 0.0
    schedule: SourceSchedule = SourceSchedule(DEFAULT_SCHEDULE)   # how often a pass is due
    recheck: Recheck = DEFAULT_RECHECK                 # how often each document is re-checked, by age
    recheck_auto: bool = False          # recheck = "auto": planned at each pass (passes/autorecheck.py)
    sweep_days: float = 7.0                            # every document re-checked at least this often
    removed_after_passes: int = 2       # a page gone this many passes ...
    removed_after_hours: float = 1.0    # ... and this long is declared removed


@dataclass(frozen=True)
class Backfill:
    """[backfill]: the web archive `remarkwatch backfill` reads (a Wayback Machine, a mirror of
    it or a local pywb), and how fast: the Wayback Machine itself allows 24 searches a minute."""
    wayback_url: str = DEFAULT_WAYBACK
    search_per_second: float = 0.4
    memento_per_second: float = 8.0
    timeout_s: float = 60.0
    retries: int = 4          # the package's retries of a failed request, with backoff (2, 4, 8 s ...)
    # A 429 (past the archive's limits) stops the whole client for its Retry-After, or without one
    # for this long, doubled at each further 429 of the same request, up to `rate_limit_waits` times.
    rate_limit_backoff_s: float = 60.0
    rate_limit_waits: int = 5


@dataclass(frozen=True)
class Cluster:
    """[cluster] (or $REMARKWATCH_REDIS_URL): passes run on `remarkwatch worker` processes that
    share a Redis frontier; this process decides the work and writes the archive."""
    redis_url: str
    key_prefix: str = "remarkwatch"
    worker_wait_s: float = 60.0     # a pass with no live worker for this long fails
    # Run without $REMARKWATCH_CLUSTER_SECRET: nothing in Redis is signed (docs/cluster.md#security).
    insecure_unsigned: bool = False


@dataclass(frozen=True)
class Config:
    path: Path
    db_path: Path
    user_agent: str
    concurrency: int
    sources: tuple[Source, ...] = field(default_factory=tuple)
    bundled: bool = False
    alerts: tuple[Channel, ...] = field(default_factory=tuple)
    source_failing_after: int = 3    # failed passes in a row before one source-failing alert
    max_page_bytes: int = DEFAULT_MAX_PAGE_MB * 1024 * 1024   # larger responses are `too_large`
    public_url: str | None = None    # where the archive is served: links in feeds and alerts
    backfill: "Backfill" = field(default_factory=lambda: Backfill())
    cluster: Cluster | None = None   # None: the single-machine default, no Redis
    extract_workers: int | str = "auto"   # processes that judge and extract pages (monitor.pool); 0: none
    save_page_now: SavePageNow = field(default_factory=SavePageNow)   # third-party proof, off by default

    def change_routes(self) -> tuple:
        """Where a change is routed once its source's baseline is done: the alert channels, and
        Save Page Now when it is on (its requests are written in the change's transaction)."""
        return (*self.alerts, self.save_page_now) if self.save_page_now.enabled else self.alerts

    def channel(self, name: str) -> Channel:
        for channel in self.alerts:
            if channel.name == name:
                return channel
        valid = ", ".join(c.name for c in self.alerts) or "none configured"
        raise ConfigError(f"{self.path}: no alert channel named {name!r} (channels: {valid})")

    def source(self, name: str) -> Source:
        for source in self.sources:
            if source.name == name:
                return source
        valid = ", ".join(s.name for s in self.sources)
        raise ConfigError(f"{self.path}: no source named {name!r} (sources: {valid})")


def bundled_config() -> Path:
    return config_dir() / DEFAULT_FILE


def resolve_path(explicit: str | os.PathLike | None, env=None) -> tuple[Path, bool]:
    """The config file to use and whether it is the bundled default: --config, else
    $REMARKWATCH_CONFIG, else ./remarkwatch.toml, else the bundled default."""
    env = os.environ if env is None else env
    explicit = explicit or env.get(ENV["config"])
    if explicit:
        return Path(explicit).expanduser(), False
    local = Path.cwd() / DEFAULT_FILE
    if local.exists():
        return local, False
    return bundled_config(), True


def load_config(explicit: str | os.PathLike | None = None, *, env=None,
                db_flag: str | None = None) -> Config:
    env = os.environ if env is None else env
    path, bundled = resolve_path(explicit, env)
    try:
        # utf-8-sig: a byte-order mark (Windows editors write one) is accepted and dropped.
        data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found (write one with `remarkwatch init`)") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (byte {exc.start}); save the file as UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    return build_config(data, path, bundled=bundled, env=env, db_flag=db_flag)


def _check_type(value, expected, where: str, fix: str) -> None:
    if isinstance(value, float) and not math.isfinite(value):
        raise ConfigError(f"{where}: expected a finite number, got {value!r}; {fix}")
    if expected is bool and not isinstance(value, bool):
        raise ConfigError(f"{where}: expected true or false, got {value!r}; {fix}")
    if isinstance(value, bool) and expected in (int, (int, float)):
        raise ConfigError(f"{where}: expected a number, got {value!r}; {fix}")
    if not isinstance(value, expected):
        if isinstance(expected, type):
            wanted = _kind(expected.__name__)
        elif int in expected:
            wanted = _kind("number")
        else:
            wanted = " or ".join(_kind(t.__name__) for t in expected)
        raise ConfigError(f"{where}: expected {wanted}, got {type(value).__name__} {value!r}; {fix}")

def _check_table(raw: dict, keys: dict, where: str, fix: str) -> None:
    """Every key of a config table known and of its type: the one check the sections share."""
    for key, value in raw.items():
        if key not in keys:
            raise ConfigError(f"{where}: unknown key {key!r} (valid: {', '.join(keys)})")
        _check_type(value, keys[key], f"{where}.{key}", fix)



def _kind(name: str) -> str:
    return {"str": "a string", "int": "a whole number", "list": "a list", "dict": "a table"}.get(name, "a " + name)


def build_config(data: dict, path: Path, *, bundled: bool = False, env=None,
                 db_flag: str | None = None) -> Config:
    env = {} if env is None else env
    for key, value in data.items():
        if key not in TOP_KEYS:
            raise ConfigError(f"{path}: unknown key {key!r} (valid top-level keys: {', '.join(TOP_KEYS)})")
        _check_type(value, TOP_KEYS[key], f"{path}: {key}", "see docs/configuration.md")
    try:
        profiles = load_profiles()
    except ProfileError as exc:
        raise ConfigError(str(exc)) from None
    sources = [_source(raw, f"{path}: sources[{i}]", profiles) for i, raw in enumerate(data.get("sources", []))]
    names = [s.name for s in sources]
    duplicate = next((n for n in names if names.count(n) > 1), None)
    if duplicate:
        raise ConfigError(f"{path}: sources: the name {duplicate!r} is used twice; give each source its own name")
    channels = _channels(data.get("alerts", []), path, names)
    failing_after = data.get("source_failing_after", 3)
    if failing_after < 1:
        raise ConfigError(f"{path}: source_failing_after: 1 or more (failed passes in a row)")
    concurrency = data.get("concurrency", 1)
    if concurrency < 1:
        raise ConfigError(f"{path}: concurrency: must be 1 or more (requests at a time per host)")
    max_page_mb = data.get("max_page_mb", DEFAULT_MAX_PAGE_MB)
    if not 0 < max_page_mb <= 1024:
        raise ConfigError(f"{path}: max_page_mb: above 0 and at most 1024 (megabytes a response may have)")
    public_url = data.get("public_url")
    if public_url is not None and usable_url(public_url) is None:
        raise ConfigError(f"{path}: public_url: {public_url!r} is not an http(s) URL (where `remarkwatch serve` "
                          f"is reached, such as \"https://archive.example.org\")")
    extract_workers = data.get("extract_workers", "auto")
    if extract_workers != "auto" and (isinstance(extract_workers, (str, bool)) or not 0 <= extract_workers <= 64):
        raise ConfigError(f"{path}: extract_workers: \"auto\" or a number from 0 to 64 (processes that extract "
                          f"pages; 0 extracts in the crawling process)")
    backfill = _backfill(data.get("backfill", {}), path)
    cluster = _cluster(data.get("cluster"), path, env)
    save_page_now = spn_settings.build(data.get("save_page_now", {}), path, _check_table, names)
    base = Path.cwd() if bundled else path.resolve().parent
    db = db_flag or env.get(ENV["db"]) or data.get("db") or "remarkwatch.db"
    db_path = (base / Path(db).expanduser()).resolve()
    if any(db_path == d or d in db_path.parents for d in SYSTEM_DIRS):
        raise ConfigError(f"{path}: db: {db_path} is under a system folder ({', '.join(map(str, SYSTEM_DIRS))}); "
                          f"put the archive on ordinary storage")
    return Config(
        path=path, db_path=db_path, max_page_bytes=int(max_page_mb * 1024 * 1024),
        public_url=public_url.rstrip("/") if public_url else None,
        user_agent=env.get(ENV["user_agent"]) or data.get("user_agent") or DEFAULT_USER_AGENT,
        concurrency=concurrency, sources=tuple(sources), bundled=bundled, alerts=tuple(channels),
        source_failing_after=failing_after, backfill=backfill, cluster=cluster, extract_workers=extract_workers,
        save_page_now=save_page_now,
    )


def _cluster(raw: dict | None, path: Path, env) -> Cluster | None:
    where = f"{path}: cluster"
    raw = dict(raw or {})
    _check_table(raw, CLUSTER_KEYS, where, "see docs/configuration.md and docs/cluster.md")
    url = env.get(ENV["redis_url"]) or raw.get("redis_url")
    if not url:
        if raw:
            raise ConfigError(f"{where}: redis_url is required (\"redis://HOST:PORT/DB\"), or set ${ENV['redis_url']}")
        return None
    if not (url.startswith("unix:") or usable_url(url, ("redis", "rediss"))):
        raise ConfigError(f"{where}.redis_url: {url!r} is not a Redis URL (redis://HOST:PORT/DB, rediss://..., unix://...)")
    prefix = raw.get("key_prefix", "remarkwatch")
    if not _NAME.match(prefix):
        raise ConfigError(f"{where}.key_prefix: letters, digits, '.', '_' and '-'")
    wait = raw.get("worker_wait_s", 60)
    if wait <= 0:
        raise ConfigError(f"{where}.worker_wait_s: above 0")
    return Cluster(redis_url=url, key_prefix=prefix, worker_wait_s=float(wait),
                   insecure_unsigned=raw.get("insecure_unsigned", False))


def _backfill(raw: dict, path: Path) -> Backfill:
    where = f"{path}: backfill"
    _check_table(raw, BACKFILL_KEYS, where, "see docs/configuration.md and docs/history.md")
    url = raw.get("wayback_url", DEFAULT_WAYBACK).rstrip("/")
    if usable_url(url) is None:
        raise ConfigError(f"{where}.wayback_url: {url!r} is not an http(s) URL (the default is {DEFAULT_WAYBACK})")
    for key in ("search_per_second", "memento_per_second", "timeout_s", "rate_limit_backoff_s"):
        if key in raw and raw[key] <= 0:
            raise ConfigError(f"{where}.{key}: above 0")
    for key, default in (("retries", 4), ("rate_limit_waits", 5)):
        if not 0 <= raw.get(key, default) <= 10:
            raise ConfigError(f"{where}.{key}: 0 to 10")
    return Backfill(wayback_url=url, search_per_second=float(raw.get("search_per_second", 0.4)),
                    retries=raw.get("retries", 4),
                    memento_per_second=float(raw.get("memento_per_second", 8)),
                    timeout_s=float(raw.get("timeout_s", 60)),
                    rate_limit_backoff_s=float(raw.get("rate_limit_backoff_s", 60)),
                    rate_limit_waits=raw.get("rate_limit_waits", 5))


def _channels(tables: list, path: Path, source_names: list[str]) -> list[Channel]:
    channels = []
    for i, raw in enumerate(tables):
        where = f"{path}: alerts[{i}]"
        if not isinstance(raw, dict):
            raise ConfigError(f"{where}: each [[alerts]] entry must be a table")
        if isinstance(raw.get("name"), str):
            where = f"{where} ({raw['name']})"
        channels.append(build_channel(raw, where, _check_type, source_names))
    names = [c.name for c in channels]
    duplicate = next((n for n in names if names.count(n) > 1), None)
    if duplicate:
        raise ConfigError(f"{path}: alerts: the name {duplicate!r} is used twice; give each channel its own name")
    return channels


def _source(raw, where: str, profiles: dict[str, Profile]) -> Source:
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: each [[sources]] entry must be a table")
    if isinstance(raw.get("name"), str):
        where = f"{where} ({raw['name']})"
    for key, value in raw.items():
        if key not in SOURCE_KEYS:
            raise ConfigError(f"{where}: unknown key {key!r} (valid source keys: {', '.join(SOURCE_KEYS)})")
        _check_type(value, SOURCE_KEYS[key], f"{where}.{key}", "see docs/configuration.md")
    for key in ("name", "profile", "start_urls"):
        if key not in raw:
            raise ConfigError(f"{where}: missing required key {key!r}")
    name = raw["name"]
    if not _NAME.match(name):
        raise ConfigError(f"{where}.name: use letters, digits, '.', '_' or '-' (got {name!r})")
    if raw["profile"] not in profiles:
        raise ConfigError(f"{where}.profile: unknown profile {raw['profile']!r} (valid: {', '.join(sorted(profiles))})")
    profile = profiles[raw["profile"]]
    urls = raw["start_urls"]
    if not urls:
        raise ConfigError(f"{where}.start_urls: give at least one listing page URL")
    for url in urls:
        if usable_url(url) is None:
            raise ConfigError(f"{where}.start_urls: {url!r} is not an http(s) URL (a host, and a port up to 65535)")
    domains = raw.get("allowed_domains") or sorted({urlsplit(u).hostname for u in urls})
    if not all(isinstance(d, str) and d for d in domains):
        raise ConfigError(f"{where}.allowed_domains: a list of host names, such as [\"www.state.gov\"]")
    pages = raw.get("max_listing_pages", 3)
    delay = float(raw.get("delay_s", profile.delay_s))
    if pages < 1 or not 0 <= delay <= MAX_DELAY_S:
        raise ConfigError(f"{where}: max_listing_pages must be 1 or more and delay_s from 0 to {MAX_DELAY_S} "
                          f"(seconds between requests to the host)")
    schedule, recheck, sweep = _scheduling(raw, where)
    auto = raw.get("recheck") == AUTO
    removed_passes = raw.get("removed_after_passes", 2)
    removed_hours = float(raw.get("removed_after_hours", 1.0))
    if removed_passes < 1 or removed_hours < 0:
        raise ConfigError(f"{where}: removed_after_passes must be 1 or more and removed_after_hours 0 or more")
    return Source(
        name=name, profile=profile.with_overrides(_selectors(raw.get("selectors", {}), where)),
        start_urls=tuple(urls), allowed_domains=tuple(domains), max_listing_pages=pages, delay_s=delay,
        schedule=schedule, recheck=recheck, recheck_auto=auto, sweep_days=sweep, removed_after_passes=removed_passes,
        removed_after_hours=removed_hours,
    )


def _scheduling(raw: dict, where: str) -> tuple[SourceSchedule, Recheck, float]:
    try:
        schedule = SourceSchedule(raw.get("schedule", DEFAULT_SCHEDULE))
    except ValueError as exc:
        raise ConfigError(f"{where}.schedule: {exc}; use an interval such as \"15m\" or a cron line "
                          f"such as \"*/15 * * * *\"") from None
    pairs = raw.get("recheck", DEFAULT_RECHECK_PAIRS)
    if pairs == AUTO:     # the hand-set tiers stand in until a pass plans the source's own
        pairs = DEFAULT_RECHECK_PAIRS
    elif isinstance(pairs, str):
        raise ConfigError(f"{where}.recheck: \"{AUTO}\" or a list of [AGE, INTERVAL] pairs, got {pairs!r}")
    try:
        if not all(isinstance(p, (list, tuple)) and len(p) == 2 and all(isinstance(x, str) for x in p) for p in pairs):
            raise ValueError("a list of [AGE, INTERVAL] pairs")
        recheck = Recheck.parse(pairs)
    except ValueError as exc:
        raise ConfigError(f"{where}.recheck: {exc}, e.g. [[\"48h\", \"15m\"], [\"7d\", \"1h\"], [\"*\", \"7d\"]]") from None
    sweep = float(raw.get("sweep_days", 7))
    if sweep <= 0:
        raise ConfigError(f"{where}.sweep_days: above 0 (days between full re-checks of a source)")
    return schedule, recheck, sweep


def _selectors(table: dict, where: str) -> dict[str, tuple[str, ...]]:
    out = {}
    for key, value in table.items():
        if key not in SELECTOR_KEYS:
            raise ConfigError(f"{where}.selectors: unknown key {key!r} (valid: {', '.join(SELECTOR_KEYS)})")
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{where}.selectors.{key}: a CSS selector or a list of them")
        out[key] = css_selectors(value, f"{where}.selectors.{key}", error=ConfigError)
    return out
