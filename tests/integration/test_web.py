"""The archive in Datasette: canned queries, full-text search, Atom feeds, change pages, export,
and the change page in a real headless browser."""
from __future__ import annotations

import asyncio
import csv
import io
import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import feedparser
import pytest

from remarkwatch.crawler.items import GONE, OK, Capture, Extracted
from remarkwatch.record.ingest import RemovalPolicy, ingest
from remarkwatch.web.server import build_datasette
from remarkwatch.storage import runs
from remarkwatch.storage.db import open_db
from tests.conftest import ROOT, invoke
from tests.receivers import free_port

BRIEFING = "\n\n".join([
    "MR PRICE: Good afternoon. We call on all armed actors to stop attacks against Eritrean forces and all refugees.",
    "QUESTION: Thanks, Ned. How many people have been displaced?",
    "MR PRICE: Our latest figure is 136 million people.",
])
INJECTION = ("<script>document.body.dataset.pwned = 'script'</script>"
             "<img src=x onerror=\"document.body.dataset.pwned = 'img'\">")
ARTIFACTS = ROOT / "test-artifacts"


def capture(post_id: str, body: str, *, url: str | None = None, title: str = "Briefing", outcome=OK, status=200,
            modified: str = "t1") -> Capture:
    url = url or f"https://www.state.gov/briefing-{post_id}/"
    fields = None
    if outcome == OK:
        fields = Extracted(title=title, body_text=body, post_id=post_id, canonical_url=url, modified_time=modified,
                           speakers=["Ned Price, Department Spokesperson"])
    return Capture(source="state-briefings", url=url, final_url=url, status=status, fetched_at="t",
                   outcome=outcome, fields=fields, extractor="state.gov/2")


@pytest.fixture(scope="module")
def archive_path(tmp_path_factory) -> Path:
    """An archive holding each kind of change, written through the real ingest."""
    path = tmp_path_factory.mktemp("web") / "archive.db"
    db = open_db(path)
    for _ in range(4):
        runs.start_run(db, ["state-briefings"], "2026-11-27T10:00:00+00:00")
    steps = [
        (1, capture("1", BRIEFING)),
        (1, capture("2", BRIEFING, title=f"Remarks {INJECTION}")),
        (1, capture("3", BRIEFING)),
        (1, capture("4", BRIEFING)),
        (2, capture("1", BRIEFING.replace("Eritrean forces", "Eritrean refugees"))),
        (2, capture("2", BRIEFING + "\n\nMR PRICE: " + INJECTION, title=f"Remarks {INJECTION}")),
        (2, capture("3", "", outcome=GONE, status=404)),
        (2, capture("4", BRIEFING, url="https://www.state.gov/briefing-4-renamed/")),
        (3, capture("1", BRIEFING)),
        (3, capture("1", BRIEFING.replace("136 million", "~~136~~ [3.6] million"))),
    ]
    for number, (run, item) in enumerate(steps):
        ingest(db, item, site="state.gov", run_id=run, now=f"2026-11-27T1{run}:00:{number:02d}+00:00",
               policy=RemovalPolicy(passes=1, hours=0))
    db.close()
    return path


@pytest.fixture(scope="module")
def client(archive_path):
    datasette = build_datasette(archive_path)

    def get(path: str):
        return asyncio.run(datasette.client.get(path))
    return get


def rows(client, path: str) -> list[dict]:
    response = client(path + ("&" if "?" in path else "?") + "_shape=array")
    assert response.status_code == 200, response.text[:500]
    return response.json()


