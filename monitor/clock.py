"""The application's one clock: the time now, in UTC, as the archive stores it (ISO 8601, seconds).

The pure core takes `now` as an argument; the shells that need the time ask here.
"""
from __future__ import annotations

from datetime import datetime, timezone


def utcnow() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def stamp(stream) -> str:
    """What starts a line written to `stream`: nothing on a terminal; elsewhere (cron's mail, a log
    file, systemd's journal) the UTC time as the log lines carry it, "2026-12-07T05:20:00Z "."""
    try:
        if stream.isatty():
            return ""
    except (AttributeError, ValueError):      # a closed or file-like stream without isatty
        pass
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ ")


def stamped(text: str, stream) -> str:
    """Every line of `text` as `stamp` starts it."""
    prefix = stamp(stream)
    return "\n".join(prefix + line for line in text.split("\n")) if prefix else text
