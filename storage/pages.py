"""Reads for the web view's pages: the front page of changes, search with passages, a version as
turns, a document's timeline. Each takes a plain sqlite3 connection (Datasette's, read-only)."""
from __future__ import annotations

import json
import secrets
import sqlite3

from remarkwatch.storage.changes import BASELINE
from remarkwatch.storage.versions import number_of

# Text between these marks is a search hit: the page turns them into <mark> after escaping. A
# page's own copies of these characters are dropped from a passage before they are set (`search`).
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


# When a change was made, as far as is known: the first capture showing it for a historical change,
# its detection for one seen live.
MADE_AT = "(CASE WHEN c.historical THEN coalesce(c.observed_at, c.detected_at) ELSE c.detected_at END)"


def front_page(conn, *, min_significance: int, new: bool, source: str = "", kind: str = "", klass: str = "",
               speaker: str = "", since: str = "", until: str = "", silent: bool = False,
               historical: bool = False, limit: int = 50) -> list[dict]:
    """The latest significant changes, newest first; `new` gives new releases instead (never the
    baseline's, which only record what was already published when watching began); `silent`,
    only edits the page's own modified time does not admit to. Changes found late in a web
    archive (`historical`) are not news: left out unless asked, and then placed by when they
    were made, as the dates `since` and `until` are read for them."""
    clauses, params = [f"NOT ({BASELINE})"], []
    if not historical:
        clauses.append("NOT c.historical")
    if silent:
        clauses.append("c.silent")
    if new:
        clauses.append("c.kind = 'new'")
    else:
        clauses += ["c.kind != 'new'", "c.significance >= ?"]
        params.append(min_significance)
    for value, clause in ((source, "d.source = ?"), (kind, "c.kind = ?"), (since, f"{MADE_AT} >= ?"),
                          (until, f"{MADE_AT} < date(?, '+1 day')"),
                          (klass, "EXISTS (SELECT 1 FROM json_each(c.classes) WHERE value = ?)"),
                          (speaker, "EXISTS (SELECT 1 FROM json_each(c.edits) e "
                                    "WHERE upper(json_extract(e.value, '$.speaker')) = upper(?))")):
        if value:
            clauses.append(clause)
            params.append(value)
    order = f"{MADE_AT} DESC, c.id DESC" if historical else "c.id DESC"   # live only: the id's order
    return _decode(_rows(conn, (
        "SELECT c.id, c.kind, c.detected_at, c.significance, c.silent, c.classes, c.summary, c.document_id, "
        "c.edits, c.sides, c.historical, c.observed_at, c.previous_seen_at, d.source, "
        "coalesce(v.title, f.title, d.title) AS title, coalesce(v.url, d.url) AS url "
        "FROM changes c JOIN documents d ON d.id = c.document_id "
        "LEFT JOIN versions v ON v.id = c.to_version_id LEFT JOIN versions f ON f.id = c.from_version_id "
        f"WHERE {' AND '.join(clauses)} ORDER BY {order} LIMIT ?"), [*params, limit]))


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
    """Documents with a version matching `text`, one hit per document (`total` counts documents):
    its newest matching version (id, seq, title, url, origin...), that version's highlighted
    passage and the passage's speaker, and `versions`: every version of the document in the
    site's order, each with `has` (it matches) and its `origin` (live or wayback)."""
    query = fts_query(text)
    if not query:
        return [], 0
    matched, total = _matching_documents(conn, query, order, limit, offset)
    if not matched:
        return [], total
    page = list(matched)
    found = {version_id for ids in matched.values() for version_id in ids}
    by_document = _versions_of_documents(conn, page)
    for versions in by_document.values():
        for v in versions:
            v["has"] = v["id"] in found
    shown = {document_id: [v for v in versions if v["has"]][-1] for document_id, versions in by_document.items()}
    ids = [v["id"] for v in shown.values()]
    # snippet() marks the hits with words no page can hold (made up per search); the page's own
    # HIT_START and HIT_END characters are dropped before those words become the marks, so a
    # page's text cannot forge a highlight.
    start, end = (f"[hit-{secrets.token_hex(8)}-{side}]" for side in ("start", "end"))
    passages = {rowid: _marked(passage, start, end) for rowid, passage in conn.execute(
        f"SELECT rowid, snippet(versions_fts, 2, ?, ?, '…', 32) FROM versions_fts "
        f"WHERE versions_fts MATCH ? AND rowid IN ({', '.join('?' * len(ids))})",
        [start, end, query, *ids]).fetchall()}
    results = []
    for document_id in page:
        row = dict(shown[document_id], passage=passages.get(shown[document_id]["id"]) or "")
        hit = row["passage"].partition(HIT_START)[2].partition(HIT_END)[0]
        row["speaker"] = _speaker_of(conn, row["id"], hit)
        row["versions"] = [{k: v[k] for k in ("id", "seq", "number", "has", "origin", "observed_at")}
                           for v in by_document[document_id]]
        results.append(row)
    return results, total


