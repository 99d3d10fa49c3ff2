"""The content-addressed store of raw bodies (`blobs`: SHA-256 -> zlib)."""
from __future__ import annotations

import hashlib
import zlib

import sqlite_utils


def put_blob(db: sqlite_utils.Database, content: bytes, digest: str | None = None,
             compressed: bytes | None = None) -> str:
    """Store raw bytes once per distinct SHA-256, zlib-compressed; return the hash. `digest` and
    `compressed` are the two when a worker process computed them already."""
    if digest is None or compressed is None:
        digest, compressed = hashlib.sha256(content).hexdigest(), zlib.compress(content, 6)
    db.execute(
        "INSERT OR IGNORE INTO blobs (hash, size, encoding, content) VALUES (?, ?, 'zlib', ?)",
        [digest, len(content), compressed],
    )
    return digest


def get_blob(db: sqlite_utils.Database, digest: str) -> bytes | None:
    row = db.execute("SELECT encoding, content FROM blobs WHERE hash = ?", [digest]).fetchone()
    if row is None:
        return None
    return zlib.decompress(row[1]) if row[0] == "zlib" else row[1]
