"""The starter configuration `remarkwatch init` writes: the bundled default's settings, then the
sources to start with of every bundled site profile (its `[[starts]]`), those of the profiles
asked for uncommented and the others commented out, then one commented alert channel of each
kind (each kind's `example`). Data only in, text out: the CLI writes it."""
from __future__ import annotations

import json
import sys

from remarkwatch.alerts.channels.registry import kinds
from remarkwatch.config import bundled_config
from remarkwatch.crawler.profiles import Profile, Start, load_profiles
from remarkwatch.errors import ConfigError

DEFAULT_PROFILES = ("state.gov",)


def starter_config(chosen: tuple[str, ...] = ()) -> str:
    """The whole starter file: the profiles in `chosen` (default: state.gov) watched."""
    profiles = load_profiles()
    chosen = tuple(chosen) or DEFAULT_PROFILES
    unknown = [name for name in chosen if name not in profiles]
    if unknown:
        raise ConfigError(f"--profile {unknown[0]!r}: not a bundled profile (valid: {', '.join(profiles)}; "
                          f"see `remarkwatch profiles`)")
    parts = [_settings(), _sources_intro()]
    ordered = [*chosen, *(name for name in profiles if name not in chosen)]
    for name in ordered:
        parts.append(_profile_block(profiles[name], watched=name in chosen))
    parts.append(_alerts_block())
    return "\n".join(parts)


def _settings() -> str:
    """The bundled default's comments and settings, up to its own sources."""
    text = bundled_config().read_text(encoding="utf-8")
    return text.split("\n[[sources]]", 1)[0].rstrip() + "\n"


def _sources_intro() -> str:
    return ("# The bundled site profiles and the sources to start with (`remarkwatch profiles` lists them;\n"
            "# `remarkwatch init --profile NAME` writes a profile's uncommented). Uncomment a table to watch it.\n")


def _profile_block(profile: Profile, watched: bool) -> str:
    lines = [f"# --- profile {profile.name}: {profile.description}"]
    for start in profile.starts:
        if start.note:
            lines.append(f"# {start.note}")
        table = _start_table(profile.name, start)
        lines += table if watched else [f"# {line}" if line else "#" for line in table]
        lines.append("")
    return "\n".join(lines)


def _start_table(profile: str, start: Start) -> list[str]:
    values = {"name": start.name, "profile": profile, "start_urls": list(start.start_urls)}
    if start.max_listing_pages is not None:
        values["max_listing_pages"] = start.max_listing_pages
    if start.allowed_domains:
        values["allowed_domains"] = list(start.allowed_domains)
    return ["[[sources]]", *_toml_lines(values)]


def _alerts_block() -> str:
    lines = ["# Alert channels: one [[alerts]] table per channel (docs/alerts.md). Secrets are never written",
             "# here: a channel names the environment variables that hold them. Uncomment one, set its",
             "# variables where remarkwatch runs, and check it with `remarkwatch test-alert NAME`.", ""]
    for name, kind in kinds().items():
        if not kind.example:
            continue
        lines.append(f"# {name}: {_summary(kind)}")
        lines += [f"# {line}" for line in ["[[alerts]]", *_toml_lines(kind.example)]]
        lines.append("")
    return "\n".join(lines)


def _summary(kind) -> str:
    doc = sys.modules[type(kind).__module__].__doc__ or ""
    return doc.strip().splitlines()[0] if doc.strip() else kind.kind


def _toml_lines(values: dict) -> list[str]:
    """`key = value` lines; JSON's strings, integers and lists of strings are TOML's too."""
    return [f"{key} = {json.dumps(value, ensure_ascii=False)}" for key, value in values.items()]