def test_canned_queries(client):
    latest = rows(client, "/archive/latest_changes.json")
    assert [r["kind"] for r in latest][:4] == ["edited", "reverted", "moved", "removed"]
    assert {r["kind"] for r in latest} == {"new", "edited", "reverted", "moved", "removed"}
    edits = rows(client, "/archive/edits_only.json")
    assert edits and "new" not in {r["kind"] for r in edits} and "removed" not in {r["kind"] for r in edits}
    by_speaker = rows(client, "/archive/changes_by_speaker.json?speaker=mr+price")
    assert {r["kind"] for r in by_speaker} == {"edited", "reverted"} and len(by_speaker) == 4
    assert [r["kind"] for r in rows(client, "/archive/changes_by_class.json?class=number")] == ["edited"]
    gone = rows(client, "/archive/removed_and_moved.json")
    assert {(r["kind"], r["state_now"]) for r in gone} == {("removed", "removed"), ("moved", "active")}
    history = rows(client, "/archive/document_history.json?document=https://www.state.gov/briefing-1/")
    assert [(r["version"], r["kind"]) for r in history] == [(1, "new"), (2, "edited"), (3, "reverted"), (4, "edited")]
    removed = rows(client, "/archive/document_history.json?document=3")
    assert [r["kind"] for r in removed] == ["new", "removed"]


def test_phrase_history_gives_every_appearance_and_disappearance(client):
    found = rows(client, "/archive/phrase_history.json?phrase=Eritrean+refugees")
    assert [(r["version"], r["event"], r["created_at"]) for r in found] == [
        (2, "appeared", "2026-11-27T12:00:04+00:00"), (3, "disappeared", "2026-11-27T13:00:08+00:00")]
    reverted = rows(client, "/archive/document_history.json?document=1")[2]
    assert found[1]["change_id"] == reverted["change_id"]
    # A flip-flop: "forces" in versions 1, 3 and 4, not in 2. Every step is there.
    flips = rows(client, "/archive/phrase_history.json?phrase=Eritrean+forces")
    assert [(r["version"], r["event"]) for r in flips if r["document_id"] == 1] == [
        (1, "appeared"), (2, "disappeared"), (3, "appeared")]
    # A phrase with quotes cannot break out of the phrase query.
    assert rows(client, '/archive/phrase_history.json?phrase=refugees%22+OR+%22forces') == []


def test_full_text_search_finds_versions_gone_from_the_site(client):
    hits = rows(client, "/archive/versions.json?_search=%22Eritrean+refugees%22&_col=document_id&_col=seq")
    assert hits == [{"id": 5, "document_id": 1, "seq": 2}]
    page = client("/archive/versions?_search=refugees")
    assert page.status_code == 200 and 'name="_search"' in page.text


def test_atom_feeds(client):
    first = feedparser.parse(client("/archive/feed.atom").text)
    assert not first.bozo and first.feed.title == "remarkwatch: all changes"
    assert len(first.entries) == 10
    assert first.entries[0].id.startswith("tag:remarkwatch,2026:change/")
    again = feedparser.parse(client("/archive/feed.atom").text)
    assert [e.id for e in again.entries] == [e.id for e in first.entries]
    edited = feedparser.parse(client("/archive/feed_by_kind.atom?kind=edited").text)
    assert {e.title.split(":")[0] for e in edited.entries} == {"edited (silent)"} and len(edited.entries) == 3
    assert "forces" in " ".join(e.summary for e in edited.entries)
    by_source = feedparser.parse(client("/archive/feed_by_source.atom?source=state-briefings").text)
    assert len(by_source.entries) == 10
    assert feedparser.parse(client("/archive/feed_by_source.atom?source=nope").text).entries == []


def test_change_page_inline_side_by_side_and_escaped(client, archive_path):
    db = open_db(archive_path)
    edit_id = next(db.query("SELECT id FROM changes WHERE kind = 'edited' AND document_id = 1 ORDER BY id"))["id"]
    injected_id = next(db.query("SELECT id FROM changes WHERE kind = 'edited' AND document_id = 2"))["id"]
    inline = client(f"/-/change/{edit_id}").text
    assert "<del>forces</del>" in inline and "<ins>refugees</ins>" in inline
    assert "turn 1, MR PRICE" in inline and "wording" in inline
    assert 'href="/-/document/1"' in inline and 'href="/-/version/5"' in inline
    side = client(f"/-/change/{edit_id}?view=side").text
    assert 'class="rw-side rw-diff"' in side and "<del>forces</del>" in side and "<ins>refugees</ins>" in side
    page = client(f"/-/change/{injected_id}").text
    assert "<script>document.body" not in page and "<img src=x" not in page
    assert "&lt;script&gt;document.body.dataset.pwned" in page
    assert client("/-/change/999999").status_code == 404


