"""`backfill --discover`'s parts, in process: the replica's index answering discovery queries as
the real CDX server does (match scopes, collapse, filters, resume keys and the empty page after
a full last one), the queries a source asks, which URLs are releases, and the plan's figures."""
from __future__ import annotations

from urllib.parse import quote_plus

import pytest

from remarkwatch.crawler.profiles import get_profile
from remarkwatch.demo.replica.wayback import ArchivedCapture
from remarkwatch.history.discover import FILTERS, is_release, plan, queries
from remarkwatch.history.wayback import cdx_page, wayback_client
from tests.unit.conftest import state_config

FAST = {"search_per_second": 10_000, "memento_per_second": 10_000, "retries": 0}
HTML = b"<html><body>a page</body></html>"


def capture(url: str, stamp: str, **kw) -> ArchivedCapture:
    return ArchivedCapture(url, stamp, body=kw.pop("body", HTML + url.encode()), **kw)


SITE = [
    capture("https://www.state.gov/a-release/", "20190101000000"),
    capture("https://www.state.gov/a-release/", "20200101000000", listed_twice=True),
    capture("http://state.gov/a-release/", "20210101000000"),
    capture("https://www.state.gov/b-release/", "20190101000000", status=404),
    capture("https://www.state.gov/c-release/", "20190101000000", revisit=True),
    capture("https://www.state.gov/c-release/", "20200101000000"),
    capture("https://www.state.gov/style.css", "20190101000000", content_type="text/css"),
    capture("https://2017-2021.state.gov/d-release/", "20200101000000"),
    capture("https://www.state.gov.evil.com/e/", "20200101000000"),
]


@pytest.fixture
def client(wayback, tmp_path):
    archive, base = wayback
    for each in SITE:
        archive.add(each)
    config = state_config(tmp_path, backfill={"wayback_url": base, **FAST})
    return wayback_client(config.backfill, "test"), config


def listing(client, query: dict) -> tuple[list[list[str]], list[str | None]]:
    """Every page's URLs and every next-page key, page by page."""
    pages, keys, key = [], [], None
    while True:
        found, lines, key = cdx_page(client, query, key)
        assert lines == len(found)
        pages.append([url for _, url in found])
        keys.append(key)
        if key is None:
            return pages, keys


@pytest.mark.parametrize("url, match_type, expected", [
    ("www.state.gov/", "prefix", ["https://www.state.gov/a-release/", "https://www.state.gov/c-release/"]),
    ("state.gov/a", "prefix", ["https://www.state.gov/a-release/"]),
    ("state.gov", "host", ["https://www.state.gov/a-release/", "https://www.state.gov/c-release/"]),
    ("state.gov", "domain", ["https://www.state.gov/a-release/", "https://www.state.gov/c-release/",
                             "https://2017-2021.state.gov/d-release/"]),
    ("https://www.state.gov/a-release/", "exact", ["https://www.state.gov/a-release/"]),
])
def test_the_index_lists_one_html_200_line_per_url_in_each_match_scope(client, url, match_type, expected):
    """The wayback-cdx-server README's match scopes; collapse=urlkey keeps a URL's first line of
    those the filters let through (the 404 and the stylesheet never, a revisit `-` neither)."""
    pages, keys = listing(client[0], {"url": url, "matchType": match_type, "collapse": "urlkey",
                                      "filter": FILTERS, "limit": "100"})
    assert (pages, keys) == ([expected], [None])


def test_a_full_last_page_is_followed_by_an_empty_one_and_the_key_is_the_real_format(client):
    pages, keys = listing(client[0], {"url": "state.gov", "matchType": "domain", "collapse": "urlkey",
                                      "filter": FILTERS, "limit": "1"})
    # Collapsing is per answer: a page resumed inside a URL's captures starts with it again.
    a = "https://www.state.gov/a-release/"
    assert pages == [[a], [a], ["http://state.gov/a-release/"], ["https://www.state.gov/c-release/"],
                     ["https://2017-2021.state.gov/d-release/"], []]
    # quote_plus(urlkey + " " + timestamp with its last digit moved on), as the real server answers.
    assert keys[0] == quote_plus("gov,state)/a-release 20190101000001")
    assert keys[-1] is None and all(keys[:-1])


def test_filters_match_whole_fields_and_may_be_negated(client):
    pages, _ = listing(client[0], {"url": "www.state.gov/", "matchType": "prefix",
                                   "filter": ["!statuscode:200", "mimetype:(text|warc)/.*"], "limit": "100"})
    assert pages == [["https://www.state.gov/b-release/", "https://www.state.gov/c-release/"]]
    pages, _ = listing(client[0], {"url": "www.state.gov/", "matchType": "prefix", "filter": ["statuscode:20"]})
    assert pages == [[]]


def test_without_collapse_every_line_comes_with_its_duplicates(client):
    pages, _ = listing(client[0], {"url": "state.gov/a-release/", "limit": "100"})
    assert pages == [["https://www.state.gov/a-release/"] * 3 + ["http://state.gov/a-release/"]]