def _marked(passage: str | None, start: str, end: str) -> str:
    text = (passage or "").replace(HIT_START, "").replace(HIT_END, "")
    return text.replace(start, HIT_START).replace(end, HIT_END)


def _matching_documents(conn, query: str, order: str, limit: int, offset: int) -> tuple[dict[int, list[int]], int]:
    """The page's documents with a matching version, in the page's order, each with its matching
    version ids, and how many documents match in all. One pass over the matches, which meet the
    versions through the (document_id, observed_at) index (it holds both and the id: far fewer
    pages read than each version's own row, body and all); bm25's rank only when ranking by it.
    Sorted, counted (a window over the groups) and cut to the page in SQL; the matching ids are
    gathered for the page's documents only (a group_concat over every group cost more than the
    ranking), so only the page comes back to Python."""
    ranked = order != "date"
    key, direction = ("min(m.rank)", "") if ranked else ("max(v.observed_at)", " DESC")
    rows = conn.execute(
        f"WITH m AS MATERIALIZED (SELECT rowid AS id{', rank' if ranked else ''} FROM versions_fts "
        f"WHERE versions_fts MATCH ?), page AS (SELECT v.document_id, {key} AS k, count(*) OVER () AS total "
        f"FROM versions v INDEXED BY idx_versions_document_id_observed_at JOIN m ON m.id = v.id "
        f"GROUP BY v.document_id ORDER BY k{direction}, v.document_id{direction} LIMIT ? OFFSET ?) "
        f"SELECT page.document_id, page.total, (SELECT group_concat(v.id) FROM versions v "
        f"INDEXED BY idx_versions_document_id_observed_at WHERE v.document_id = page.document_id "
        f"AND v.id IN (SELECT id FROM m)) FROM page ORDER BY page.k{direction}, page.document_id{direction}",
        [query, limit, offset]).fetchall()
    if rows:
        return {row[0]: [int(i) for i in row[2].split(",")] for row in rows}, rows[0][1]
    if not offset:
        return {}, 0
    total = conn.execute(    # a page past the end: the count alone
        "WITH m AS MATERIALIZED (SELECT rowid AS id FROM versions_fts WHERE versions_fts MATCH ?) "
        "SELECT count(DISTINCT v.document_id) FROM versions v INDEXED BY idx_versions_document_id_observed_at "
        "JOIN m ON m.id = v.id", [query]).fetchone()[0]
    return {}, total


def _versions_of_documents(conn, document_ids: list[int]) -> dict[int, list[dict]]:
    """Each document's versions in the site's order."""
    by_document: dict[int, list[dict]] = {document_id: [] for document_id in document_ids}
    for row in _rows(conn, (
            "SELECT v.id, v.seq, v.document_id, v.created_at, v.observed_at, v.origin, v.memento_url, v.title, v.url, "
            f"d.source, d.latest_version_id FROM versions v JOIN documents d ON d.id = v.document_id "
            f"WHERE v.document_id IN ({', '.join('?' * len(document_ids))}) ORDER BY v.observed_at, v.seq"),
            document_ids):
        listed = by_document[row["document_id"]]
        listed.append(dict(row, number=len(listed) + 1))
    return by_document


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
    found["number"] = at + 1            # the number a reader knows it by (storage.versions.number_of)
    found["previous_id"] = order[at - 1] if at > 0 else None
    found["next_id"] = order[at + 1] if at + 1 < len(order) else None
    found["changes"] = _decode(_rows(conn, "SELECT id, kind, detected_at, significance, classes, summary, edits FROM changes "
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
    for number, row in enumerate(versions, 1):
        row["number"] = number
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
    """Version rows as stored (list fields still JSON text), each with its `number`."""
    marks = ", ".join("?" * len(ids))
    return _rows(conn, f"SELECT v.*, {number_of('v.id')} AS number FROM versions v WHERE v.id IN ({marks})", ids)
