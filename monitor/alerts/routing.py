"""Which channels want which change or source event, and the outbox rows that say so; and the Save
Page Now request of a change that asks for third-party proof.

Rows are written by the caller's transaction: an alert (or a capture request) exists exactly when
its change does.
"""
from __future__ import annotations

import uuid
from typing import Iterable

from remarkwatch.alerts.channels.base import Channel
from remarkwatch.evidence.settings import SavePageNow
from remarkwatch.storage import outbox, spn


def wants(channel: Channel, kind: str, source: str, classes: Iterable[str] = (), significance: int = 100) -> bool:
    if kind not in channel.kinds or (channel.sources and source not in channel.sources):
        return False
    if channel.classes and not set(channel.classes) & set(classes):
        return False
    return significance >= channel.min_significance


def enqueue_change(db, channels: Iterable[Channel], change_id: int, *, kind: str, source: str,
                   classes: Iterable[str], significance: int, now: str, historical: bool = False) -> list[int]:
    """Outbox rows for the channels that want the change; a historical one (found late in a web
    archive) only for the channels that ask for those (`historical = true`). A `SavePageNow`
    among the channels gets a capture request instead of an outbox row."""
    classes = list(classes)
    wanted = [c for c in channels if wants(c, kind, source, classes, significance) and (c.historical or not historical)]
    if any(isinstance(c, SavePageNow) for c in wanted):
        spn.enqueue(db, change_id, now)
    return outbox.enqueue(db, [
        {"channel": c.name, "change_id": change_id, "idempotency_key": _key(), "created_at": now}
        for c in wanted if not isinstance(c, SavePageNow)
    ])


def enqueue_event(db, channels: Iterable[Channel], event_id: int, *, kind: str, source: str,
                  now: str) -> list[int]:
    return outbox.enqueue(db, [
        {"channel": c.name, "event_id": event_id, "idempotency_key": _key(), "created_at": now}
        for c in channels if not isinstance(c, SavePageNow) and wants(c, kind, source)
    ])


def _key() -> str:
    """The delivery's idempotency key: random, stored, the same on every retry."""
    return f"rw-{uuid.uuid4()}"
