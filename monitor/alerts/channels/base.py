"""Alert channel configuration: the keys every channel takes, and each kind's own keys.

Secrets are never written in the configuration: a channel names the environment variables
that hold them (`secret_env`, `password_env`, `url_env`), read only when a message is sent.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from remarkwatch.core.detect import ALERT_THRESHOLD, KINDS, REEXTRACTED
from remarkwatch.errors import ConfigError

SOURCE_FAILING, SOURCE_RECOVERED = "source-failing", "source-recovered"
LAYOUT_CHANGED, LAYOUT_RESTORED = "layout-changed", "layout-restored"
EVENT_KINDS = (SOURCE_FAILING, SOURCE_RECOVERED, LAYOUT_CHANGED, LAYOUT_RESTORED)
ALERT_KINDS = (*KINDS, *EVENT_KINDS)
DEFAULT_KINDS = tuple(k for k in ALERT_KINDS if k != REEXTRACTED)   # a parser fix is not news
MODES = ("each", "digest")

COMMON_KEYS = {
    "name": str, "kind": str, "sources": list, "kinds": list, "classes": list,
    "min_significance": int, "mode": str, "digest_minutes": (int, float), "max_attempts": int,
    "retry_base_s": (int, float), "timeout_s": (int, float), "deadline_s": (int, float),
    "historical": bool,
}
KIND_KEYS = {
    "webhook": {"url": str, "url_env": str, "secret_env": str},
    "email": {"smtp_host": str, "smtp_port": int, "security": str, "username_env": str,
              "password_env": str, "from": str, "to": list, "max_bytes": int, "ca_file": str},
    "apprise": {"url": str, "url_env": str},
}
REQUIRED = {"webhook": ("secret_env",), "email": ("smtp_host", "from", "to"), "apprise": ()}
SECURITY = ("starttls", "tls", "none")


@dataclass(frozen=True)
class Channel:
    name: str
    kind: str
    sources: tuple[str, ...] = ()           # empty: every source
    kinds: tuple[str, ...] = DEFAULT_KINDS
    classes: tuple[str, ...] = ()           # empty: any class
    min_significance: int = ALERT_THRESHOLD
    mode: str = "each"
    digest_minutes: float = 0.0             # digest: at most one message per this many minutes
    max_attempts: int = 8
    retry_base_s: float = 30.0
    timeout_s: float = 10.0                 # per network read
    deadline_s: float = 30.0                # the whole delivery, however slowly the endpoint answers
    historical: bool = False                # also the edits a backfill finds in web archives (old news)
    options: dict = field(default_factory=dict, hash=False)

    def option(self, key: str, default=None):
        return self.options.get(key, default)

    def secret_names(self) -> list[str]:
        keys = ("secret_env", "password_env", "username_env", "url_env")
        return [self.options[k] for k in keys if self.options.get(k)]


def build_channel(raw: dict, where: str, check_type, source_names: list[str]) -> Channel:
    """A validated Channel from one [[alerts]] table; ConfigError names the key and the fix."""
    kind = raw.get("kind")
    if kind not in KIND_KEYS:
        raise ConfigError(f"{where}.kind: {kind!r} is not a channel kind (valid: {', '.join(KIND_KEYS)})")
    valid = {**COMMON_KEYS, **KIND_KEYS[kind]}
    for key, value in raw.items():
        if key not in valid:
            raise ConfigError(f"{where}: unknown key {key!r} for a {kind} channel (valid: {', '.join(valid)})")
        check_type(value, valid[key], f"{where}.{key}", "see the README's alerts section")
    for key in ("name", *REQUIRED[kind]):
        if key not in raw:
            raise ConfigError(f"{where}: missing required key {key!r} for a {kind} channel")
    if kind in ("apprise", "webhook") and not (raw.get("url") or raw.get("url_env")):
        raise ConfigError(f"{where}: a {kind} channel needs `url` or `url_env`")
    _check_values(raw, where, source_names)
    options = {k: v for k, v in raw.items() if k in KIND_KEYS[kind]}
    return Channel(
        name=raw["name"], kind=kind, sources=tuple(raw.get("sources", ())),
        kinds=tuple(raw.get("kinds", DEFAULT_KINDS)), classes=tuple(raw.get("classes", ())),
        min_significance=raw.get("min_significance", ALERT_THRESHOLD), mode=raw.get("mode", "each"),
        digest_minutes=float(raw.get("digest_minutes", 0)), max_attempts=raw.get("max_attempts", 8),
        retry_base_s=float(raw.get("retry_base_s", 30)), timeout_s=float(raw.get("timeout_s", 10)),
        deadline_s=float(raw.get("deadline_s", max(30, 3 * raw.get("timeout_s", 10)))),
        historical=raw.get("historical", False), options=options,
    )


def _check_values(raw: dict, where: str, source_names: list[str]) -> None:
    from remarkwatch.core.detect import CLASSES

    for key, allowed in (("kinds", ALERT_KINDS), ("classes", CLASSES), ("sources", source_names)):
        unknown = [v for v in raw.get(key, ()) if v not in allowed]
        if unknown:
            raise ConfigError(f"{where}.{key}: unknown {unknown} (valid: {', '.join(allowed)})")
    if raw.get("mode", "each") not in MODES:
        raise ConfigError(f"{where}.mode: {raw['mode']!r} (valid: {', '.join(MODES)})")
    if raw.get("security", "starttls") not in SECURITY:
        raise ConfigError(f"{where}.security: {raw['security']!r} (valid: {', '.join(SECURITY)})")
    if not 0 <= raw.get("min_significance", 0) <= 100:
        raise ConfigError(f"{where}.min_significance: 0 to 100")
    if raw.get("max_attempts", 1) < 1 or raw.get("timeout_s", 1) <= 0 or raw.get("retry_base_s", 1) < 0 \
            or raw.get("deadline_s", 1) <= 0:
        raise ConfigError(f"{where}: max_attempts must be 1 or more, timeout_s and deadline_s above 0, "
                          f"retry_base_s 0 or more")
    url = raw.get("url")
    if url is not None and raw.get("kind") == "webhook" and (
            urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).hostname):
        raise ConfigError(f"{where}.url: {url!r} is not an http(s) URL")
    if raw.get("ca_file") and not Path(raw["ca_file"]).expanduser().is_file():
        raise ConfigError(f"{where}.ca_file: {raw['ca_file']} is not a readable file (a PEM CA bundle)")
    if "to" in raw and not (raw["to"] and all(isinstance(a, str) and "@" in a for a in raw["to"])):
        raise ConfigError(f"{where}.to: a list of e-mail addresses")


def missing_secrets(channel: Channel, env=None) -> list[str]:
    """The environment variables `channel` names that are not set."""
    env = os.environ if env is None else env
    return [name for name in channel.secret_names() if not env.get(name)]


def check_secrets(channels, env=None) -> None:
    """Every environment variable the channels name is set; else a ConfigError naming them."""
    missing = sorted({(c.name, name) for c in channels for name in missing_secrets(c, env)})
    if missing:
        listed = ", ".join(f"${name} (channel {channel})" for channel, name in missing)
        raise ConfigError(f"alert secrets not set in the environment: {listed}")