@pytest.mark.parametrize("sql, error", [
    # one value past the budget: refused inside SQLite, nothing allocated (drove serve to the OOM killer)
    ("select zeroblob(1000000000)", "string or blob too big"),
    # many values each under it that add up past it: refused while the answer is read
    ("with n(i) as (select 1 union all select i + 1 from n limit 40) select zeroblob(30000000) from n",
     "larger than 64 MB"),
])
def test_arbitrary_sql_is_bounded_in_memory(client, sql, error):
    """Issue 27, item 1: `serve` bounds an answer's memory as Datasette bounds its time."""
    import resource
    from urllib.parse import quote

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    response = client(f"/archive.json?sql={quote(sql)}&_shape=array")
    assert response.status_code == 400 and error in response.text, response.text[:300]
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 300 * 1024    # KB: under 300 MB more
    assert rows(client, "/archive/latest_changes.json"), "pages and canned queries still answer"


def test_arbitrary_sql_can_be_turned_off_for_a_public_instance(archive_path):
    datasette = build_datasette(archive_path, allow_sql=False)

    def get(path: str):
        return asyncio.run(datasette.client.get(path))
    assert get("/archive.json?sql=select+1").status_code == 403
    assert get("/archive/latest_changes.json").status_code == 200
    assert get("/archive/changes.json").status_code == 200
    assert get("/").status_code == 200


@pytest.mark.parametrize("path, status", [
    ("/-/search?q=%00", 200), ("/-/search?q=forces%00refugees", 200), ("/?speaker=%00", 200),
    ("/-/search?q=forces&offset=99999999999999999999999", 200), ("/-/search?q=forces&offset=-3", 200),
    ("/-/change/9223372036854775808", 404), ("/-/version/99999999999999999999", 404),
    ("/-/document/9223372036854775808", 404), ("/-/compare?from=9223372036854775808&to=1", 404),
    ("/archive/feed_by_kind.atom?kind=no-such-kind", 200), ("/archive/feed_by_source.atom?source=none", 200),
])
def test_hostile_requests_get_an_answer_not_a_500(client, path, status):
    """Issue 27, item 17: a NUL in a query, ids past SQLite's integers, a feed with no entries."""
    response = client(path)
    assert response.status_code == status, response.text[:300]
    if path.endswith(("none", "no-such-kind")):
        assert "<feed" in response.text and "<entry>" not in response.text


def test_a_bidi_override_from_a_page_is_shown_not_applied(tmp_path):
    """Issue 27, item 19: a U+202E in a title made "gnp.exe" read "exe.png" on the pages."""
    path = tmp_path / "bidi.db"
    db = open_db(path)
    ingest(db, capture("9", BRIEFING, title="Transcript \u202egnp.exe"), site="state.gov", run_id=None,
           now="2026-11-27T10:00:00+00:00")
    db.close()
    datasette = build_datasette(path)
    for page in ("/-/document/1", "/bidi/documents", "/"):
        html = asyncio.run(datasette.client.get(page)).text
        assert "\u202e" not in html, page
    assert "Transcript [U+202E]gnp.exe" in asyncio.run(datasette.client.get("/-/document/1")).text


def test_rows_link_both_ways(client):
    changes = client("/archive/changes").text
    assert '<a href="/-/change/1">new</a>' in changes
    document = client("/archive/documents/1").text
    assert "changes.document_id" in document or "/archive/changes?document_id=1" in document
    latest = client("/archive/latest_changes").text
    assert 'href="/-/change/' in latest


