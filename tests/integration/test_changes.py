"""Document states over time (missing, removed, restored, blocked), reprocess and history."""
from __future__ import annotations

import json
import re

import pytest

from remarkwatch.crawler.items import BLOCKED, GONE, OK, Capture, Extracted
from remarkwatch.record.ingest import RemovalPolicy, ingest
from remarkwatch.storage import documents, runs as runs_table
from remarkwatch.storage.db import open_db
from tests.conftest import crawl, db_at, invoke, write_config

URL = "https://www.state.gov/a-briefing/"


def capture(outcome=OK, status=200, body_text="MR PRICE: Good afternoon.", **kw) -> Capture:
    fields = Extracted(title="Briefing", body_text=body_text, post_id="1", canonical_url=URL) if outcome == OK else None
    return Capture(source="s", url=URL, final_url=URL, status=status, fetched_at="t", outcome=outcome,
                   fields=fields, **kw)


def runs(db, n: int) -> None:
    for _ in range(n):
        runs_table.start_run(db, ["s"], "t")


def test_removal_waits_for_passes_and_hours(tmp_path):
    db = open_db(tmp_path / "a.db")
    runs(db, 6)
    policy = RemovalPolicy(passes=2, hours=6)
    assert ingest(db, capture(), site="state.gov", run_id=None, now="2026-01-01T00:00:00+00:00") == "new"
    gone = capture(GONE, 404, error="HTTP 404")
    assert ingest(db, gone, site="state.gov", run_id=1, now="2026-01-01T01:00:00+00:00", policy=policy) == "failed"
    assert ingest(db, gone, site="state.gov", run_id=1, now="2026-01-01T01:01:00+00:00", policy=policy) == "failed"
    doc = documents.get_document(db, 1)
    assert (doc["state"], doc["missing_passes"]) == ("missing", 1)   # the same pass counts once
    # Two passes, but only one hour: not yet.
    assert ingest(db, gone, site="state.gov", run_id=2, now="2026-01-01T02:00:00+00:00", policy=policy) == "failed"
    assert ingest(db, gone, site="state.gov", run_id=3, now="2026-01-01T07:30:00+00:00", policy=policy) == "removed"
    assert documents.get_document(db, 1)["state"] == "removed"
    assert ingest(db, gone, site="state.gov", run_id=4, now="2026-01-01T08:00:00+00:00", policy=policy) == "failed"
    assert [r[0] for r in db.execute("SELECT kind FROM changes ORDER BY id")] == ["new", "removed"]
    assert ingest(db, capture(), site="state.gov", run_id=5, now="2026-01-02T00:00:00+00:00") == "restored"
    edited = capture(body_text="MR PRICE: Good evening.")
    assert ingest(db, edited, site="state.gov", run_id=6, now="2026-01-02T01:00:00+00:00") == "edited"
    kinds = db.execute("SELECT kind, to_version_id IS NULL FROM changes ORDER BY id").fetchall()
    assert kinds == [("new", 0), ("removed", 1), ("restored", 1), ("edited", 0)]


def test_a_page_back_before_the_threshold_is_no_change(tmp_path):
    db = open_db(tmp_path / "a.db")
    runs(db, 2)
    ingest(db, capture(), site="state.gov", run_id=None, now="2026-01-01T00:00:00+00:00")
    ingest(db, capture(GONE, 404), site="state.gov", run_id=1, now="2026-01-01T01:00:00+00:00")
    assert ingest(db, capture(), site="state.gov", run_id=2, now="2026-01-01T02:00:00+00:00") == "unchanged"
    doc = documents.get_document(db, 1)
    assert (doc["state"], doc["missing_passes"], doc["missing_since"]) == ("active", 0, None)


