"""A site's signals read once a pass for all its sources, over real HTTP: three state.gov sources of
one replica site (the press releases, the briefings, and one whose listing URL is wrong), each
signal kind bringing news in its own way, the server's request log counting what was asked."""
from __future__ import annotations

import html
import json
import time
from dataclasses import replace
from datetime import datetime, timezone

import pytest

from remarkwatch.demo.replica.content import demo_releases
from remarkwatch.demo.replica.server import ReplicaServer
from remarkwatch.demo.replica.site import FEED, REST, SITEMAP, SITEMAP_INDEX, Response, Site, listing_page
from tests.conftest import db_at, forked, invoke

RELEASES, BRIEFINGS, WRONG = "/press-releases/", "/department-press-briefings/", "/press-releasez/"
KINDS = ["feed", "rest", "sitemap"]     # in this order: the feed's news is older than the last pass (no child sitemap read)
OLD = "2020-01-01T10:00:00+00:00"      # a modified time older than any pass: no REST query or sitemap names it


def rss(releases, base: str) -> Response:
    """The press-releases feed as WordPress writes it (the replica's own, with only press releases)."""
    items = "".join(f"<item><title>{html.escape(r.title)}</title><link>{base}{r.path}</link></item>" for r in releases)
    return Response(200, f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>{items}</channel></rss>'
                    .encode(), "application/rss+xml; charset=UTF-8")


class Replica:
    """state.gov with two listings of its own: press releases (with their feed and post type) and
    briefings (post type state_briefing); other pages as the replica serves them."""

    def __init__(self, site: Site, base: str):
        self.site, self.base = site, base
        self.releases = [r for r in site.ordered() if r.doc_type != "Department Press Briefing"]
        self.briefings = [r for r in site.ordered() if r.doc_type == "Department Press Briefing"]
        self.site.post_types.update({r.path: "state_press_release" for r in self.releases})
        self.site.post_types.update({r.path: "state_briefing" for r in self.briefings})
        self.serve(feed=self.releases[:10])

    def serve(self, feed) -> None:
        self.site.override(RELEASES, Response(200, listing_page(self.releases, 1, 100, self.base).encode()))
        self.site.override(BRIEFINGS, Response(200, listing_page(self.briefings, 1, 100, self.base, BRIEFINGS).encode()))
        self.site.override(FEED, rss(feed, self.base))

    def publish(self, release, post_type: str) -> None:
        """A release the site's listings do not show yet (their pages are cached at the edge)."""
        self.site.publish(release)
        self.site.post_types[release.path] = post_type


def config(directory, base: str, more: str = "") -> str:
    sources = []
    for name, listing in (("releases", RELEASES), ("briefings", BRIEFINGS), ("wrong", WRONG)):
        # No re-check is due between the passes (15 minutes for new documents): only a signal fetches.
        sources += ["[[sources]]", f'name = "{name}"', 'profile = "state.gov"', f'start_urls = ["{base}{listing}"]',
                    "max_listing_pages = 1", "delay_s = 0", 'schedule = "1s"', ""]
    path = directory / "remarkwatch.toml"
    path.write_text('db = "archive.db"\nconcurrency = 4\nextract_workers = 0\n\n' + "\n".join(sources) + more,
                    encoding="utf-8")
    return path


def crawl(path, *args):
    """A pass (`crawl --now`): exit 3, since the wrong source's listing is a problem each time."""
    ran = forked("crawl", "--config", path, "--now", *args)
    assert ran.returncode == 3 and f"listing {WRONG}" not in ran.stdout, ran.stdout + ran.stderr
    return ran


def archived(path) -> dict[str, set[str]]:
    db = db_at(path)
    out = {"releases": set(), "briefings": set(), "wrong": set()}
    for row in db.query("SELECT source, url FROM documents"):
        out[row["source"]].add(row["url"])
    return out


def asked(site: Site, before: dict) -> dict[str, int]:
    """Requests each signal path had since `before` (the server's request log)."""
    signals = [FEED, SITEMAP_INDEX, SITEMAP, REST + "state_press_release", REST + "state_briefing"]
    return {p: site.hits.get(p, 0) - before.get(p, 0) for p in signals}


