"""The newsroom pages (issue 12): front page, search, version, document timeline, compare, change;
several archives served at once, any file name, hidden internal tables, feeds that link to the
change page; and every page in a real headless browser at phone and desktop widths."""
from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
from pathlib import Path

import feedparser
import pytest

from remarkwatch.web.server import build_datasette
from remarkwatch.storage.db import open_db
from tests.conftest import ROOT
from tests.receivers import free_port
from tests.browser import chromium  # noqa: F401
from tests.integration.test_web import ARTIFACTS, _wait_for, archive_path, client, config_for  # noqa: F401, F811


def test_front_page_lists_significant_changes_with_filters(client):
    page = client("/").text
    # The edit in its sentence (what `diff` prints in context), its speaker and turn; a human date.
    assert "Latest changes" in page and ('<span class="rw-who">MR PRICE (turn 1):</span> … all armed actors to stop '
                                         "attacks against Eritrean <del>forces</del> <ins>refugees</ins> and all refugees.") in page
    listed = page.split('<ul class="rw-list">')[1]
    assert "27 Nov 2026, 12:00 UTC" in listed and "2026-11-27T" not in listed and "-&gt;" not in listed
    assert "a correction" in page and "silent" in page and 'href="/-/change/' in page
    assert "remarkwatch archive" in page and "public domain" in page          # the instance, its license
    assert "&lt;script&gt;" in page and "<script>document" not in page
    assert ">moved<" not in page.split("<ul class=\"rw-list\">")[1]            # significance 30 ... listed
    only_class = client("/?class=number").text.split('<ul class="rw-list">')[1]
    assert only_class.count("<li>") == 1 and "136" in only_class
    by_speaker = client("/?speaker=mr+price").text.split('<ul class="rw-list">')[1]
    assert by_speaker.count("<li>") >= 2
    new = client("/?tab=new").text.split('<ul class="rw-list">')[1]
    assert new.count("<li>") == 4 and "edited" not in new
    assert client("/?since=2030-01-01").text.count('class="rw-title"') == 0


@pytest.mark.parametrize("query, kinds", [
    ("", ["edited", "reverted", "moved", "removed", "edited", "edited"]),
    ("?silent=1", ["edited", "reverted", "edited", "edited"]),
    ("?min=80", ["edited", "reverted", "removed", "edited"]),
    ("?min=80&silent=1", ["edited", "reverted", "edited"]),
    ("?min=0&kind=moved", ["moved"]),
])
def test_front_page_filters_silent_edits_and_significance(client, query, kinds):
    listed = client("/" + query).text.split('<ul class="rw-list">')[1]
    assert [k.split(" ·")[0] for k in listed.split('<div class="rw-when">')[1:]] == kinds


def test_search_highlights_the_passage_with_its_speaker(client):
    page = client('/-/search?q=%22Eritrean+refugees%22').text
    assert "<mark>Eritrean refugees</mark>" in page and "MR PRICE" in page
    assert "Put a phrase in quotes" in page and 'href="/-/version/5"' in page and 'href="/-/document/1"' in page
    # One hit per document, saying which of its versions hold the passage, and where they were read.
    assert "1 document matches" in page and "<strong>in version 2, removed in version 3</strong>" in page
    assert '<span class="rw-who">MR PRICE:</span>' in page and '<span class="rw-tag">live site</span>' in page
    forces = client("/-/search?q=forces").text
    assert "4 documents match" in forces and forces.split('<ul class="rw-list">')[1].count("<li>") == 4
    assert "<strong>in versions 1 and 3–4</strong>" in forces
    words = client("/-/search?q=refugees+Eritrean&order=date").text
    assert "version 4" in words.split('<ul class="rw-list">')[1].split("</li>")[0]   # newest first
    hostile = client("/-/search?q=%3Cscript%3E").text
    assert "<mark><script>" not in hostile and "&lt;script&gt;" in hostile
    assert client('/-/search?q=NEAR(%22x').status_code == 200                      # operators are quoted


def test_report_page_shows_each_source_by_year_with_its_chart(client):
    page = client("/-/report").text
    assert "Edits after publication" in page and "<h2>state-briefings</h2>" in page
    assert page.count('<svg class="rw-chart"') == 1 and 'aria-label="state-briefings, by year of publication.' in page
    assert "<td>2026</td>" in page and 'href="/-/report"' in page
    assert "No releases recorded for this source" in client("/-/report?source=%3Cscript%3E").text


