"""A live capture into the archive (record/ingest.py), in process on a real SQLite file: a
document's state (active, missing, removed, blocked) and when a page that is gone counts as
removed, restoring, edits and reverts, a moved page's old URL, and re-extraction."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from remarkwatch.crawler.items import BLOCKED, GONE, OK, Capture, Extracted
from remarkwatch.record.ingest import RemovalPolicy, ingest, reextract
from remarkwatch.storage import runs
from remarkwatch.storage.db import open_db

URL = "https://www.state.gov/releases/a/"
START = datetime(2026, 1, 10, tzinfo=timezone.utc)


def at(hours: float) -> str:
    return (START + timedelta(hours=hours)).isoformat(timespec="seconds")


def ok(text: str = "The first words.", url: str = URL, post_id: str | None = "7", **kw) -> Capture:
    return Capture(source="state", url=kw.pop("asked", url), final_url=url, status=200, fetched_at=at(0), outcome=OK,
                   body=text.encode(), fields=Extracted(title="A briefing", body_text=text, post_id=post_id), **kw)


def failed(outcome: str, url: str = URL, status: int | None = 404) -> Capture:
    return Capture(source="state", url=url, final_url=url, status=status, fetched_at=at(0), outcome=outcome,
                   error=None if outcome == GONE else "block page")


@pytest.fixture
def db(archive_path):
    """An archive with runs 1 to 4 started (a capture names the pass that fetched it)."""
    db = open_db(archive_path)
    for hours in range(4):
        runs.start_run(db, ["state"], at(hours))
    return db


def state(db) -> str:
    return db.execute("SELECT state FROM documents").fetchone()[0]


def run(db, steps, policy=RemovalPolicy()) -> list[str]:
    """Ingest (run id, hours after START, capture) steps; the kinds they give."""
    return [ingest(db, capture, site="state.gov", run_id=run_id, now=at(hours), policy=policy)
            for run_id, hours, capture in steps]


@pytest.mark.parametrize("gone, policy, kinds, final", [
    ([(2, 1)], RemovalPolicy(), ["failed"], "missing"),
    ([(2, 1), (3, 3)], RemovalPolicy(), ["failed", "removed"], "removed"),
    ([(2, 1), (3, 1.5)], RemovalPolicy(), ["failed", "failed"], "missing"),        # two passes, half an hour
    ([(2, 1), (2, 5)], RemovalPolicy(), ["failed", "failed"], "missing"),          # one pass, asked twice
    ([(2, 1), (3, 3), (4, 5)], RemovalPolicy(), ["failed", "removed", "failed"], "removed"),   # said once
    ([(2, 1), (3, 2), (4, 30)], RemovalPolicy(passes=3, hours=24), ["failed", "failed", "removed"], "removed"),
])
def test_a_page_is_removed_only_after_enough_passes_and_hours(db, gone, policy, kinds, final):
    assert run(db, [(1, 0, ok())]) == ["new"]
    assert run(db, [(run_id, hours, failed(GONE)) for run_id, hours in gone], policy) == kinds
    assert state(db) == final
    removed = db.execute("SELECT summary FROM changes WHERE kind = 'removed'").fetchall()
    assert len(removed) == kinds.count("removed")
    assert all("HTTP 404" in summary for summary, in removed)


@pytest.mark.parametrize("first, back, kind", [
    (failed(GONE), ok(), "restored"),
    (failed(GONE), ok("New words."), "restored"),
    (failed(BLOCKED, status=200), ok(), "unchanged"),
])
def test_a_page_back_is_active_again(db, first, back, kind):
    run(db, [(1, 0, ok()), (2, 1, first), (3, 3, first)], RemovalPolicy())
    assert run(db, [(4, 4, back)]) == [kind]
    assert state(db) == "active"
    assert db.execute("SELECT missing_passes, missing_since FROM documents").fetchone() == (0, None)


def test_a_block_page_is_said_once_and_never_a_version(db):
    kinds = run(db, [(1, 0, ok()), (2, 1, failed(BLOCKED, status=200)), (3, 2, failed(BLOCKED, status=200))])
    assert kinds == ["new", "blocked", "failed"] and state(db) == "blocked"
    assert db.execute("SELECT COUNT(*) FROM versions").fetchone()[0] == 1


@pytest.mark.parametrize("texts, kinds, versions", [
    (["One.", "One."], ["new", "unchanged"], 1),
    (["One.", "Two."], ["new", "edited"], 2),
    (["One.", "Two.", "One."], ["new", "edited", "reverted"], 3),
])
def test_content_gives_versions_and_changes(db, texts, kinds, versions):
    assert run(db, [(i + 1, i, ok(text)) for i, text in enumerate(texts)]) == kinds
    assert db.execute("SELECT COUNT(*) FROM versions").fetchone()[0] == versions
    assert db.execute("SELECT COUNT(*) FROM captures WHERE version_id IS NOT NULL").fetchone()[0] == len(texts)


def test_a_moved_pages_old_url_answering_404_says_nothing(db):
    new_url = URL.replace("/a/", "/b/")
    run(db, [(1, 0, ok()), (2, 1, ok(url=new_url, asked=URL, redirect_urls=[URL]))])
    assert db.execute("SELECT url FROM documents").fetchall() == [(new_url,)]
    assert run(db, [(3, 2, failed(GONE)), (4, 5, failed(GONE))]) == ["failed", "failed"]
    assert state(db) == "active"


def test_a_failure_of_a_page_never_archived_is_only_a_capture(db):
    assert run(db, [(1, 0, failed(GONE))]) == ["failed"]
    assert db.execute("SELECT COUNT(*) FROM documents").fetchone()[0] == 0
    assert db.execute("SELECT COUNT(*) FROM captures").fetchone()[0] == 1


def test_a_post_id_seen_later_becomes_the_documents_key(db):
    run(db, [(1, 0, ok(post_id=None)), (2, 1, ok())])
    assert db.execute("SELECT post_id, key FROM documents").fetchone() == ("7", "state.gov:post:7")


def test_next_check_is_written_with_the_capture(db):
    ingest(db, ok(), site="state.gov", run_id=1, now=at(0), next_check=lambda first_seen: first_seen + "+next")
    assert db.execute("SELECT last_checked_at, next_check_at FROM documents").fetchone() == (at(0), at(0) + "+next")


def test_a_stored_capture_extracted_again_is_a_reextracted_change(db):
    run(db, [(1, 0, ok("One."))])
    capture_id = db.execute("SELECT id FROM captures").fetchone()[0]
    again = ok("One, better extracted.", capture_id=capture_id)
    assert reextract(db, again, site="state.gov", now=at(5)) == "reextracted"
    assert reextract(db, again, site="state.gov", now=at(6)) == "unchanged"
    assert db.execute("SELECT COUNT(*) FROM captures").fetchone()[0] == 1


@pytest.mark.parametrize("captures, kinds", [
    # a new parser (EXTRACTOR_VERSION 3, issue 27) reads the page differently: not an edit by the site
    ([("state.gov/2", "One."), ("state.gov/3", "One, read whole.")], ["new", "reextracted"]),
    # ... and from then on the new extractor's versions are compared like with like
    ([("state.gov/2", "One."), ("state.gov/3", "One, read whole."), ("state.gov/3", "Two, read whole.")],
     ["new", "reextracted", "edited"]),
    # the new parser read the same text: a later edit is an edit, though the version is still 2's
    ([("state.gov/2", "One."), ("state.gov/3", "One."), ("state.gov/3", "Two.")], ["new", "unchanged", "edited"]),
    ([("state.gov/3", "One."), ("state.gov/3", "Two.")], ["new", "edited"]),
    ([("", "One."), ("state.gov/3", "Two.")], ["new", "edited"]),      # no extractor recorded: compared as before
    ([("state.gov/3", "One."), ("fallback:state.gov/3", "Two.")], ["new", "reextracted"]),
])
def test_a_new_extractor_is_not_an_edit_by_the_site(db, captures, kinds):
    steps = [(i + 1, i, ok(text, extractor=extractor)) for i, (extractor, text) in enumerate(captures)]
    assert run(db, steps) == kinds
    switched = db.execute("SELECT summary FROM changes WHERE kind = 'reextracted'").fetchall()
    assert all(summary.startswith("extractor switched (") for summary, in switched)
    assert len(switched) == kinds.count("reextracted")


def test_after_reprocess_the_next_pass_compares_with_the_new_extractor(db):
    """`remarkwatch reprocess` after an upgrade re-reads the stored page with the new parser: the
    next live capture is compared with that reading, and an edit in it is an edit."""
    run(db, [(1, 0, ok("One.", extractor="state.gov/2"))])
    capture_id = db.execute("SELECT id FROM captures").fetchone()[0]
    assert reextract(db, ok("One, read whole.", capture_id=capture_id, extractor="state.gov/3"),
                     site="state.gov", now=at(1)) == "reextracted"
    assert run(db, [(2, 2, ok("Two, read whole.", extractor="state.gov/3"))]) == ["edited"]
    assert db.execute("SELECT extractor FROM captures ORDER BY id").fetchall() == [("state.gov/3",), ("state.gov/3",)]
