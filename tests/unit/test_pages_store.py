"""storage/pages.py: the web pages' reads (front page, search with passages, a version, a timeline)
on a real SQLite archive, through a plain sqlite3 connection as Datasette gives them."""
from __future__ import annotations

import json
import sqlite3

import pytest

from remarkwatch.core.transcript import split_turns
from remarkwatch.storage import changes as changes_table, documents, pages, schedule, versions
from remarkwatch.storage.db import open_db


@pytest.mark.parametrize("text, query", [
    ("forces", '"forces"'),
    ("Eritrean forces", '"Eritrean" "forces"'),
    ('"Eritrean forces" Tigray', '"Eritrean forces" "Tigray"'),
    ("\u201cEritrean forces\u201d", '"Eritrean forces"'),          # typographic quotes
    ("NEAR(a b) OR c*", '"NEAR(a" "b)" "OR" "c*"'),                  # operators are only words
    ('say "unclosed', '"say" "unclosed"'),
    ('a"b', '"a" "b"'),
    ("   ", ""),
    ('""', ""),
])
def test_fts_query_quotes_every_term(text, query):
    assert pages.fts_query(text) == query


@pytest.fixture
def conn(tmp_path):
    db = open_db(tmp_path / "a.db")
    doc = documents.create_document(db, {"source": "state", "key": "k", "url": "https://x/b/", "title": "Briefing",
                                       "first_seen": "t0", "last_seen": "t2"})
    first = versions.insert_version(db, {"document_id": doc, "created_at": "2026-01-01", "observed_at": "2026-01-01",
                                        "title": "Briefing", "content_hash": "h1",
                                        "body_text": "MR PRICE: Eritrean forces must leave.\n\nQUESTION: When?"})
    versions.insert_turns(db, first, split_turns("MR PRICE: Eritrean forces must leave.\n\nQUESTION: When?"))
    second = versions.insert_version(db, {"document_id": doc, "created_at": "2026-01-02", "observed_at": "2026-01-02",
                                         "title": "Briefing", "content_hash": "h2",
                                         "body_text": "MR PRICE: Eritrean refugees must leave.\n\nQUESTION: When?"})
    db.execute("UPDATE documents SET latest_version_id = ? WHERE id = ?", [second, doc])
    schedule.save_source_state(db, "state", baseline_done_at="2026-01-01T12:00:00")
    for kind, frm, to, when, significance, edits in (
            ("new", None, first, "2026-01-01T00:00:00", 0, []),
            ("edited", first, second, "2026-01-02T00:00:00", 60,
             [{"field": "body", "speaker": "MR PRICE", "old": "forces", "new": "refugees"}])):
        changes_table.insert_change(db, {"document_id": doc, "kind": kind, "from_version_id": frm, "to_version_id": to,
                                   "detected_at": when, "changed_fields": "[]", "significance": significance,
                                   "classes": json.dumps(["wording"] if edits else []), "edits": json.dumps(edits)})
    db.conn.commit()
    return sqlite3.connect(tmp_path / "a.db")


def test_front_page_hides_the_baseline_and_filters(conn):
    assert pages.is_archive(conn) and not pages.is_archive(sqlite3.connect(":memory:"))
    changes = pages.front_page(conn, min_significance=20, new=False)
    assert [(c["kind"], c["classes"], c["title"]) for c in changes] == [("edited", ["wording"], "Briefing")]
    assert pages.front_page(conn, min_significance=20, new=True) == []           # the baseline's "new"
    assert pages.front_page(conn, min_significance=61, new=False) == []
    assert len(pages.front_page(conn, min_significance=0, new=False, speaker="mr price", klass="wording",
                                since="2026-01-02", until="2026-01-02", source="state", kind="edited")) == 1
    assert pages.front_page(conn, min_significance=0, new=False, speaker="QUESTION") == []
    assert pages.choices(conn) == {"sources": ["state"], "kinds": ["edited", "new"], "speakers": ["MR PRICE", "QUESTION"]}