def test_version_document_and_compare_pages(client):
    version = client("/-/version/5").text
    assert '<span class="rw-speaker">MR PRICE</span>: Good afternoon' in version
    assert "previous version" in version and "next version" in version and "/-/change/" in version
    document = client("/-/document/1").text
    assert document.count('class="rw-window"') >= 2 and "last seen unchanged" in document
    assert "compare the two versions" in document
    compare = client("/-/compare?from=5&to=9").text
    assert "<del>136</del>" in compare or "<ins>~~136~~ [3.6]</ins>" in compare
    assert "<del>refugees</del>" in compare and "<ins>forces</ins>" in compare
    assert client("/-/compare?from=1&to=2").status_code == 404                        # two documents
    assert client("/-/version/999").status_code == 404 and client("/-/document/999").status_code == 404


def test_the_change_page_shows_the_edit_first(client):
    page = client("/-/change/5").text
    first, meta = page.index('id="the-edit"'), page.index('class="rw-meta"')
    assert first < meta and page.index("<del>forces</del>") < meta          # the edit, then the metadata
    section = page[first:meta]
    assert ('<span class="rw-who">MR PRICE (turn 1):</span> … all armed actors to stop attacks against Eritrean '
            "<del>forces</del> <ins>refugees</ins> and all refugees.") in section
    assert "silent edit" in section and "detected 27 Nov 2026, 12:00 UTC" in section
    assert "<th>changed fields</th><td>Text</td>" in page and "2026-11-27T" not in page


def test_a_large_change_opens_with_its_first_paragraphs_only():
    from remarkwatch.core.sides import side_by_side
    from remarkwatch.web.pages import FIRST_SENTENCES, _sentences

    old = "\n\n".join(f"MR PRICE: Point {n} stands.\n\nQUESTION: And {n}?" for n in range(20))
    new = old.replace("stands", "falls")
    shown = _sentences(side_by_side(old, new, context=0), [])   # 20 changed paragraphs, apart
    assert len(shown) == FIRST_SENTENCES and shown[-1]["more"] == 20 - FIRST_SENTENCES
    assert shown[0]["pieces"] == [("Point 0", "same"), ("stands.", "del"), ("falls.", "ins")]


def test_feeds_link_to_change_pages_and_leave_out_noise(tmp_path, archive_path):
    datasette = build_datasette(archive_path, public_url="https://archive.example.org")
    feed = feedparser.parse(asyncio.run(datasette.client.get("/archive/feed.atom")).text)
    assert all(e.link.startswith("https://archive.example.org/-/change/") for e in feed.entries)
    # An entry says the edit in its sentence, silent, classes and the date in words (not `classes ["wording"]`).
    edit = next(e for e in feed.entries if e.link.endswith("/-/change/5"))
    assert edit.title == "edited (silent): Briefing"
    assert edit.summary.splitlines() == [
        "MR PRICE (turn 1): … all armed actors to stop attacks against Eritrean [-forces-] {+refugees+} and all refugees.",
        "Silent edit: the page's own modified time did not change.",
        "edited · state-briefings · 27 Nov 2026, 12:00 UTC · significance 80 · wording · change #5"]
    assert not any("[\"" in e.summary or "2026-11-27T" in e.summary for e in feed.entries)
    db = open_db(archive_path)
    db.execute("INSERT INTO source_state (source, baseline_done_at) VALUES ('state-briefings', '2026-11-27T11:00:03+00:00') "
               "ON CONFLICT (source) DO UPDATE SET baseline_done_at = excluded.baseline_done_at")
    try:
        quiet = feedparser.parse(asyncio.run(datasette.client.get("/archive/feed.atom")).text)
        everything = feedparser.parse(asyncio.run(datasette.client.get("/archive/feed.atom?all=1")).text)
        assert not any(e.title.startswith("new:") for e in quiet.entries)
        assert sum(e.title.startswith("new:") for e in everything.entries) == 4
        assert "New releases" in asyncio.run(datasette.client.get("/?tab=new")).text
    finally:
        db.execute("DELETE FROM source_state WHERE source = 'state-briefings'")


def test_several_archives_and_any_file_name(tmp_path, archive_path):
    other = tmp_path / "newsroom-2026.db"
    shutil.copy(archive_path, other)
    datasette = build_datasette(archive_path, other)

    def get(path):
        return asyncio.run(datasette.client.get(path))
    assert get("/-/change/5").status_code == 200 and 'href="/-/document/1?db=archive"' in get("/-/change/5").text
    assert get("/-/change/5?db=newsroom-2026").status_code == 200
    assert get("/-/change/5?db=nope").status_code == 404
    assert get("/newsroom-2026/latest_changes.json?_shape=array").status_code == 200   # queries, any name
    tables = get("/newsroom-2026").text
    for hidden in ("_sqlite_migrations", "locks", "daemon", "blobs"):
        assert f'href="/newsroom-2026/{hidden}"' not in tables
    assert 'href="/newsroom-2026/changes"' in tables


