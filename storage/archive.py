"""Whole-archive reads: table exports and counts. The tables' own reads and writes live in
storage/ by family (documents, captures, versions, changes, runs, blobs)."""
from __future__ import annotations

import sqlite_utils

from remarkwatch.storage.captures import before_capture


EXPORT_SQL = {
    "documents": "SELECT * FROM documents d {where} ORDER BY d.id",
    "versions": "SELECT v.* FROM versions v JOIN documents d ON d.id = v.document_id {where} ORDER BY v.id",
    # made_after .. made_before: the window the edit was made in (last seen unchanged, first seen
    # changed); third_party_*: the Internet Archive's Save Page Now capture of the changed page.
    "changes": "SELECT c.id, c.detected_at, c.kind, d.source, coalesce(v.title, f.title, d.title) AS title, "
               "coalesce(v.url, d.url) AS url, c.significance, c.silent, c.historical, "
               "c.previous_seen_at AS made_after, coalesce(c.observed_at, c.detected_at) AS made_before, "
               "c.classes, c.changed_fields, c.summary, "
               "c.document_id, c.from_version_id, c.to_version_id, c.reverted_to_version_id, c.run_id, c.edits, "
               "c.field_diffs, c.diff, s.state AS third_party_state, s.memento_url AS third_party_memento_url, "
               "s.memento_at AS third_party_captured_at, v.memento_url AS memento_url, "
               f"coalesce((SELECT k.memento_url FROM captures k WHERE k.id = {before_capture('c')}), f.memento_url) "
               "AS from_memento_url FROM changes c JOIN documents d ON d.id = c.document_id "
               "LEFT JOIN versions v ON v.id = c.to_version_id LEFT JOIN versions f ON f.id = c.from_version_id "
               "LEFT JOIN spn_requests s ON s.change_id = c.id {where} ORDER BY c.id",
}
# What --since compares, per table: when the row's content was first seen.
SINCE_COLUMN = {"documents": "d.first_seen", "versions": "v.observed_at", "changes": "c.detected_at"}


def export_rows(db: sqlite_utils.Database, table: str, source: str | None = None, *, since: str | None = None,
                change_id: int | None = None):
    """Every row of documents, versions or changes (of one source, from `since` on, or the one
    change `change_id`), oldest first, streamed."""
    clauses, params = [], []
    if source:
        clauses.append("d.source = ?")
        params.append(source)
    if since:
        clauses.append(f"{SINCE_COLUMN[table]} >= ?")
        params.append(since)
    if change_id is not None and table == "changes":
        clauses.append("c.id = ?")
        params.append(change_id)
    where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
    return db.query(EXPORT_SQL[table].format(where=where), params)


def counts(db: sqlite_utils.Database) -> dict[str, int]:
    return {t: db[t].count for t in ("documents", "versions", "changes", "captures", "runs", "turns")}