def test_a_change_found_in_a_web_archive_is_not_news_and_is_dated_when_made(conn):
    """Issue 24: an edit found by backfill, detected today but made in 2021, is left off the front
    page unless asked, and then placed, dated and marked by when it was made; the feed and the
    `changes` table say the same."""
    from remarkwatch.cli import render
    from remarkwatch.core import wording
    from remarkwatch.web import feeds

    conn.execute("INSERT INTO changes (document_id, kind, from_version_id, to_version_id, detected_at, changed_fields, "
                 "significance, classes, edits, historical, previous_seen_at, observed_at) VALUES (1, 'edited', 1, 2, "
                 "'2026-12-07T09:00:00+00:00', '[]', 60, '[\"wording\"]', '[]', 1, '2021-03-01T10:00:00+00:00', "
                 "'2021-03-05T12:00:00+00:00')")
    conn.commit()
    live = pages.front_page(conn, min_significance=20, new=False)
    assert [c["historical"] for c in live] == [0]
    both = pages.front_page(conn, min_significance=20, new=False, historical=True)
    assert [c["historical"] for c in both] == [0, 1]       # the live edit of 2026 first, the 2021 one after
    assert pages.front_page(conn, min_significance=20, new=False, historical=True, since="2021-03-05",
                            until="2021-03-05")[0]["historical"] == 1
    found = both[1]
    assert wording.made_at(found) == "2021-03-05T12:00:00+00:00"
    assert wording.made_between(found) == ("found in a web archive, made between 1 Mar 2021, 10:00 UTC "
                                           "and 5 Mar 2021, 12:00 UTC")
    assert wording.made_between({**found, "previous_seen_at": None}).endswith("made before 5 Mar 2021, 12:00 UTC")
    assert wording.made_between(both[0]) == "" and wording.made_at(both[0]) == "2026-01-02T00:00:00"
    text = feeds.entry_text(found["id"], "edited", "", "[]", None, '["wording"]', 0, 60, "state",
                            found["detected_at"], 1, found["previous_seen_at"], found["observed_at"])
    assert "Found in a web archive, made between 1 Mar 2021" in text and "5 Mar 2021, 12:00 UTC · significance" in text
    assert "7 Dec 2026" not in text
    table = render.changes_table([{**found, "source": "state", "classes": ["wording"]}], width=200)
    assert "2021-03-05 12:00" in table and "web-archive" in table and "2026-12-07" not in table


def test_search_finds_old_versions_with_the_passage_and_its_speaker(conn):
    results, total = pages.search(conn, "forces")
    assert total == 1 and results[0]["id"] == 1 and results[0]["speaker"] == "MR PRICE"
    assert f"{pages.HIT_START}forces{pages.HIT_END}" in results[0]["passage"]
    assert [(v["seq"], v["has"]) for v in results[0]["versions"]] == [(1, True), (2, False)]
    both, total = pages.search(conn, '"must leave"', order="date")
    assert total == 1 and [r["id"] for r in both] == [2]          # one hit per document: its newest match
    assert [v["has"] for v in both[0]["versions"]] == [True, True]
    assert pages.search(conn, "") == ([], 0) and pages.search(conn, "forces", offset=5) == ([], 1)


def test_a_page_cannot_forge_a_search_highlight(tmp_path):
    """Issue 27, item 21: the hit marks are control characters a page may hold too; the index
    leaves them out, so the only marks in a passage are the search's own."""
    db = open_db(tmp_path / "forged.db")
    doc = documents.create_document(db, {"source": "s", "key": "f", "url": "https://x/f/", "title": "T",
                                       "first_seen": "t0", "last_seen": "t0"})
    versions.insert_version(db, {"document_id": doc, "created_at": "t0", "observed_at": "t0", "title": "T",
                                 "content_hash": "f", "body_text": f"MR X: {pages.HIT_START}forged{pages.HIT_END} "
                                                                   "words near the real hit."})
    db.conn.commit()
    [hit], _ = pages.search(sqlite3.connect(tmp_path / "forged.db"), "real")
    assert hit["passage"].count(pages.HIT_START) == 1 and f"{pages.HIT_START}real{pages.HIT_END}" in hit["passage"]
    assert "forged words" in hit["passage"]


