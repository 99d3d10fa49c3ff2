"""The one road into the archive: the same captures give the same archive by every route that
records them (the pass's writer thread, a helper-prepared capture, the writer helper judging as it
writes, the cluster's stream writer, backfill's history and reprocess), because every route calls
`record()`. Each route runs in process against its own SQLite file."""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from remarkwatch.config import build_config
from remarkwatch.crawler.cluster.stream import capture_from_entry, capture_to_entry
from remarkwatch.crawler.extract import EXTRACTOR_VERSION
from remarkwatch.crawler.items import EXTRACT_ERROR, OK, Capture
from remarkwatch.crawler.judge import judge
from remarkwatch.crawler.profiles import get_profile
from remarkwatch.demo.replica.content import demo_releases
from remarkwatch.demo.replica.site import article_2025
from remarkwatch.parallel import writer
from remarkwatch.parallel.prepare import prepare_capture
from remarkwatch.passes.reprocess import reprocess
from remarkwatch.record.history import Place
from remarkwatch.record.record import Rules, record
from remarkwatch.record.rows import store_capture
from remarkwatch.storage import runs
from remarkwatch.storage.db import open_db

BASE = "https://www.state.gov"
PROFILE = get_profile("state.gov")
RULES = Rules(site=PROFILE.site)
TIMES = ["2026-01-05T10:00:00+00:00", "2026-01-05T12:00:00+00:00", "2026-01-06T09:00:00+00:00"]


def _pages() -> tuple[str, list[bytes]]:
    """One release as the site served it three times: first, with "I don't think" edited to "I
    believe" and its last paragraph dropped, then reverted to the first."""
    release = dataclasses.replace(demo_releases()[0], layout="2025")
    first = [*release.paragraphs[:-1], "MR PRICE: I don't think that is the case.", release.paragraphs[-1]]
    edited = [p.replace("I don't think", "I believe") for p in first[:-1]]
    bodies = [article_2025(dataclasses.replace(release, paragraphs=ps), BASE).encode()
              for ps in (first, edited, first)]
    return BASE + release.path, bodies


URL, BODIES = _pages()


def _capture(index: int, **extra) -> Capture:
    return Capture(source="state", url=URL, final_url=URL, status=200, fetched_at=TIMES[index], outcome=OK,
                   body=BODIES[index], content_type="text/html; charset=utf-8",
                   extractor=f"{PROFILE.name}/{EXTRACTOR_VERSION}", **extra)


def _judged(index: int, **extra) -> Capture:
    capture = _capture(index, **extra)
    return judge(capture, text=lambda: capture.body.decode(), profile=PROFILE, fallback=None)


def by_thread(db, path):
    """The pass's writer thread: judged in the crawling process, recorded as it arrives."""
    run_id = runs.start_run(db, ["state"], TIMES[0])
    for i, now in enumerate(TIMES):
        record(db, _judged(i), RULES, run_id, now)


def by_prepared_capture(db, path):
    """Judged and prepared by a helper process (hashes, turns, compressed blob computed there)."""
    run_id = runs.start_run(db, ["state"], TIMES[0])
    for i, now in enumerate(TIMES):
        record(db, prepare_capture(_judged(i)), RULES, run_id, now)


def by_writer_helper(db, path):
    """The writer helper's job, judging the page itself as it writes it (one fused helper)."""
    run_id = runs.start_run(db, ["state"], TIMES[0])
    writer.init_process(str(path))
    for i, now in enumerate(TIMES):
        capture = _capture(i, judge_later=(PROFILE, None, False, False))
        kind, error, _ = writer.write(capture, RULES, run_id, now)
        assert error is None, error


def by_cluster_stream(db, path):
    """A cluster worker's capture, sent through the Redis stream's entry format and read back."""
    run_id = runs.start_run(db, ["state"], TIMES[0])
    for i, now in enumerate(TIMES):
        entry = capture_to_entry(_judged(i))
        as_redis = {key.encode(): value.encode() if isinstance(value, str) else value for key, value in entry.items()}
        record(db, capture_from_entry(as_redis), RULES, run_id, now)


