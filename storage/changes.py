"""The `changes` table: what changed between versions, read back for pages, feeds and alerts."""
from __future__ import annotations

import json
from typing import Any, Iterable

import sqlite_utils

from remarkwatch.storage.captures import before_capture
from remarkwatch.storage.rows import insert_row
from remarkwatch.storage.versions import number_of


def insert_change(db: sqlite_utils.Database, row: dict[str, Any]) -> int:
    return insert_row(db, "changes", row)


# A baseline row: a release first seen by a source's first complete crawl, recorded as `new` though
# it was already published when watching began (never alerted, and not news).
# Told by the run that completed the baseline (m014); by time only where that run is not known.
BASELINE = ("c.kind = 'new' AND coalesce(c.run_id <= (SELECT ss.baseline_run_id FROM source_state ss "
            "WHERE ss.source = d.source), c.detected_at <= coalesce((SELECT ss.baseline_done_at FROM source_state ss "
            "WHERE ss.source = d.source), ''))")

CHANGE_COLUMNS = (
    "c.id, c.kind, c.detected_at, c.document_id, c.from_version_id, c.to_version_id, "
    "c.changed_fields, c.summary, c.diff, c.field_diffs, c.run_id, c.classes, c.significance, "
    "c.silent, c.edits, c.reverted_to_version_id, c.historical, c.observed_at, c.previous_seen_at, "
    f"v.memento_url, coalesce((SELECT k.memento_url FROM captures k WHERE k.id = {before_capture('c')}), "
    "f.memento_url) AS from_memento_url, d.source, COALESCE(v.url, d.url) AS url, "
    "COALESCE(v.title, f.title, d.title) AS title, "
    "s.state AS spn_state, s.memento_url AS spn_memento_url, s.memento_at AS spn_memento_at, "
    f"s.last_error AS spn_error, ({BASELINE}) AS baseline, "
    f"{number_of('c.from_version_id')} AS from_number, {number_of('c.to_version_id')} AS to_number, "
    f"{number_of('c.reverted_to_version_id')} AS reverted_to_number"
)


JSON_COLUMNS = {"changed_fields": "[]", "field_diffs": "{}", "classes": "[]", "edits": "[]"}


def _change_rows(db: sqlite_utils.Database, where: str, params: list) -> list[dict]:
    rows = list(db.query(
        f"SELECT {CHANGE_COLUMNS} FROM changes c JOIN documents d ON d.id = c.document_id "
        f"LEFT JOIN versions v ON v.id = c.to_version_id "
        f"LEFT JOIN versions f ON f.id = c.from_version_id "
        f"LEFT JOIN spn_requests s ON s.change_id = c.id {where}",
        params,
    ))
    for row in rows:
        for name, empty in JSON_COLUMNS.items():
            row[name] = json.loads(row[name] or empty)
        row["silent"] = bool(row["silent"])
        row["historical"] = bool(row["historical"])
        row["baseline"] = bool(row["baseline"])
    return rows


def recent_changes(db: sqlite_utils.Database, *, limit: int = 20, kinds: Iterable[str] = (),
                   source: str | None = None, classes: Iterable[str] = (),
                   min_significance: int = 0, document_id: int | None = None,
                   since_id: int | None = None, since_time: str | None = None,
                   silent: bool = False, baseline: bool = True) -> list[dict]:
    """Changes, newest first; with `since_id` or `since_time`, only later ones, oldest first
    (for a script that polls: each call picks up where the last one stopped). `silent`: only
    silent edits; `baseline=False` leaves out the baseline's `new` rows."""
    clauses, params = [], []
    if silent:
        clauses.append("c.silent")
    if not baseline:
        clauses.append(f"NOT ({BASELINE})")
    if since_id is not None:
        clauses.append("c.id > ?")
        params.append(since_id)
    if since_time is not None:
        clauses.append("c.detected_at > ?")
        params.append(since_time)
    kinds, classes = list(kinds), list(classes)
    if kinds:
        clauses.append(f"c.kind IN ({', '.join('?' * len(kinds))})")
        params.extend(kinds)
    if classes:
        clauses.append(f"EXISTS (SELECT 1 FROM json_each(c.classes) WHERE value IN ({', '.join('?' * len(classes))}))")
        params.extend(classes)
    if source:
        clauses.append("d.source = ?")
        params.append(source)
    if min_significance:
        clauses.append("c.significance >= ?")
        params.append(min_significance)
    if document_id is not None:
        clauses.append("c.document_id = ?")
        params.append(document_id)
    where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
    order = "ASC" if since_id is not None or since_time is not None else "DESC"
    return _change_rows(db, f"{where} ORDER BY c.id {order} LIMIT ?", [*params, limit])


def change_sides(db: sqlite_utils.Database, change_id: int) -> str | None:
    """The side-by-side rows stored with a change (JSON), if it has them."""
    row = db.execute("SELECT sides FROM changes WHERE id = ?", [change_id]).fetchone()
    return row[0] if row else None


def get_change(db: sqlite_utils.Database, change_id: int) -> dict | None:
    rows = _change_rows(db, "WHERE c.id = ?", [change_id])
    return rows[0] if rows else None


def joined_versions(db: sqlite_utils.Database, document_id: int) -> set[tuple[int, int]]:
    """The (from, to) version pairs a change of the document already joins."""
    return set(db.execute("SELECT from_version_id, to_version_id FROM changes WHERE document_id = ? "
                          "AND from_version_id IS NOT NULL AND to_version_id IS NOT NULL", [document_id]).fetchall())


def change_ids_to(db: sqlite_utils.Database, version_id: int) -> list[int]:
    """The ids of the changes that lead to a version."""
    return [r[0] for r in db.execute("SELECT id FROM changes WHERE to_version_id = ? ORDER BY id",
                                     [version_id]).fetchall()]
