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


class EditHistory(NamedTuple):
    """What `recheck = "auto"` learns from: each edited document's age at its first observed edit."""
    first_edit_ages_s: list[float]
    documents: int
    new_since: int          # documents first seen after `since` (new releases, not the baseline)


def edit_history(db: sqlite_utils.Database, source: str, since: str | None) -> EditHistory:
    ages = [row[0] for row in db.execute(
        "SELECT (julianday(MIN(c.detected_at)) - julianday(d.first_seen)) * 86400 FROM changes c "
        "JOIN documents d ON d.id = c.document_id WHERE d.source = ? AND c.kind = 'edited' "
        "GROUP BY d.id", [source]).fetchall() if row[0] is not None]
    documents, new = db.execute(
        "SELECT COUNT(*), COALESCE(SUM(first_seen > ?), 0) FROM documents WHERE source = ?",
        [since or "9999", source]).fetchone()
    return EditHistory(ages, documents, new)