def by_backfill(db, path):
    """Mementos of a web archive, stored as fetched, then filed in the document's history."""
    place = Place(None, None, None, url=URL, urls=(URL,))
    captures = []
    for i, when in enumerate(TIMES):
        capture = _judged(i, origin="wayback", observed_at=when,
                          memento_url=f"https://web.archive.org/web/{when[:4]}0105/{URL}")
        capture.seen_until = when
        store_capture(db, capture, None)
        captures.append(capture)
    with db.atomic():
        for capture in captures:
            record(db, capture, RULES, None, TIMES[-1], place=place)


def by_reprocess(db, path):
    """Pages the parser once failed on (stored, linked), extracted again after a parser fix."""
    config = build_config({"sources": [{"name": "state", "profile": "state.gov", "start_urls": [BASE + "/"]}]},
                          path.with_suffix(".toml"))
    for i, now in enumerate(TIMES):
        failed = dataclasses.replace(_capture(i), outcome=EXTRACT_ERROR, error="parser bug")
        record(db, failed, RULES, None, now)
        reprocess(db, config, now)


ROUTES = [by_thread, by_prepared_capture, by_writer_helper, by_cluster_stream, by_backfill, by_reprocess]


def archive_of(route, tmp_path: Path) -> dict:
    path = tmp_path / f"{route.__name__}.db"
    db = open_db(path)
    route(db, path)
    db = open_db(path)
    assert [r[0] for r in db.execute("PRAGMA integrity_check")] == ["ok"]
    versions = [dict(zip(("title", "body_text", "content_hash", "speakers", "url"), row)) for row in db.execute(
        "SELECT title, body_text, content_hash, speakers, url FROM versions ORDER BY observed_at, id")]
    changes = [dict(zip(("kind", "classes", "silent", "diff", "edits", "from", "to", "reverted_to"), row))
               for row in db.execute(
        "SELECT kind, classes, silent, diff, edits, from_version_id, to_version_id, reverted_to_version_id "
        "FROM changes WHERE from_version_id IS NOT NULL ORDER BY id")]
    return {"documents": db.execute("SELECT count(*) FROM documents").fetchone()[0],
            "captures": db.execute("SELECT count(*) FROM captures WHERE document_id IS NOT NULL").fetchone()[0],
            "versions": versions, "changes": changes,
            "kinds": [c.pop("kind") for c in changes]}


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    return archive_of(by_thread, tmp_path_factory.mktemp("reference"))


def test_the_reference_archive_holds_the_edit_and_the_revert(reference):
    assert reference["documents"] == 1 and reference["captures"] == 3
    first, edited, reverted = reference["versions"]
    assert "I believe that" in edited["body_text"] and "I believe that" not in first["body_text"]
    assert reverted["content_hash"] == first["content_hash"] != edited["content_hash"]
    assert reference["kinds"] == ["edited", "reverted"]
    edit, revert = reference["changes"]
    assert json.loads(edit["edits"]), "the edit is located in the transcript"
    assert revert["reverted_to"] == edit["from"]


# What each route records differently, by design: backfill's changes are `historical` (same kinds),
# reprocess's are `reextracted` (the site edited nothing it could see), and reprocess leaves the
# capture that first makes a document unlinked, as it did before the routes were joined.
EXPECTED_KINDS = {"by_backfill": ["edited", "reverted"], "by_reprocess": ["reextracted", "reextracted"]}
LINKED = {"by_reprocess": 2}


@pytest.mark.parametrize("route", ROUTES[1:], ids=lambda r: r.__name__)
def test_every_route_records_the_same_archive(route, reference, tmp_path):
    got = archive_of(route, tmp_path)
    assert got.pop("kinds") == EXPECTED_KINDS.get(route.__name__, reference["kinds"])
    assert got.pop("captures") == LINKED.get(route.__name__, reference["captures"])
    assert got == {k: v for k, v in reference.items() if k not in ("kinds", "captures")}