def test_search_groups_by_document_with_each_versions_origin(tmp_path):
    db = open_db(tmp_path / "b.db")
    for number in (1, 2):
        doc = documents.create_document(db, {"source": "wh", "key": f"k{number}", "url": f"https://x/{number}/",
                                           "title": f"Remarks {number}", "first_seen": "t0", "last_seen": "t2"})
        bodies = [("THE PRESIDENT: We will send 3,000 troops.", "wayback"), ("THE PRESIDENT: We will send 3,000 troops.", "live"),
                  ("THE PRESIDENT: We will send 300 troops.", "live")][:number + 1]
        for seq, (body, origin) in enumerate(bodies, 1):
            version = versions.insert_version(db, {"document_id": doc, "seq": seq, "created_at": f"2026-01-0{seq}",
                                                   "observed_at": f"2026-01-0{seq}", "title": f"Remarks {number}",
                                                   "content_hash": f"h{number}{seq}", "body_text": body, "origin": origin})
            versions.insert_turns(db, version, split_turns(body))
    db.conn.commit()
    results, total = pages.search(sqlite3.connect(tmp_path / "b.db"), '"3,000 troops"')
    assert total == 2 and len(results) == 2
    shown = {r["title"]: ([(v["seq"], v["has"], v["origin"]) for v in r["versions"]], r["speaker"]) for r in results}
    assert shown == {"Remarks 1": ([(1, True, "wayback"), (2, True, "live")], "THE PRESIDENT"),
                     "Remarks 2": ([(1, True, "wayback"), (2, True, "live"), (3, False, "live")], "THE PRESIDENT")}


@pytest.fixture
def many(tmp_path):
    """Seven documents of two versions each: document n says "refugees" n times in its newest
    version (so relevance orders them), published a day apart (so date orders them the other way)."""
    db = open_db(tmp_path / "many.db")
    for n in range(1, 8):
        doc = documents.create_document(db, {"source": "s", "key": f"k{n}", "url": f"https://x/{n}/",
                                           "title": f"Briefing {n}", "first_seen": "t0", "last_seen": "t2"})
        for seq, body in enumerate((f"MR PRICE: forces {n}.", "MR PRICE: " + "refugees and forces " * n), 1):
            version = versions.insert_version(db, {"document_id": doc, "seq": seq, "title": f"Briefing {n}",
                                                   "created_at": f"2026-01-{10 - n:02d}T0{seq}:00:00",
                                                   "observed_at": f"2026-01-{10 - n:02d}T0{seq}:00:00",
                                                   "content_hash": f"h{n}-{seq}", "body_text": body})
            versions.insert_turns(db, version, split_turns(body))
    db.conn.commit()
    return sqlite3.connect(tmp_path / "many.db")


@pytest.mark.parametrize("text, order, titles", [
    ("refugees", "relevance", [7, 6, 5, 4, 3, 2, 1]),        # bm25: the most mentions first
    ("refugees", "date", [1, 2, 3, 4, 5, 6, 7]),             # newest first
    ("forces", "date", [1, 2, 3, 4, 5, 6, 7]),               # both versions match: still one hit each
])
def test_search_pages_are_cut_in_order_and_count_documents(many, text, order, titles):
    whole, total = pages.search(many, text, order=order, limit=50)
    assert total == 7 and [r["title"] for r in whole] == [f"Briefing {n}" for n in titles]
    paged = [r for offset in (0, 3, 6) for r in pages.search(many, text, order=order, limit=3, offset=offset)[0]]
    assert [r["id"] for r in paged] == [r["id"] for r in whole]
    assert all(r["versions"][-1]["has"] and r["id"] == r["versions"][-1]["id"] for r in whole)   # its newest match
    assert [v["has"] for v in whole[0]["versions"]] == [text == "forces", True]
    assert pages.search(many, text, order=order, limit=3, offset=9) == ([], 7)


def test_version_and_timeline(conn):
    first = pages.version(conn, 1)
    assert (first["previous_id"], first["next_id"], first["document"]["url"]) == (None, 2, "https://x/b/")
    assert [t["speaker"] for t in first["turns"]] == ["MR PRICE", "QUESTION"]
    assert [c["kind"] for c in first["changes"]] == ["new", "edited"]
    assert pages.version(conn, 99) is None and pages.timeline(conn, 99) is None
    timeline = pages.timeline(conn, 1)
    assert [v["id"] for v in timeline["versions"]] == [1, 2]
    assert [(c["kind"], c["observed_at"]) for c in timeline["changes"]] == [
        ("new", "2026-01-01T00:00:00"), ("edited", "2026-01-02T00:00:00")]
    assert [r["id"] for r in pages.versions_of(conn, [2, 1])] == [1, 2]