def test_blocked_is_recorded_once_until_it_clears(tmp_path):
    db = open_db(tmp_path / "a.db")
    runs(db, 3)
    ingest(db, capture(), site="state.gov", run_id=None, now="t0")
    block = capture(BLOCKED, 200, error="block page ('Technical Difficulties')", body=b"<html>decoy</html>")
    assert ingest(db, block, site="state.gov", run_id=1, now="t1") == "blocked"
    assert ingest(db, block, site="state.gov", run_id=2, now="t2") == "failed"
    assert ingest(db, capture(), site="state.gov", run_id=3, now="t3") == "unchanged"
    assert [r[0] for r in db.execute("SELECT kind FROM changes ORDER BY id")] == ["new", "blocked"]
    assert db["versions"].count == 1


@pytest.mark.slow
def test_reprocess_after_a_parser_fix(tmp_path, server):
    # A source whose strip list forgot the share bar: "Share this page" leaks into every body.
    broken = write_config(tmp_path, server.base_url)
    fixed_text = broken.read_text()
    broken.write_text(fixed_text + '\n[sources.selectors]\nstrip = [".related-tags", ".related-content"]\n')
    crawl(broken)
    db = db_at(broken)
    leaked = db.execute("SELECT COUNT(*) FROM versions WHERE body_text LIKE '%Share this page%'").fetchone()[0]
    assert leaked > 0
    fetched = db["captures"].count
    broken.write_text(fixed_text)
    result = invoke("reprocess", "--config", broken, check=True)
    assert "34 captures re-extracted, 34 changed, 0 unchanged, 0 failed" in result.stdout
    assert db["captures"].count == fetched                    # nothing was fetched
    rows = list(db.query("SELECT kind, significance, summary, classes FROM changes WHERE kind != 'new'"))
    assert {r["kind"] for r in rows} == {"reextracted"} and len(rows) == 34
    assert all(r["significance"] == 0 for r in rows)
    assert all(r["summary"].startswith("re-extraction (state.gov/") and "removed '" in r["summary"] for r in rows)
    assert sum("removed 'Share this page" in r["summary"] for r in rows) == leaked
    alerting = json.loads(invoke("changes", "--config", broken, "--min-significance", "20", "--json",
                                  "--kind", "reextracted", check=True).stdout)
    assert alerting == []
    again = invoke("reprocess", "--config", broken, check=True)
    assert "34 captures re-extracted, 0 changed, 34 unchanged" in again.stdout
    # The next crawl of the unchanged site agrees with the re-extracted versions.
    assert "0 new, 0 edited, 34 unchanged" in crawl(broken).stdout


@pytest.mark.slow
def test_history_lists_versions_and_changes(config_path, site, server):
    crawl(config_path)
    site.edit("department-press-briefing-july-27-2021", "Eritrean forces", "Eritrean refugees")
    crawl(config_path)
    url = f"{server.base_url}/department-press-briefing-july-27-2021/"
    shown = invoke("history", "--config", config_path, url, check=True).stdout
    assert "versions (2):" in shown and "changes (2):" in shown
    assert "edited" in shown and "turn 1, MR PRICE: “forces” → “refugees”" in shown     # in words
    assert not re.search(r"\d{4}-\d\d-\d\dT", shown)        # times in words; --json keeps ISO
    as_json = json.loads(invoke("history", "--config", config_path, url, "--json", check=True).stdout)
    assert [v["seq"] for v in as_json["versions"]] == [1, 2]
    assert [c["kind"] for c in as_json["changes"]] == ["edited", "new"]
    db = db_at(config_path)
    turns = list(db.query("SELECT seq, speaker FROM turns WHERE version_id = ? ORDER BY seq",
                          [as_json["versions"][1]["id"]]))
    assert [t["speaker"] for t in turns] == ["MR PRICE", "QUESTION", "MR PRICE", "QUESTION", "MR PRICE"]
    missing = invoke("history", "--config", config_path, "https://example.org/nothing/")
    assert missing.returncode == 1 and "no document" in missing.stderr


