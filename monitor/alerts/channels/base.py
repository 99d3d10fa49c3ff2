"""Alert channel configuration: the keys every channel takes, and ChannelKind, the class in which
each kind describes itself (its keys, required keys, secret keys, size limit and send()).

Secrets are never written in the configuration: a channel names the environment variables that
hold them (keys ending in `_env`), read only when a message is sent. Validation, check-config, log
redaction and the sender read the kinds' declarations through `registry.kinds()`.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import ClassVar

from remarkwatch.alerts.result import Result
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

    @property
    def spec(self) -> ChannelKind:
        """The kind's class instance: what this channel's kind declares, and its send()."""
        from remarkwatch.alerts.channels.registry import kind

        return kind(self.kind)

    def secret_names(self) -> list[str]:
        """The environment variables this channel reads when it sends (secret or not)."""
        return [self.options[k] for k in self.spec.env_keys if self.options.get(k)]


class ChannelKind:
    """One kind of channel. A module in this package subclasses it, fills in the declarations and
    says `CHANNEL = TheKind()`; nothing else needs to know the kind exists."""

    kind: ClassVar[str] = ""
    keys: ClassVar[dict] = {}           # its own config keys (besides COMMON_KEYS) and their types
    required: ClassVar[tuple] = ()      # keys it cannot do without, besides `name`
    one_of: ClassVar[tuple] = ()        # groups of keys of which at least one must be given
    env_keys: ClassVar[tuple] = ()      # keys naming environment variables read when sending
    secret_keys: ClassVar[tuple] = ()   # of env_keys, those holding secrets (a user name is no secret)
    literal_secret_keys: ClassVar[tuple] = ()   # keys whose literal value is kept out of logs too
    max_bytes: ClassVar[int | None] = None      # message size limit (text + HTML); None: no limit
    example: ClassVar[dict] = {}        # a working [[alerts]] table of this kind: `init` writes it commented out

    def check(self, raw: dict, where: str) -> None:
        """The kind's own value checks of one [[alerts]] table; ConfigError names the key and the fix."""

    def wants_card(self, channel: Channel) -> bool:
        """Whether this channel attaches a change's share card (publish/card.py) to its alerts."""
        return False

    def size_limit(self, channel: Channel) -> int | None:
        return channel.option("max_bytes", self.max_bytes)

    def send(self, channel: Channel, message, env=None) -> Result:
        """Deliver one message; a Result (ok only when the endpoint accepted it), never an exception."""
        raise NotImplementedError


def build_channel(raw: dict, where: str, check_type, source_names: list[str]) -> Channel:
    """A validated Channel from one [[alerts]] table; ConfigError names the key and the fix."""
    from remarkwatch.alerts.channels.registry import kinds

    spec = kinds().get(raw.get("kind"))
    if spec is None:
        raise ConfigError(f"{where}.kind: {raw.get('kind')!r} is not a channel kind (valid: {', '.join(kinds())})")
    valid = {**COMMON_KEYS, **spec.keys}
    for key, value in raw.items():
        if key not in valid:
            raise ConfigError(f"{where}: unknown key {key!r} for a {spec.kind} channel (valid: {', '.join(valid)})")
        check_type(value, valid[key], f"{where}.{key}", "see the README's alerts section")
    for key in ("name", *spec.required):
        if key not in raw:
            raise ConfigError(f"{where}: missing required key {key!r} for a {spec.kind} channel")
    for group in spec.one_of:
        if not any(raw.get(key) for key in group):
            raise ConfigError(f"{where}: a {spec.kind} channel needs {' or '.join(f'`{k}`' for k in group)}")
    _check_values(raw, where, source_names)
    spec.check(raw, where)
    options = {k: v for k, v in raw.items() if k in spec.keys}
    return Channel(
        name=raw["name"], kind=spec.kind, sources=tuple(raw.get("sources", ())),
        kinds=tuple(raw.get("kinds", DEFAULT_KINDS)), classes=tuple(raw.get("classes", ())),
        min_significance=raw.get("min_significance", ALERT_THRESHOLD), mode=raw.get("mode", "each"),
        digest_minutes=float(raw.get("digest_minutes", 0)), max_attempts=raw.get("max_attempts", 8),
        retry_base_s=float(raw.get("retry_base_s", 30)), timeout_s=float(raw.get("timeout_s", 10)),
        deadline_s=float(raw.get("deadline_s", max(30, 3 * raw.get("timeout_s", 10)))),
        historical=raw.get("historical", False), options=options,
    )


def _check_values(raw: dict, where: str, source_names: list[str]) -> None:
    """The checks of the keys every channel takes; each kind's own are its check()."""
    from remarkwatch.core.detect import CLASSES

    for key, allowed in (("kinds", ALERT_KINDS), ("classes", CLASSES), ("sources", source_names)):
        unknown = [v for v in raw.get(key, ()) if v not in allowed]
        if unknown:
            raise ConfigError(f"{where}.{key}: unknown {unknown} (valid: {', '.join(allowed)})")
    if raw.get("mode", "each") not in MODES:
        raise ConfigError(f"{where}.mode: {raw['mode']!r} (valid: {', '.join(MODES)})")
    if not 0 <= raw.get("min_significance", 0) <= 100:
        raise ConfigError(f"{where}.min_significance: 0 to 100")
    if raw.get("max_attempts", 1) < 1 or raw.get("timeout_s", 1) <= 0 or raw.get("retry_base_s", 1) < 0 \
            or raw.get("deadline_s", 1) <= 0:
        raise ConfigError(f"{where}: max_attempts must be 1 or more, timeout_s and deadline_s above 0, "
                          f"retry_base_s 0 or more")


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


def secret_values(channel: Channel, env=None) -> list[str]:
    """What of the channel must never reach a log: the values of its secret environment variables
    and its literal secrets (a hook URL written in the file)."""
    env = os.environ if env is None else env
    spec = channel.spec
    values = [env.get(channel.option(key)) for key in spec.secret_keys if channel.option(key)]
    values += [channel.option(key) for key in spec.literal_secret_keys]
    return [value for value in values if value]
