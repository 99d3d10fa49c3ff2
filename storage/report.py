"""The reads behind `remarkwatch report`: each release with when it was published, each edit
with its window, and the web-archive captures that bound what could be seen."""
from __future__ import annotations

import sqlite_utils

# A release's publication: the date its first version states, else when it was first seen.
RELEASES_SQL = """
SELECT d.id AS document_id, d.source,
       coalesce(nullif(first.published, ''), first.observed_at, d.first_seen) AS published
FROM documents d
JOIN versions first ON first.id = (
    SELECT v.id FROM versions v WHERE v.document_id = d.id ORDER BY v.observed_at, v.seq LIMIT 1)
{where}
ORDER BY d.id
"""

EDITS_SQL = """
SELECT c.id, c.document_id, c.kind, c.silent, c.historical, c.classes,
       c.previous_seen_at AS made_after, coalesce(c.observed_at, c.detected_at) AS made_before
FROM changes c JOIN documents d ON d.id = c.document_id
WHERE c.kind IN ('edited', 'reverted') {also}
ORDER BY c.document_id, coalesce(c.observed_at, c.detected_at), c.id
"""

CAPTURES_SQL = """
SELECT c.document_id, c.observed_at FROM captures c JOIN documents d ON d.id = c.document_id
WHERE c.origin = 'wayback' AND c.observed_at IS NOT NULL {also}
ORDER BY c.document_id, c.observed_at
"""


def report_rows(db: sqlite_utils.Database, source: str | None = None) -> tuple[list[dict], list[dict], list[dict]]:
    """(releases, edits, web-archive captures) of one source or of all, as plain rows."""
    args = [source] if source else []
    where, also = ("WHERE d.source = ?", "AND d.source = ?") if source else ("", "")
    releases = list(db.query(RELEASES_SQL.format(where=where), args))
    edits = list(db.query(EDITS_SQL.format(also=also), args))
    captures = list(db.query(CAPTURES_SQL.format(also=also), args))
    return releases, edits, captures
