"""Each shipped profile against a replica of its site on loopback: every release found, an edit
detected on the second pass, located by speaker turn."""
from __future__ import annotations

import json

import pytest

from remarkwatch.demo.replica.server import ReplicaServer
from remarkwatch.demo.replica.site import Site
from remarkwatch.demo.replica.whitehouse import LISTING as WH_LISTING
from remarkwatch.demo.replica.whitehouse import wh_releases
from tests.conftest import crawl, db_at, invoke, write_config

pytestmark = pytest.mark.slow


def test_whitehouse_replica_crawled_and_an_edit_located(tmp_path):
    site = Site(wh_releases(12), per_page=5, listing=WH_LISTING)
    with ReplicaServer(site) as server:
        config_path = write_config(tmp_path, server.base_url, profile="whitehouse.gov", listing=WH_LISTING)
        first = crawl(config_path).stdout
        assert "12 pages fetched, 12 new, 0 edited, 0 unchanged, 0 failed" in first
        db = db_at(config_path)
        keys = {row["key"] for row in db.query("SELECT key FROM documents")}
        assert keys == {f"whitehouse.gov:post:{r.post_id}" for r in wh_releases(12)}
        turns = [r["speaker"] for r in db.query(
            "SELECT t.speaker FROM turns t JOIN versions v ON v.id = t.version_id JOIN documents d "
            "ON d.id = v.document_id WHERE d.post_id = '71234' ORDER BY t.seq")]
        assert turns == [None, "THE PRESIDENT", "Q", "THE PRESIDENT", "Q", "THE PRESIDENT"]
        site.edit("remarks-by-president-trump-before-marine-one-departure-7", "I don't think we have", "I believe we have")
        second = crawl(config_path).stdout
        assert "1 edited" in second and "11 unchanged" in second
    edited = json.loads(invoke("changes", "--config", config_path, "--kind", "edited", "--json", check=True).stdout)
    assert len(edited) == 1
    assert edited[0]["summary"].startswith("turn 4, THE PRESIDENT: 'don't think' -> 'believe'")
    assert "wording" in edited[0]["classes"]


def test_defense_replica_from_its_feed_keyed_on_the_article_id(tmp_path):
    from remarkwatch.demo.replica.defense import FEED, dod_releases
    from remarkwatch.demo.replica.site import Response

    site = Site(dod_releases(6))
    with ReplicaServer(site) as server:
        config_path = write_config(tmp_path, server.base_url, profile="defense.gov",
                                   listing=FEED + "?ContentType=1&Site=945&max=10")
        assert "6 pages fetched, 6 new" in crawl(config_path).stdout
        db = db_at(config_path)
        assert {r["key"] for r in db.query("SELECT key FROM documents")} == {
            f"defense.gov:post:{r.post_id}" for r in dod_releases(6)}
        assert next(db.query("SELECT published FROM versions WHERE post_id = '4301123'"))["published"] == "2026-09-15"
        # A new slug for the same article id (defense.gov has many per article) is a move, not a new page.
        site.move("pentagon-press-secretary-holds-a-press-briefing", "pentagon-press-secretary-briefs-reporters")
        site.edit("pentagon-press-secretary-briefs-reporters", "About 3,000 troops", "About 300 troops")
        second = crawl(config_path).stdout
        assert "0 new" in second and "1 edited" in second
        # The bot wall: a 403 is a block, never an edit.
        site.override(sorted(site.releases)[0], Response(403, b"<html><title>Access Denied</title></html>"))
        third = crawl(config_path).stdout
        assert "0 edited" in third and "1 blocked" in third
    moved = json.loads(invoke("changes", "--config", config_path, "--kind", "moved", "--json", check=True).stdout)
    assert len(moved) == 1 and moved[0]["classes"] == ["metadata", "url", "number"]
    assert "turn 3, PRESS SECRETARY: '3,000' -> '300'" in moved[0]["summary"]


def test_generic_profile_crawls_a_site_it_has_no_selectors_for(tmp_path, server, site):
    """A site without a profile: the generic one lists, extracts and detects an edit."""
    config_path = write_config(tmp_path, server.base_url, profile="generic")
    # The generic profile knows standard pagination links only; this site's is named in the source.
    config_path.write_text(config_path.read_text() + '\n[sources.selectors]\nnext = ["a.next.page-numbers::attr(href)"]\n')
    first = crawl(config_path).stdout
    assert "34 pages fetched, 34 new" in first and "0 failed" in first
    db = db_at(config_path)
    body = next(db.query("SELECT body_text FROM versions v JOIN documents d ON d.id = v.document_id "
                         "WHERE d.url LIKE '%department-press-briefing-july-27-2021%'"))["body_text"]
    assert "Eritrean forces" in body and "Share this page" not in body and "official website" not in body
    site.edit("department-press-briefing-july-27-2021", "Eritrean forces", "Eritrean refugees")
    second = crawl(config_path).stdout
    assert "1 edited" in second and "33 unchanged" in second
    edited = json.loads(invoke("changes", "--config", config_path, "--kind", "edited", "--json", check=True).stdout)
    assert "'forces' -> 'refugees'" in edited[0]["summary"] and "wording" in edited[0]["classes"]


def test_govuk_undeclared_edit_is_silent_a_declared_one_is_not(tmp_path):
    from remarkwatch.demo.replica.govuk import SEARCH, govuk_releases

    site = Site(govuk_releases(4), listing=SEARCH)
    with ReplicaServer(site) as server:
        config_path = write_config(tmp_path, server.base_url, profile="gov.uk", listing=SEARCH)
        assert "4 pages fetched, 4 new" in crawl(config_path).stdout
        site.edit("foreign-secretary-speech-0", "by 10 percent", "by 12 percent", modified=None)   # no change note
        assert "1 edited" in crawl(config_path).stdout
        site.edit("foreign-secretary-speech-1", "Thank you for having me", "Thank you all for having me",
                  modified="2026-09-20T09:00:00.000+00:00")                                      # with a note
        assert "1 edited" in crawl(config_path).stdout
    edited = json.loads(invoke("changes", "--config", config_path, "--kind", "edited", "--json", check=True).stdout)
    by_title = {c["title"]: c for c in edited}
    assert by_title["Foreign Secretary's speech 0"]["silent"] is True
    assert by_title["Foreign Secretary's speech 0"]["classes"] == ["number"]
    assert by_title["Foreign Secretary's speech 1"]["silent"] is False
    assert "modified_time" in by_title["Foreign Secretary's speech 1"]["changed_fields"]
    keys = {r["key"] for r in db_at(config_path).query("SELECT key FROM documents")}
    assert all(key.startswith("gov.uk:post:c0ffee00-") for key in keys) and len(keys) == 4


def test_state_archive_replica_crawled_and_an_edit_located(tmp_path):
    from remarkwatch.demo.replica.state2009 import INDEX, state2009_releases

    site = Site(state2009_releases(5), listing=INDEX)
    with ReplicaServer(site) as server:
        config_path = write_config(tmp_path, server.base_url, profile="state.gov-archive", listing=INDEX)
        assert "5 pages fetched, 5 new, 0 edited, 0 unchanged, 0 failed" in crawl(config_path).stdout
        site.edit("209065", "We will meet again soon.", "We will not meet again soon.")
        assert "1 edited, 4 unchanged" in crawl(config_path).stdout
    edited = json.loads(invoke("changes", "--config", config_path, "--kind", "edited", "--json", check=True).stdout)
    assert edited[0]["summary"].startswith("turn 3, SECRETARY KERRY: added 'not'")
    assert edited[0]["title"] == "Remarks at a Press Availability 0"