def test_versions_are_numbered_one_way_in_the_sites_time_order(tmp_path):
    """Issue 24: after a backfill, "version 3" (written last, found in a web archive) was older than
    "version 1", and the change page said #5 -> #36 where the version page said "version 2". Every
    read numbers a version by its place in the site's time order."""
    db = open_db(tmp_path / "a.db")
    doc = documents.create_document(db, {"source": "state", "key": "k", "url": "https://x/b/", "title": "B",
                                         "first_seen": "t0", "last_seen": "t2"})
    ids = [versions.insert_version(db, {"document_id": doc, "created_at": "2026-12-07", "observed_at": observed,
                                        "title": "B", "content_hash": f"h{n}", "body_text": f"text {n}"})
           for n, observed in enumerate(("2026-01-01T00:00:00", "2026-02-01T00:00:00", "2021-03-05T00:00:00"))]
    live_first, live_second, backfilled = ids
    changes_table.insert_change(db, {"document_id": doc, "kind": "edited", "from_version_id": backfilled,
                                     "to_version_id": live_first, "detected_at": "2026-12-07T00:00:00",
                                     "changed_fields": "[]", "historical": 1})
    db.conn.commit()
    expected = {backfilled: 1, live_first: 2, live_second: 3}
    assert {i: versions.get_version(db, i)["number"] for i in ids} == expected
    assert {v["id"]: v["number"] for v in versions.document_versions(db, doc)} == expected
    conn = sqlite3.connect(tmp_path / "a.db")
    assert {v["id"]: v["number"] for v in pages.timeline(conn, doc)["versions"]} == expected
    assert {v["id"]: v["number"] for v in pages.versions_of(conn, ids)} == expected
    assert {i: pages.version(conn, i)["number"] for i in ids} == expected
    change = changes_table.recent_changes(db)[0]
    assert (change["from_number"], change["to_number"]) == (1, 2)


def test_the_evidence_before_is_the_last_capture_unchanged(tmp_path):
    """Issue 24: a page that repeated one text from 2019 to 2021 and then changed: the proof of
    "before" is its 2021 capture (where the edit's window opens), not the 2019 one."""
    from remarkwatch.storage import blobs, captures

    db = open_db(tmp_path / "a.db")
    body = blobs.put_blob(db, b"<html>the page</html>")
    doc = documents.create_document(db, {"source": "state", "key": "k", "url": "https://x/b/", "title": "B",
                                         "first_seen": "t0", "last_seen": "t2"})

    def capture(when: str) -> int:
        return captures.insert_capture(db, {"source": "state", "url": "https://x/b/", "final_url": "https://x/b/",
                                            "status": 200, "outcome": "ok", "fetched_at": "2026-12-07T00:00:00",
                                            "observed_at": when, "blob_hash": body, "document_id": doc, "origin": "wayback",
                                            "memento_url": f"https://web.archive.org/web/{when[:4]}/https://x/b/"})
    first = capture("2019-01-01T00:00:00")
    old = versions.insert_version(db, {"document_id": doc, "created_at": "2026-12-07", "observed_at": "2019-01-01T00:00:00",
                                       "title": "B", "content_hash": "h1", "body_text": "a", "capture_id": first,
                                       "memento_url": "https://web.archive.org/web/2019/https://x/b/"})
    repeats = [capture(when) for when in ("2020-01-01T00:00:00", "2021-01-01T00:00:00")]
    changed = capture("2021-06-01T00:00:00")
    new = versions.insert_version(db, {"document_id": doc, "created_at": "2026-12-07", "observed_at": "2021-06-01T00:00:00",
                                       "title": "B", "content_hash": "h2", "body_text": "b", "capture_id": changed,
                                       "memento_url": "https://web.archive.org/web/2021/https://x/b/"})
    db.execute("UPDATE captures SET version_id = ? WHERE id IN (?, ?, ?)", [old, first, *repeats])
    db.execute("UPDATE captures SET version_id = ? WHERE id = ?", [new, changed])
    change = changes_table.insert_change(db, {"document_id": doc, "kind": "edited", "from_version_id": old,
                                              "to_version_id": new, "detected_at": "2026-12-07T00:00:00",
                                              "changed_fields": "[]", "historical": 1,
                                              "previous_seen_at": "2021-01-01T00:00:00",
                                              "observed_at": "2021-06-01T00:00:00"})
    db.conn.commit()
    assert changes_table.get_change(db, change)["from_memento_url"] == "https://web.archive.org/web/2021/https://x/b/"
    assert [c["id"] for c in captures.change_captures(db, change)] == [repeats[1], changed]
    from remarkwatch.storage.archive import export_rows
    assert [r["from_memento_url"] for r in export_rows(db, "changes")] == ["https://web.archive.org/web/2021/https://x/b/"]
