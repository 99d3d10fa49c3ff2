"""monitor/history/export.py: documents, versions and changes as JSON lines or CSV."""
from __future__ import annotations

import csv
import io
import json

import pytest

from remarkwatch.history import export
from remarkwatch.storage import changes, documents, versions
from remarkwatch.storage.db import open_db

EDITS = [{"field": "body", "turn": 1, "speaker": "MR PRICE", "old": "forces", "new": "refugees", "classes": ["wording"]},
         {"field": "title", "old": None, "new": "New title", "classes": []}]


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    """Two sources, each a document with a new and an edited change; only read by the tests."""
    db = open_db(tmp_path_factory.mktemp("export") / "a.db")
    for source, key in (("state", "state:1"), ("wh", "wh:1")):
        doc = documents.create_document(db, {"source": source, "key": key, "url": f"https://{key}/", "title": key,
                                           "first_seen": "t", "last_seen": "t"})
        old = versions.insert_version(db, {"document_id": doc, "created_at": "t", "title": f"{key} v1",
                                          "body_text": "b", "content_hash": "h1"})
        new = versions.insert_version(db, {"document_id": doc, "created_at": "t", "title": f"{key} v2",
                                          "body_text": "c", "content_hash": "h2"})
        changes.insert_change(db, {"document_id": doc, "kind": "new", "to_version_id": old, "detected_at": "t1",
                                   "changed_fields": "[]"})
        changes.insert_change(db, {"document_id": doc, "kind": "edited", "from_version_id": old, "to_version_id": new,
                                   "detected_at": "t2", "changed_fields": '["title", "body"]', "silent": 1,
                                   "classes": '["wording", "metadata"]', "edits": json.dumps(EDITS),
                                   "field_diffs": '{"body": "x"}', "diff": "-forces\n+refugees"})
    return db


@pytest.mark.parametrize("table, source, count", [
    ("documents", None, 2), ("versions", None, 4), ("changes", None, 4),
    ("documents", "wh", 1), ("versions", "state", 2), ("changes", "wh", 2), ("changes", "nope", 0),
])
def test_jsonl_has_one_row_a_line(db, table, source, count):
    out = io.StringIO()
    assert export.export(db, table, out, "jsonl", source) == count
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    assert len(rows) == count
    if source and count:
        assert {r["source"] if table != "versions" else r["title"].split(":")[0] for r in rows} == {source}


def test_changes_as_a_spreadsheet(db):
    out = io.StringIO()
    assert export.export(db, "changes", out, "csv", "state") == 2
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert "field_diffs" not in rows[0]
    new, edited = rows
    assert (new["kind"], new["silent"], new["classes"], new["edits"]) == ("new", "no", "", "")
    assert (edited["silent"], edited["classes"], edited["changed_fields"]) == ("yes", "wording, metadata", "title, body")
    assert edited["edits"] == "turn 1, MR PRICE: 'forces' -> 'refugees' (wording)\ntitle: '' -> 'New title' ()"
    assert edited["title"] == "state:1 v2" and edited["diff"] == "-forces\n+refugees"


def test_spreadsheet_cells_are_cut_to_what_spreadsheets_accept():
    row = export.sheet_row({"diff": "x" * 40_000, "edits": json.dumps([{"field": "body", "new": "y" * 40_000}])})
    assert len(row["diff"]) == len(row["edits"]) == export.CELL_LIMIT


def test_versions_csv_keeps_the_stored_columns(db):
    out = io.StringIO()
    export.export(db, "versions", out, "csv")
    header = next(csv.reader(io.StringIO(out.getvalue())))
    assert header == [c.name for c in db["versions"].columns]
    assert export.export(db, "documents", io.StringIO(), "csv", "nope") == 0


@pytest.mark.parametrize("public_url, change_url", [(None, ""), ("https://archive.example.org/", "https://archive.example.org/-/change/2")])
def test_a_change_row_names_its_page_its_edit_window_and_whether_it_is_historical(db, public_url, change_url):
    out = io.StringIO()
    export.export(db, "changes", out, "csv", "state", public_url=public_url)
    header, *rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert header[:2] == ["id", "change_url"]
    for column in ("historical", "made_after", "made_before", "third_party_memento_url", "third_party_state"):
        assert column in header
    edited = dict(zip(header, rows[1]))
    assert edited["change_url"] == change_url
    assert (edited["historical"], edited["made_after"], edited["made_before"]) == ("no", "", "t2")


@pytest.mark.parametrize("table, since, count", [
    ("changes", "t2", 2), ("changes", "t1", 4), ("changes", "t3", 0), ("documents", "t", 2), ("documents", "u", 0),
])
def test_since_keeps_the_rows_from_then_on(db, table, since, count):
    assert export.export(db, table, io.StringIO(), "jsonl", since=since) == count


def test_one_change(db):
    out = io.StringIO()
    assert export.export(db, "changes", out, "jsonl", change_id=2) == 1
    assert json.loads(out.getvalue())["id"] == 2