def test_a_source_asks_each_prefix_under_each_host_of_its_start_urls(tmp_path):
    config = state_config(tmp_path, sources=[{"name": "s", "profile": "state.gov", "start_urls": [
        "https://www.state.gov/press-releases/", "https://www.state.gov/department-press-briefings/"]}])
    assert queries(config.source("s")) == [("www.state.gov/", "prefix")]


@pytest.mark.parametrize("url, release", [
    ("https://www.state.gov/secretary-blinkens-call-with-kenyan-president-ruto/", True),
    ("https://2021-2025.state.gov/secretary-antony-j-blinken-at-a-press-availability/", True),
    ("https://www.state.gov/releases/office-of-the-spokesperson/2025/09/secretary-rubios-call/", True),
    ("https://www.state.gov/press-releases/", False),
    ("https://www.state.gov/press-releases/page/2/", False),
    ("https://www.state.gov/department-press-briefings/", False),
    ("https://www.state.gov/countries-areas/kenya/", False),
    ("https://www.state.gov/?s=kenya", False),
    ("https://www.state.gov/a-release/?utm_source=x", False),
    ("https://www.state.gov/tag/kenya/", False),
    ("https://www.state.gov/a-release/feed/", False),
    ("https://www.state.gov/wp-content/uploads/2021/07/a.pdf", False),
    ("https://www.state.gov.evil.com/a-release/", False),
])
def test_which_urls_state_gov_calls_releases(tmp_path, url, release):
    assert is_release(state_config(tmp_path).source("state"), url) is release


@pytest.mark.parametrize("profile, path, release", [
    ("whitehouse.gov", "/remarks/2025/09/remarks-by-president-trump-at-the-un/", True),
    ("whitehouse.gov", "/briefing-room/speeches-remarks/2022/03/01/remarks-by-president-biden/", True),
    ("whitehouse.gov", "/the-press-office/2015/10/03/weekly-address-time-action", True),
    ("whitehouse.gov", "/briefing-room/speeches-remarks/page/3/", False),
    ("whitehouse.gov", "/remarks/", False),
    ("state.gov-archive", "/secretary/remarks/2013/05/209065.htm", True),
    ("state.gov-archive", "/secretary/20092013clinton/rm/2010/01/135105.htm", True),
    ("state.gov-archive", "/secretary/remarks/2014/06/index.htm", False),
    ("defense.gov", "/News/Transcripts/Transcript/Article/4291321/secretary-hegseth-remarks/", True),
    ("defense.gov", "/News/Transcripts/", False),
])
def test_which_paths_the_other_profiles_call_releases(profile, path, release):
    assert get_profile(profile).discover.is_release(path) is release


@pytest.mark.parametrize("rates, hours", [
    ((30, 600), 39.0),         # the Wayback Machine's limits (wayback's _client.py)
    ((24, 480), 48.8),         # the `wayback` package's defaults, 80 % of them
])
def test_the_plan_adds_the_waits_of_index_pages_listings_and_mementos(rates, hours):
    figures = plan(50_000, captures_per_release=60, mementos_per_release=8, urls_listed=200_000,
                   searches_per_minute=rates[0], mementos_per_minute=rates[1])
    assert (figures["index_pages"], figures["searches"], figures["mementos"]) == (201, 50_201, 400_000)
    assert figures["hours"] == hours


def test_a_discovery_goes_on_until_finished_and_a_url_listed_twice_counts_once(tmp_path):
    from remarkwatch.storage import discovery as store
    from remarkwatch.storage.db import open_db

    db = open_db(tmp_path / "a.db")
    first = store.open_discovery(db, "s", "", "", "t1", [("www.state.gov/", "prefix")])
    store.save_page(db, first["id"], "www.state.gov/", [("k1", "u1"), ("k2", "u2")], 3, "KEY", "t2")
    assert store.open_queries(db, first["id"])[0]["resume_key"] == "KEY"
    again = store.open_discovery(db, "s", "", "", "t3", [("www.state.gov/", "prefix")])
    assert again["id"] == first["id"]
    store.save_page(db, first["id"], "www.state.gov/", [("k2", "u2 again"), ("k3", "u3")], 2, None, "t4")
    assert store.open_queries(db, first["id"]) == []
    store.mark_backfilled(db, first["id"], "k1", "t5")
    assert [(r["urlkey"], r["url"]) for r in store.pending_urls(db, first["id"])] == [("k2", "u2"), ("k3", "u3")]
    assert store.counts(db, first["id"]) == {"found": 3, "backfilled": 1, "pages": 2, "seen": 5}
    assert store.open_discovery(db, "s", "2020", "", "t6", [])["id"] != first["id"]     # another range
    store.finish(db, first["id"], "t7")
    assert store.open_discovery(db, "s", "", "", "t8", [("www.state.gov/", "prefix")])["id"] != first["id"]
