"""The small storage modules the passes, the writer helper, the cluster writer and the CLI use
instead of SQL of their own: runs.py, captures.py, checks.py, connection.py, on a real SQLite file."""
from __future__ import annotations

import pytest

from remarkwatch.storage import captures, checks, connection, documents, runs
from remarkwatch.storage.db import open_db

NOW = "2026-11-27T10:00:00+00:00"


@pytest.fixture
def db(tmp_path):
    return open_db(tmp_path / "a.db")


@pytest.mark.parametrize("buckets, expected", [
    ([], (0, 0, 0, 0, 0)),
    (["new"], (1, 1, 0, 0, 0)),
    (["new", "edited", "edited", "unchanged", "failed"], (5, 1, 2, 1, 1)),
])
def test_add_page_counts_the_page_and_its_bucket(db, buckets, expected):
    run_id = runs.start_run(db, ["s"], NOW)
    for bucket in buckets:
        runs.add_page(db, run_id, bucket)
    row = runs.recent(db)[0]
    assert (row["pages"], row["new"], row["edited"], row["unchanged"], row["failed"]) == expected


def test_add_page_refuses_a_column_that_is_not_a_count(db):
    run_id = runs.start_run(db, ["s"], NOW)
    with pytest.raises(ValueError, match="unknown run count 'outcome'"):
        runs.add_page(db, run_id, "outcome")


def test_recent_runs_newest_first_and_limited(db):
    ids = [runs.start_run(db, [f"s{i}"], NOW) for i in range(4)]
    assert [r["id"] for r in runs.recent(db, limit=3)] == ids[::-1][:3]
    assert set(runs.recent(db)[0]) == {"id", "started_at", "finished_at", "sources", "outcome", "pages", "new",
                                       "edited", "unchanged", "failed", "outside_listings"}
    runs.finish_run(db, ids[-1], NOW, "ok", {"pages": 0, "outside_listings": 10})
    assert runs.recent(db, limit=1)[0]["outside_listings"] == 10


def _capture(db, source: str, key: str | None) -> None:
    captures.insert_capture(db, {"source": source, "url": "https://x/1", "final_url": "https://x/1", "status": 200,
                                "fetched_at": NOW, "outcome": "ok", "capture_key": key})


@pytest.mark.parametrize("asked, seen", [("k1", True), ("k2", False)])
def test_capture_key_seen(db, asked, seen):
    _capture(db, "s", "k1")
    assert captures.key_seen(db, asked) is seen


@pytest.mark.parametrize("asked, seen", [("s", True), ("other", False)])
def test_source_seen(db, asked, seen):
    _capture(db, "s", None)
    assert captures.source_seen(db, asked) is seen


@pytest.mark.parametrize("next_checks, expected", [
    ([], (0, 0, None)),
    ([None, "2026-11-27T09:00:00+00:00", "2026-11-28T00:00:00+00:00"], (3, 2, "2026-11-27T09:00:00+00:00")),
    (["2026-11-28T00:00:00+00:00"], (1, 0, "2026-11-28T00:00:00+00:00")),
])
def test_document_checks(db, next_checks, expected):
    for i, next_check in enumerate(next_checks):
        documents.create_document(db, {"source": "s", "key": f"k{i}", "url": f"u{i}", "first_seen": NOW,
                                     "last_seen": NOW, "next_check_at": next_check})
    documents.create_document(db, {"source": "other", "key": "o", "url": "o", "first_seen": NOW, "last_seen": NOW})
    assert tuple(checks.document_checks(db, "s", NOW)) == expected


def test_connection_path_and_temp_store(db, tmp_path):
    assert connection.database_path(db) == str(tmp_path / "a.db")
    connection.temp_store_in_memory(db)
    assert db.execute("PRAGMA temp_store").fetchone()[0] == 2       # MEMORY
