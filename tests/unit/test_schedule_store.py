"""storage/schedule.py: due documents with their validators, check times, source state, the pass
lock and the daemon heartbeat, on a real SQLite file."""
from __future__ import annotations

import os
import socket

import pytest

from remarkwatch.storage import blobs, captures, documents, schedule
from remarkwatch.storage.db import open_db


DEAD_PID = 2**22 + 1          # above Linux's largest pid_max: no such process


@pytest.fixture
def db(tmp_path):
    return open_db(tmp_path / "a.db")


def document(db, key, *, source="s", next_check=None, state="active", first_seen="2026-01-01T00:00:00+00:00"):
    doc = documents.create_document(db, {"source": source, "key": key, "url": f"https://x/{key}/",
                                       "first_seen": first_seen, "last_seen": first_seen})
    db.execute("UPDATE documents SET next_check_at = ?, state = ? WHERE id = ?", [next_check, state, doc])
    return doc


def capture(db, doc, key, outcome="ok", etag=None, origin=None, final_url=None):
    blob = blobs.put_blob(db, f"<html>{key}{etag}</html>".encode())
    captures.insert_capture(db, {"source": "s", "url": f"https://x/{key}/", "final_url": final_url or f"https://x/{key}/",
                                "outcome": outcome, "fetched_at": "t", "etag": etag, "last_modified": f"lm-{etag}",
                                "blob_hash": blob, "document_id": doc, "origin": origin})
    return blob


def test_due_documents_with_the_validators_of_their_last_good_live_fetch(db):
    due = document(db, "due", next_check="2026-01-01T01:00:00")
    later = document(db, "later", next_check="2026-01-09T00:00:00")
    never = document(db, "never")
    missing = document(db, "missing", next_check="2026-01-09T00:00:00", state="missing")
    document(db, "other", source="t")
    capture(db, due, "due", etag="e1")
    good = capture(db, due, "due", etag="e2")
    capture(db, due, "due", outcome="blocked", etag="e3")                  # not a good fetch
    capture(db, due, "due", etag="e4", origin="wayback")                   # not a live one
    capture(db, due, "due", etag="e5", final_url="https://x/elsewhere/")   # not at its current URL
    rows = schedule.due_documents(db, "s", "2026-01-02T00:00:00")
    assert [r["id"] for r in rows] == [never, due, missing]                # NULL next check first
    first = {r["id"]: r for r in rows}[due]
    assert (first["etag"], first["last_modified"], first["blob_hash"]) == ("e2", "lm-e2", good)
    everything = schedule.due_documents(db, "s", "2026-01-02T00:00:00", everything=True)
    assert [r["id"] for r in everything] == [due, later, never, missing]
    assert all(r["etag"] is None and r["last_modified"] is None for r in everything)
    assert {r["id"]: r["blob_hash"] for r in everything}[due] == good


@pytest.mark.parametrize("sweep", [((0.0, 0.3),), ((0.6, 1.0), (0.0, 0.1)), ((0.25, 0.5),), ()])
def test_the_sweeps_share_comes_without_validators(db, sweep):
    """The documents whose sweep phase falls in this pass's ranges are fetched unconditionally,
    due or not; the SQL places them where core/recheck.sweep_phase does."""
    from remarkwatch.core.recheck import SPREAD, sweep_phase

    keys = {document(db, f"d{i}", next_check="2026-01-09T00:00:00"): f"d{i}" for i in range(40)}
    due = document(db, "due", next_check="2026-01-01T01:00:00")
    ids = list(keys)
    for doc, key in [*keys.items(), (due, "due")]:
        capture(db, doc, key, etag=f"e{doc}")
    rows = {r["id"]: r for r in schedule.due_documents(db, "s", "2026-01-02T00:00:00", sweep=sweep, spread=SPREAD)}
    swept = {d for d in ids + [due] if any(low <= sweep_phase(d) < high for low, high in sweep)}
    assert set(rows) == swept | {due}
    assert all((rows[d]["etag"] is None) is (d in swept) for d in rows)
    assert all(rows[d]["blob_hash"] for d in rows)


