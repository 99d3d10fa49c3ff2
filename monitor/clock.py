"""The application's one clock: the time now, in UTC, as the archive stores it (ISO 8601, seconds).

The pure core takes `now` as an argument; the shells that need the time ask here.
"""
from __future__ import annotations

from datetime import datetime, timezone


def utcnow() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