@pytest.fixture
def watched(tmp_path):
    """Two releases the first crawl found (the baseline), then a silent edit and a release published later."""
    from remarkwatch.storage import schedule

    db = open_db(tmp_path / "archive.db")
    runs(db, 3)
    for post, url in (("1", URL), ("2", URL.replace("a-briefing", "b-briefing"))):
        item = capture(body_text="MR PRICE: Good afternoon. Eritrean forces must leave.")
        item = Capture(**{**item.__dict__, "url": url, "final_url": url,
                          "fields": Extracted(**{**item.fields.__dict__, "post_id": post, "canonical_url": url})})
        ingest(db, item, site="state.gov", run_id=1, now=f"2026-01-01T00:00:0{post}+00:00")
    schedule.save_source_state(db, "s", baseline_done_at="2026-01-01T00:01:00+00:00")
    edited = capture(body_text="MR PRICE: Good afternoon. Eritrean refugees must leave.")
    ingest(db, edited, site="state.gov", run_id=2, now="2026-01-02T00:00:00+00:00")
    later = "https://www.state.gov/c-briefing/"
    item = capture(body_text="MR PRICE: A new one.")
    ingest(db, Capture(**{**item.__dict__, "url": later, "final_url": later,
                          "fields": Extracted(**{**item.fields.__dict__, "post_id": "3", "canonical_url": later})}),
           site="state.gov", run_id=3, now="2026-01-03T00:00:00+00:00")
    db.close()
    path = tmp_path / "remarkwatch.toml"
    path.write_text(f'db = "{tmp_path / "archive.db"}"\n\n[[sources]]\nname = "s"\nprofile = "state.gov"\n'
                    'start_urls = ["https://www.state.gov/press-releases/"]\n')
    return path


@pytest.mark.parametrize("flags, listed", [
    ((), [("new", False, False), ("edited", True, False)]),                       # the baseline left out
    (("--baseline",), [("new", False, False), ("edited", True, False), ("new", False, True), ("new", False, True)]),
    (("--silent",), [("edited", True, False)]),
    (("--silent", "--baseline", "--kind", "new"), []),
])
def test_changes_hides_the_baseline_unless_asked_and_filters_silent_edits(watched, flags, listed):
    rows = json.loads(invoke("changes", "--config", watched, "--json", *flags, check=True).stdout)
    assert [(r["kind"], r["silent"], r["baseline"]) for r in rows] == listed
    table = invoke("changes", "--config", watched, *flags, check=True).stdout
    assert table.count(" baseline") == sum(baseline for _, _, baseline in listed)


def test_a_release_new_in_the_second_the_baseline_ended_is_not_taken_for_baseline(tmp_path):
    """The archive's times have whole seconds: a pass that began in the second the baseline pass
    ended had its new releases hidden from `changes` as baseline rows. The baseline is told by
    its run (m014)."""
    from remarkwatch.storage import changes as changes_table, documents, runs, schedule
    from remarkwatch.storage.db import open_db

    db = open_db(tmp_path / "archive.db")
    moment = "2026-01-01T00:01:00+00:00"
    first, second = runs.start_run(db, ["s"], moment), runs.start_run(db, ["s"], moment)
    for run_id, key in ((first, "old"), (second, "fresh")):
        doc = documents.create_document(db, {"source": "s", "key": key, "url": f"https://x/{key}/", "title": key,
                                             "first_seen": moment, "last_seen": moment})
        changes_table.insert_change(db, {"document_id": doc, "kind": "new", "detected_at": moment, "run_id": run_id,
                                         "changed_fields": "[]", "significance": 50})
    schedule.save_source_state(db, "s", baseline_done_at=moment)
    schedule.save_source_state(db, "s", baseline_run_id=first)
    shown = changes_table.recent_changes(db, limit=10, baseline=False)
    assert [c["title"] for c in shown] == ["fresh"]
    assert {c["title"]: c["baseline"] for c in changes_table.recent_changes(db, limit=10, baseline=True)} == \
        {"fresh": 0, "old": 1}