@pytest.mark.slow
def test_each_signal_is_read_once_a_pass_and_its_news_goes_to_its_own_source(tmp_path):
    site = Site(demo_releases())
    with ReplicaServer(site) as server:
        replica = Replica(site, server.base_url)
        passes(config(tmp_path, server.base_url), replica, crawl)


def passes(path, replica: Replica, run) -> None:
    """A first pass (`run(path)`) over the three sources files each listing's releases under its
    source; then one pass for each signal kind in KINDS brings one piece of news through that
    signal alone. Each signal is asked once a pass (the server's request log), and the news goes
    to its own source only."""
    site, base = replica.site, replica.base
    first = run(path)
    assert asked(site, {})[FEED] == 1                 # three sources, one feed request
    docs = archived(path)
    assert docs["releases"] == {base + r.path for r in replica.releases}
    assert docs["briefings"] == {base + r.path for r in replica.briefings}
    # The wrong listing answers 404; the feed's ten press releases are not filed under it.
    assert docs["wrong"] == set() and "outside every listing" not in first.stdout
    for kind in KINDS:
        docs = news_pass(path, replica, kind, run, docs)


def news_pass(path, replica: Replica, kind: str, run, docs: dict[str, set[str]]) -> dict[str, set[str]]:
    """A pass whose one piece of news only signal `kind` names; the archive's documents after it."""
    site, base = replica.site, replica.base
    time.sleep(1.1)            # a modified time after the last pass's start (whole seconds)
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    if kind == "feed":         # old enough that no REST query names it: only the feed does
        new = replace(replica.releases[0], post_id=990001, slug="a-release-only-the-feed-names", modified=OLD)
        replica.publish(new, "state_press_release")
        replica.serve(feed=[new, *replica.releases[:9]])
        owner, url = "releases", base + new.path
    elif kind == "rest":       # a new briefing, in no listing and no feed: only its REST query names it
        new = replace(replica.briefings[0], post_id=990002, slug="a-briefing-only-rest-names", modified=now)
        replica.publish(new, "state_briefing")
        owner, url = "briefings", base + new.path
    else:                      # an edit the REST queries do not see (a page post): only the sitemap flags it
        target = next(r for r in replica.releases if not r.body_html and r.paragraphs)
        edited = site.edit(target.slug, target.paragraphs[-1][-20:], "an edited ending.", modified=now)
        site.post_types[edited.path] = "page"
        owner, url = "releases", base + edited.path
    before = dict(site.hits)
    second = run(path)
    signals = asked(site, before)
    assert signals[FEED] == 1 and signals[SITEMAP_INDEX] == 1
    assert signals[REST + "state_press_release"] == 1 and signals[REST + "state_briefing"] == 1
    # The child sitemap is read only when its lastmod (the newest modified time) is after the last pass.
    assert signals[SITEMAP] == (0 if kind == "feed" else 1), (kind, signals)
    after = archived(path)
    page = url.removeprefix(base)
    assert f"1 via {kind}" in second.stdout and site.hits[page] - before.get(page, 0) == 1, (kind, second.stdout)
    assert after[owner] == docs[owner] | {url}, kind
    for other in {"releases", "briefings", "wrong"} - {owner}:
        assert after[other] == docs[other], (kind, other)
    assert ("1 edited" if kind == "sitemap" else "1 new") in second.stdout, (kind, second.stdout)
    return after


@pytest.mark.slow
def test_feed_releases_no_source_of_the_pass_holds_are_counted_not_filed(tmp_path):
    site = Site(demo_releases())
    with ReplicaServer(site) as server:
        Replica(site, server.base_url)
        path = config(tmp_path, server.base_url)
        alone = crawl(path, "--source", "wrong").stdout
        assert "0 pages fetched" in alone and "10 outside every listing" in alone
        assert archived(path)["wrong"] == set()
        # `status` shows it beside the run, where a cron job's summary line is seen by nobody.
        status = invoke("status", "--config", path, check=True).stdout
        assert "0 pages, 0 new, 0 edited, 0 failed, 10 outside every listing" in status, status
        [run] = json.loads(invoke("status", "--config", path, "--json", check=True).stdout)["runs"]
        assert run["outside_listings"] == 10
