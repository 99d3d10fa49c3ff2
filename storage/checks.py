"""When a source's documents are checked: how many there are, how many are due, the next check."""
from __future__ import annotations

from typing import NamedTuple

import sqlite_utils


class DocumentChecks(NamedTuple):
    documents: int
    due_now: int
    next_check_at: str | None


def document_checks(db: sqlite_utils.Database, source: str, now: str) -> DocumentChecks:
    count, due, first = db.execute(
        "SELECT COUNT(*), SUM(next_check_at IS NULL OR next_check_at <= ?), MIN(next_check_at) "
        "FROM documents WHERE source = ?", [now, source]).fetchone()
    return DocumentChecks(count, due or 0, first)