def test_metadata_and_read_only(client, archive_path):
    index = client("/").text
    assert "remarkwatch archive" in index and "public domain" in index
    before = open_db(archive_path)["changes"].count
    response = client("/archive.json?sql=delete+from+changes")
    assert response.status_code >= 400
    assert open_db(archive_path)["changes"].count == before


def config_for(directory: Path, db: Path) -> Path:
    path = directory / "remarkwatch.toml"
    path.write_text(f'db = "{db}"\n\n[[sources]]\nname = "state-briefings"\nprofile = "state.gov"\n'
                    'start_urls = ["https://www.state.gov/press-releases/"]\n')
    return path


def test_export_jsonl_and_csv(tmp_path, archive_path):
    config = config_for(tmp_path, archive_path)
    lines = invoke("export", "changes", "--config", config, check=True).stdout.splitlines()
    assert len(lines) == 10 and json.loads(lines[0])["kind"] == "new"
    out = tmp_path / "versions.csv"
    result = invoke("export", "versions", "--format", "csv", "-o", out, "--config", config, check=True)
    assert "wrote 9 versions" in result.stderr
    parsed = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert len(parsed) == 9 and "Eritrean" in parsed[0]["body_text"]
    assert invoke("export", "documents", "--source", "nope", "--config", config, check=True).stdout == ""


def test_serve_no_sql_keeps_the_pages_and_refuses_arbitrary_sql(tmp_path, archive_path):
    """`remarkwatch serve --no-sql`, as a public instance is started."""
    port = free_port()
    config = config_for(tmp_path, archive_path)
    server = subprocess.Popen([sys.executable, "-m", "remarkwatch", "serve", "--no-sql", "--port", str(port),
                               "--config", str(config)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_for(base + "/")
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(base + "/archive.json?sql=select+1", timeout=10)
        assert refused.value.code == 403
        for path in ("/", "/archive/latest_changes.json", "/archive/changes.json", "/-/search?q=forces"):
            with urllib.request.urlopen(base + path, timeout=10) as answer:
                assert answer.status == 200, path
    finally:
        server.terminate()
        server.wait(timeout=10)


def _wait_for(url: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer in {seconds} s")



def test_an_archive_it_cannot_write_is_served_immutable(archive_path, monkeypatch):
    """Issue 27, item 12: on read-only storage `serve` answered 404 for its pages and 500 for
    tables and feeds. An archive this process cannot write is opened immutable, as the CLI opens it."""
    from remarkwatch.web import server
    monkeypatch.setattr(server, "writable", lambda path: False)               # as on read-only storage
    datasette = build_datasette(archive_path)
    assert [d.is_mutable for name, d in datasette.databases.items() if name != "_internal"] == [False]

    def status(path: str) -> int:
        return asyncio.run(datasette.client.get(path)).status_code
    for path in ("/", "/-/change/5", "/-/search?q=forces", "/archive/changes", "/archive/feed.atom", "/-/report"):
        assert status(path) == 200, path


def test_search_keeps_to_the_sql_time_limit_and_compare_is_off_the_loop(archive_path, monkeypatch):
    """Issue 27, item 11: search ran outside the SQL time limit and /-/compare diffed on the event
    loop, so a cheap page waited behind either. A search past the limit is a 400 that says what
    to do; compare answers as before (its diff now computed in a worker thread)."""
    from remarkwatch.web import server
    monkeypatch.setitem(server.SETTINGS, "sql_time_limit_ms", 0)           # every query is past it
    datasette = build_datasette(archive_path)
    slow = asyncio.run(datasette.client.get("/-/search?q=forces"))
    assert slow.status_code == 400 and "This search took longer than 0 s" in slow.text
    compare = asyncio.run(datasette.client.get("/-/compare?from=5&to=9"))
    assert compare.status_code == 200 and "<del>refugees</del>" in compare.text
