"""Whole-archive reads: table exports and counts. The tables' own reads and writes live in
storage/ by family (documents, captures, versions, changes, runs, blobs)."""
from __future__ import annotations

import sqlite_utils


EXPORT_SQL = {
    "documents": "SELECT * FROM documents d {where} ORDER BY d.id",
    "versions": "SELECT v.* FROM versions v JOIN documents d ON d.id = v.document_id {where} ORDER BY v.id",
    "changes": "SELECT c.id, c.detected_at, c.kind, d.source, coalesce(v.title, f.title, d.title) AS title, "
               "coalesce(v.url, d.url) AS url, c.significance, c.silent, c.classes, c.changed_fields, c.summary, "
               "c.document_id, c.from_version_id, c.to_version_id, c.reverted_to_version_id, c.run_id, c.edits, "
               "c.field_diffs, c.diff FROM changes c JOIN documents d ON d.id = c.document_id "
               "LEFT JOIN versions v ON v.id = c.to_version_id LEFT JOIN versions f ON f.id = c.from_version_id "
               "{where} ORDER BY c.id",
}


def export_rows(db: sqlite_utils.Database, table: str, source: str | None = None):
    """Every row of documents, versions or changes (of one source), oldest first, streamed."""
    where = "WHERE d.source = ?" if source else ""
    return db.query(EXPORT_SQL[table].format(where=where), [source] if source else [])


def counts(db: sqlite_utils.Database) -> dict[str, int]:
    return {t: db[t].count for t in ("documents", "versions", "changes", "captures", "runs", "turns")}
