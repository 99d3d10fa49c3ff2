"""Whole-archive reads (storage/archive.py) on a real SQLite file: table exports oldest first, of
every source or one, a change row carrying its version's title and its document's URL; and the archive's counts."""
from __future__ import annotations

import pytest

from remarkwatch.crawler.items import OK, Capture, Extracted
from remarkwatch.record.ingest import ingest
from remarkwatch.storage.archive import counts, export_rows
from remarkwatch.storage.db import open_db


def page(source: str, url: str, text: str, title: str) -> Capture:
    return Capture(source=source, url=url, final_url=url, status=200, fetched_at="t", outcome=OK,
                   body=text.encode(), fields=Extracted(title=title, body_text=text))


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    """Two documents of "state" (one edited) and one of "wh". Only read."""
    db = open_db(tmp_path_factory.mktemp("archive") / "archive.db")
    steps = [page("state", "https://www.state.gov/a/", "One.", "A"), page("wh", "https://www.whitehouse.gov/b/", "Two.", "B"),
             page("state", "https://www.state.gov/a/", "One, edited.", "A, edited"),
             page("state", "https://www.state.gov/c/", "Three.", "C")]
    for minute, capture in enumerate(steps):
        ingest(db, capture, site=capture.source, run_id=None, now=f"2026-01-10T00:0{minute}:00+00:00")
    return db


@pytest.mark.parametrize("table, source, expected", [
    ("documents", None, ["https://www.state.gov/a/", "https://www.whitehouse.gov/b/", "https://www.state.gov/c/"]),
    ("documents", "wh", ["https://www.whitehouse.gov/b/"]),
    ("documents", "nobody", []),
    ("versions", "state", ["One.", "One, edited.", "Three."]),
    # Each change row has the title of the version it leads to, not the document's latest.
    ("changes", None, [("new", "A"), ("new", "B"), ("edited", "A, edited"), ("new", "C")]),
    ("changes", "state", [("new", "A"), ("edited", "A, edited"), ("new", "C")]),
])
def test_exports_are_oldest_first_and_of_one_source_when_asked(db, table, source, expected):
    rows = list(export_rows(db, table, source))
    shown = {"documents": lambda r: r["url"], "versions": lambda r: r["body_text"],
             "changes": lambda r: (r["kind"], r["title"])}[table]
    assert [shown(r) for r in rows] == expected


def test_a_change_row_names_its_version_its_document_and_where_it_is(db):
    edited = next(r for r in export_rows(db, "changes") if r["kind"] == "edited")
    assert edited["url"] == "https://www.state.gov/a/" and edited["from_version_id"] < edited["to_version_id"]


def test_counts_cover_the_archive(db):
    assert counts(db) == {"documents": 3, "versions": 4, "changes": 4, "captures": 4, "runs": 0, "turns": 4}