def test_mark_checked_url_moves_only_check_times(db):
    doc = document(db, "a")
    assert schedule.mark_checked_url(db, "https://x/a/", "2026-01-03T00:00:00", lambda first: f"after {first}")
    row = documents.get_document(db, doc)
    assert (row["last_checked_at"], row["last_seen"], row["next_check_at"]) == (
        "2026-01-03T00:00:00", "2026-01-03T00:00:00", "after 2026-01-01T00:00:00+00:00")
    assert schedule.mark_checked_url(db, "https://x/unknown/", "t", str) is False
    assert schedule.last_checks(db, "s") == {"https://x/a/": "2026-01-03T00:00:00"}


def test_source_state_upserts_and_the_baseline_is_marked_once(db):
    assert schedule.source_state(db, "s") == {"source": "s"}
    schedule.save_source_state(db, "s", last_started_at="t1", last_outcome="ok")
    schedule.save_source_state(db, "s", last_outcome="failed")
    state = schedule.source_state(db, "s")
    assert (state["last_started_at"], state["last_outcome"]) == ("t1", "failed")
    schedule.mark_baseline_done(db, "s", "t2")
    schedule.mark_baseline_done(db, "s", "t3")
    assert schedule.source_state(db, "s")["baseline_done_at"] == "t2"


def test_reschedule_recomputes_every_document_of_the_source(db):
    a, b = document(db, "a"), document(db, "b")
    other = document(db, "o", source="t", next_check="keep")
    assert schedule.reschedule(db, "s", lambda first, last: f"{first[:10]}/{last}") == 2
    assert [documents.get_document(db, d)["next_check_at"] for d in (a, b, other)] == [
        "2026-01-01/None", "2026-01-01/None", "keep"]


def test_the_pass_lock_is_held_by_one_live_process(db, tmp_path):
    assert schedule.acquire_lock(db, "pass", "t1") is None
    assert schedule.acquire_lock(db, "pass", "t2") is None                 # the holder may take it again
    holder = schedule.lock_holder(db, "pass")
    assert (holder["pid"], holder["host"], holder["acquired_at"]) == (os.getpid(), socket.gethostname(), "t2")
    schedule.release_lock(db, "pass")
    assert schedule.lock_holder(db, "pass") is None
    # A live process elsewhere (init, pid 1) holds it: it is named, not taken.
    db.execute("INSERT INTO locks (name, pid, host, acquired_at) VALUES ('pass', 1, ?, 't3')", [socket.gethostname()])
    assert schedule.acquire_lock(db, "pass", "t4")["pid"] == 1
    schedule.release_lock(db, "pass")                                      # not ours: stays
    assert schedule.lock_holder(db, "pass")["pid"] == 1
    # Its holder gone (a pid above the kernel's highest), the lock is taken over.
    db.execute("UPDATE locks SET pid = ? WHERE name = 'pass'", [DEAD_PID])
    assert schedule.lock_holder(db, "pass") is None
    assert schedule.acquire_lock(db, "pass", "t5") is None and schedule.lock_holder(db, "pass")["pid"] == os.getpid()


def test_another_hosts_process_is_assumed_alive():
    assert schedule.process_alive(DEAD_PID, "another-host.example") is True
    assert schedule.process_alive(DEAD_PID, socket.gethostname()) is False
    assert schedule.process_alive(os.getpid(), socket.gethostname()) is True


def test_heartbeat_keeps_the_start_of_the_same_daemon(db):
    assert schedule.daemon_row(db) is None
    schedule.heartbeat(db, "t1", "idle")
    schedule.heartbeat(db, "t2", "crawling", "source s")
    row = schedule.daemon_row(db)
    assert (row["pid"], row["started_at"], row["heartbeat_at"], row["state"], row["detail"]) == (
        os.getpid(), "t1", "t2", "crawling", "source s")