def test_plain_datasette_finds_the_plugin_queries_and_pages(tmp_path, archive_path):
    other = tmp_path / "whatever.db"
    shutil.copy(archive_path, other)
    port = free_port()
    server = subprocess.Popen([str(Path(sys.executable).parent / "datasette"),
                               str(other), "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        _wait_for(f"http://127.0.0.1:{port}/-/versions.json")
        import urllib.request
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/whatever/phrase_history.json?phrase=forces&_shape=array") as r:
            assert r.status == 200
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/") as r:
            assert b"Latest changes" in r.read()
    finally:
        server.terminate()
        server.wait(timeout=10)


PAGES = {   # name: (path, text the page must show)
    "front": ("/", "Eritrean <del>forces</del> <ins>refugees</ins> and all refugees."),
    "new": ("/?tab=new", "Releases that appeared after watching began"),
    "search": ("/-/search?q=%22Eritrean+refugees%22", "<mark>Eritrean refugees</mark>"),
    "change": ("/-/change/{injected}?view=side", 'data-label="after"'),
    "version": ("/-/version/{injected_version}", "Transcript"),
    "document": ("/-/document/2", "Timeline"),
    "compare": ("/-/compare?from=2&to={injected_version}", "<ins>"),
    "report": ("/-/report", '<svg class="rw-chart"'),
}


@pytest.fixture(scope="module")
def served(tmp_path_factory, archive_path):
    """One `remarkwatch serve` of the archive (its own process, as installed) for every width."""
    port = free_port()
    config = config_for(tmp_path_factory.mktemp("served"), archive_path)
    server = subprocess.Popen([sys.executable, "-m", "remarkwatch", "serve", "--port", str(port), "--config",
                               str(config)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        _wait_for(f"http://127.0.0.1:{port}/-/versions.json")
        yield port
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.mark.slow
@pytest.mark.parametrize("width", [390, 1280])
def test_every_page_in_a_real_browser(archive_path, served, chromium, width):
    db = open_db(archive_path)
    injected = next(db.query("SELECT id, to_version_id FROM changes WHERE kind = 'edited' AND document_id = 2"))
    ARTIFACTS.mkdir(exist_ok=True)
    for name, (path, expected) in PAGES.items():
        url = f"http://127.0.0.1:{served}" + path.format(injected=injected["id"], injected_version=injected["to_version_id"])
        dom = chromium.open(url, width)
        assert "remarkwatch archive" in dom and expected in dom, (name, expected, dom[-3000:])
        assert "data-pwned" not in dom, f"a script from page content ran on the {name} page"
        shot = ARTIFACTS / f"page-{name}-{width}.png"
        assert chromium.screenshot(shot)[:8] == b"\x89PNG\r\n\x1a\n"
        if width == 390:
            assert not chromium.overflowing(), f"past the right edge of a phone on the {name} page"
    assert "&lt;script&gt;document.body.dataset.pwned" in chromium.open(
        f"http://127.0.0.1:{served}/-/change/{injected['id']}?view=side", width)     # shown as text, not run


@pytest.mark.slow
def test_the_first_edit_is_on_a_phones_first_screen(archive_path, served, chromium):
    """On a 390 x 844 phone the change page's first screen holds the edit: the struck word and the
    new word, not nine rows of metadata with the edit a screen and a half down (issue 26)."""
    change = next(open_db(archive_path).query(
        "SELECT id FROM changes WHERE kind = 'edited' AND document_id = 1 ORDER BY id LIMIT 1"))["id"]
    chromium.open(f"http://127.0.0.1:{served}/-/change/{change}", 390, 844)
    ARTIFACTS.mkdir(exist_ok=True)
    chromium.screenshot(ARTIFACTS / "change-page-first-screen-390.png")
    tops = chromium.run("return ['del', 'ins'].map(t => { const e = document.querySelector('main ' + t) "
                        "|| document.querySelector(t); return e ? e.getBoundingClientRect().top : null; })")
    assert None not in tops, "the change page shows no struck or inserted word"
    assert max(tops) < 844 * 0.6, f"the edit starts at {tops} px, low on a phone's first screen"
