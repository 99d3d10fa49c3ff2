"""Questions about the captures table that callers outside storage/ ask: was a capture written
already (by its worker-given key), has a source any capture at all."""
from __future__ import annotations

import sqlite_utils


def key_seen(db: sqlite_utils.Database, capture_key: str) -> bool:
    return db.execute("SELECT 1 FROM captures WHERE capture_key = ?", [capture_key]).fetchone() is not None


def source_seen(db: sqlite_utils.Database, source: str) -> bool:
    return db.execute("SELECT 1 FROM captures WHERE source = ? LIMIT 1", [source]).fetchone() is not None
