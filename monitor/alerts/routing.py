"""Which channels want which change or source event, and the outbox rows that say so.

Rows are written by the caller's transaction: an alert exists exactly when its change does.
"""
from __future__ import annotations

import uuid
from typing import Iterable

from remarkwatch.alerts.channels.base import Channel
from remarkwatch.storage import outbox


def wants(channel: Channel, kind: str, source: str, classes: Iterable[str] = (), significance: int = 100) -> bool:
    if kind not in channel.kinds or (channel.sources and source not in channel.sources):
        return False
    if channel.classes and not set(channel.classes) & set(classes):
        return False
    return significance >= channel.min_significance


def enqueue_change(db, channels: Iterable[Channel], change_id: int, *, kind: str, source: str,
                   classes: Iterable[str], significance: int, now: str, historical: bool = False) -> list[int]:
    """Outbox rows for the channels that want the change; a historical one (found late in a web
    archive) only for the channels that ask for those (`historical = true`)."""
    classes = list(classes)
    return outbox.enqueue(db, [
        {"channel": c.name, "change_id": change_id, "idempotency_key": _key(), "created_at": now}
        for c in channels if wants(c, kind, source, classes, significance) and (c.historical or not historical)
    ])


def enqueue_event(db, channels: Iterable[Channel], event_id: int, *, kind: str, source: str,
                  now: str) -> list[int]:
    return outbox.enqueue(db, [
        {"channel": c.name, "event_id": event_id, "idempotency_key": _key(), "created_at": now}
        for c in channels if wants(c, kind, source)
    ])


def _key() -> str:
    """The delivery's idempotency key: random, stored, the same on every retry."""
    return f"rw-{uuid.uuid4()}"
