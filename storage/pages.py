"""Reads for the web view's pages: the front page of changes, search with passages, a version as
turns, a document's timeline. Each takes a plain sqlite3 connection (Datasette's, read-only)."""
from __future__ import annotations

import json
import sqlite3

from remarkwatch.storage.changes import BASELINE

# Text between these marks is a search hit; they are control characters, so page text cannot
# contain them once escaped, and the page turns them into <mark> after escaping.
HIT_START, HIT_END = "\x02", "\x03"


def _rows(conn: sqlite3.Connection, sql: str, params=()) -> list[dict]:
    cursor = conn.execute(sql, params)
    names = [c[0] for c in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def _decode(rows: list[dict]) -> list[dict]:
    for row in rows:
        for name in ("classes", "changed_fields", "edits", "speakers", "tags"):
            if isinstance(row.get(name), str):
                row[name] = json.loads(row[name] or "[]")
    return rows


def is_archive(conn: sqlite3.Connection) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'changes'").fetchone() is not None


def front_page(conn, *, min_significance: int, new: bool, source: str = "", kind: str = "", klass: str = "",
               speaker: str = "", since: str = "", until: str = "", silent: bool = False,
               limit: int = 50) -> list[dict]:
    """The latest significant changes, newest first; `new` gives new releases instead (never the
    baseline's, which only record what was already published when watching began); `silent`,
    only edits the page's own modified time does not admit to."""
    clauses, params = [f"NOT ({BASELINE})"], []
    if silent:
        clauses.append("c.silent")
    if new:
        clauses.append("c.kind = 'new'")
    else:
        clauses += ["c.kind != 'new'", "c.significance >= ?"]
        params.append(min_significance)
    for value, clause in ((source, "d.source = ?"), (kind, "c.kind = ?"), (since, "c.detected_at >= ?"),
                          (until, "c.detected_at < date(?, '+1 day')"),
                          (klass, "EXISTS (SELECT 1 FROM json_each(c.classes) WHERE value = ?)"),
                          (speaker, "EXISTS (SELECT 1 FROM json_each(c.edits) e "
                                    "WHERE upper(json_extract(e.value, '$.speaker')) = upper(?))")):
        if value:
            clauses.append(clause)
            params.append(value)
    return _decode(_rows(conn, (
        "SELECT c.id, c.kind, c.detected_at, c.significance, c.silent, c.classes, c.summary, c.document_id, "
        "c.edits, c.sides, d.source, coalesce(v.title, f.title, d.title) AS title, coalesce(v.url, d.url) AS url "
        "FROM changes c JOIN documents d ON d.id = c.document_id "
        "LEFT JOIN versions v ON v.id = c.to_version_id LEFT JOIN versions f ON f.id = c.from_version_id "
        f"WHERE {' AND '.join(clauses)} ORDER BY c.id DESC LIMIT ?"), [*params, limit]))


def choices(conn) -> dict[str, list[str]]:
    """What the front page's filters offer: sources, kinds, classes and the speakers of edits."""
    sources = [r[0] for r in conn.execute("SELECT DISTINCT source FROM documents ORDER BY source")]
    kinds = [r[0] for r in conn.execute("SELECT DISTINCT kind FROM changes ORDER BY kind")]
    speakers = [r[0] for r in conn.execute(
        "SELECT speaker FROM turns WHERE speaker != '' GROUP BY speaker ORDER BY COUNT(*) DESC, speaker LIMIT 300")]
    return {"sources": sources, "kinds": kinds, "speakers": sorted(speakers)}


def fts_query(text: str) -> str:
    """A user's search as an FTS5 query: words (all must match, in any order) and "quoted phrases";
    every term quoted, so FTS5 operators and punctuation in the text cannot break the query."""
    terms, inside = [], False
    for piece in text.replace("“", '"').replace("”", '"').split('"'):
        if inside and piece.strip():
            terms.append('"' + piece.strip().replace('"', '""') + '"')
        elif not inside:
            terms += ['"' + word.replace('"', '""') + '"' for word in piece.split() if word.strip()]
        inside = not inside
    return " ".join(terms)


def search(conn, text: str, *, order: str = "relevance", limit: int = 30, offset: int = 0) -> tuple[list[dict], int]:
    """Versions matching `text`, each with its highlighted passage and the speaker of that passage."""
    query = fts_query(text)
    if not query:
        return [], 0
    total = conn.execute("SELECT COUNT(*) FROM versions_fts WHERE versions_fts MATCH ?", [query]).fetchone()[0]
    order_by = "v.observed_at DESC, v.id DESC" if order == "date" else "f.rank"
    # The ranking runs over rowids alone; passages are cut only for the page shown.
    top = _rows(conn, f"SELECT f.rowid AS id FROM versions_fts f JOIN versions v ON v.id = f.rowid "
                      f"WHERE versions_fts MATCH ? ORDER BY {order_by} LIMIT ? OFFSET ?", [query, limit, offset])
    ids = [r["id"] for r in top]
    if not ids:
        return [], total
    marks = ", ".join("?" * len(ids))
    passages = dict(conn.execute(
        f"SELECT rowid, snippet(versions_fts, 2, ?, ?, '…', 32) FROM versions_fts "
        f"WHERE versions_fts MATCH ? AND rowid IN ({marks})", [HIT_START, HIT_END, query, *ids]).fetchall())
    details = {r["id"]: r for r in _rows(conn, (
        "SELECT v.id, v.seq, v.document_id, v.created_at, v.observed_at, v.title, v.url, d.source, d.latest_version_id "
        f"FROM versions v JOIN documents d ON d.id = v.document_id WHERE v.id IN ({marks})"), ids)}
    results = []
    for version_id in ids:
        row = dict(details[version_id], passage=passages.get(version_id) or "")
        hit = row["passage"].partition(HIT_START)[2].partition(HIT_END)[0]
        row["speaker"] = _speaker_of(conn, version_id, hit)
        results.append(row)
    return results, total


def _speaker_of(conn, version_id: int, hit: str) -> str | None:
    if not hit:
        return None
    found = conn.execute("SELECT speaker FROM turns WHERE version_id = ? AND instr(lower(text), lower(?)) > 0 "
                         "ORDER BY seq LIMIT 1", [version_id, hit]).fetchone()
    return found[0] if found and found[0] else None


def version(conn, version_id: int) -> dict | None:
    """A version with its turns, document, neighbours and the changes into and out of it."""
    rows = _decode(_rows(conn, "SELECT * FROM versions WHERE id = ?", [version_id]))
    if not rows:
        return None
    found = rows[0]
    found["turns"] = _rows(conn, "SELECT seq, speaker, first_para, last_para, text FROM turns WHERE version_id = ? "
                                 "ORDER BY seq", [version_id])
    found["document"] = _rows(conn, "SELECT * FROM documents WHERE id = ?", [found["document_id"]])[0]
    # Neighbours in the site's time order (a backfill writes older versions after newer ones).
    order = [r[0] for r in conn.execute("SELECT id FROM versions WHERE document_id = ? ORDER BY observed_at, seq",
                                        [found["document_id"]]).fetchall()]
    at = order.index(version_id)
    found["previous_id"] = order[at - 1] if at > 0 else None
    found["next_id"] = order[at + 1] if at + 1 < len(order) else None
    found["changes"] = _decode(_rows(conn, "SELECT id, kind, detected_at, significance, classes, summary FROM changes "
                                           "WHERE to_version_id = ? OR from_version_id = ? ORDER BY id",
                                     [version_id, version_id]))
    return found


def timeline(conn, document_id: int) -> dict | None:
    """A document, its URLs and its history in time order: every version and every change, each
    edit with the window in which it was made (last seen unchanged .. detected)."""
    documents = _rows(conn, "SELECT * FROM documents WHERE id = ?", [document_id])
    if not documents:
        return None
    versions = _rows(conn, "SELECT id, seq, created_at, observed_at, origin, memento_url, title, url, content_hash, "
                           "extractor FROM versions WHERE document_id = ? ORDER BY observed_at, seq", [document_id])
    changes = _decode(_rows(conn, (
        "SELECT c.id, c.kind, c.detected_at, c.significance, c.silent, c.classes, c.summary, c.edits, c.sides, "
        "c.from_version_id, "
        "c.to_version_id, c.reverted_to_version_id, c.historical, coalesce(c.observed_at, c.detected_at) AS observed_at, "
        # Changes written before m008 have no previous_seen_at: their last capture of the old version.
        "coalesce(c.previous_seen_at, (SELECT max(k.fetched_at) FROM captures k WHERE k.document_id = c.document_id "
        " AND k.outcome = 'ok' AND k.version_id = c.from_version_id AND k.fetched_at < c.detected_at)) "
        "AS seen_unchanged_at FROM changes c WHERE c.document_id = ? ORDER BY observed_at, c.historical DESC, c.id"), [document_id]))
    urls = _rows(conn, "SELECT url, first_seen, last_seen FROM document_urls WHERE document_id = ? ORDER BY first_seen",
                 [document_id])
    return {"document": documents[0], "versions": versions, "changes": changes, "urls": urls}


def versions_of(conn, ids: list[int]) -> list[dict]:
    """Version rows as stored (list fields still JSON text)."""
    marks = ", ".join("?" * len(ids))
    return _rows(conn, f"SELECT * FROM versions WHERE id IN ({marks})", ids)
