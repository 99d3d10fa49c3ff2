"""Site-wide signals shared by the sources of a pass (crawler/spiders/sitesignals.py): which of a
signal's new releases a source holds, and a signal read once for every source that needs it. Each
callback is handed the Scrapy response it would get; the crawl over real HTTP is in
tests/integration/test_shared_signals.py."""
from __future__ import annotations

import asyncio
import json

import pytest
from scrapy import Request
from scrapy.http import TextResponse
from twisted.python.failure import Failure

from remarkwatch.crawler.profiles import get_profile, parse_profile
from remarkwatch.crawler.spiders.remarks import RemarksSpider
from remarkwatch.crawler.listings import holds, unannounced
from remarkwatch.crawler.spiders.sitesignals import SignalCache
from tests.unit.conftest import STATE

PROFILE = get_profile("state.gov")
RELEASES, BRIEFINGS, WRONG = STATE + "/press-releases/", STATE + "/department-press-briefings/", STATE + "/press-releasez/"
FEED = STATE + "/rss-feed/press-releases/feed/"
NEW = [STATE + "/new-release-1/", STATE + "/new-release-2/"]
ARCHIVED = STATE + "/archived-release/"
CHECKED_AT = "2026-01-10T00:00:00+00:00"


@pytest.mark.parametrize("link, signal, start_urls, listings, held", [
    # A declared listing: state.gov's flat slugs say nothing; the profile says which listing the feed carries.
    (STATE + "/a-release/", FEED, [RELEASES], ("/press-releases/",), True),
    (STATE + "/a-release/", FEED, [STATE + "/press-releases"], ("/press-releases/",), True),   # no end slash
    (STATE + "/a-release/", FEED, [BRIEFINGS], ("/press-releases/",), False),
    (STATE + "/a-release/", FEED, [WRONG], ("/press-releases/",), False),        # a wrong listing URL holds nothing
    (STATE + "/a-release/", FEED, ["https://2021-2025.state.gov/press-releases/"], ("/press-releases/",), False),
    (STATE + "/a-release/", FEED, [RELEASES], (), False),                       # undeclared, not under the listing
    (STATE + "/a-release/", FEED, [STATE + "/"], (), False),                    # a home page is no section
    (STATE + "/press-releases/x/", FEED, [STATE + "/press-releases/?year=2026"], (), False),   # a filtered listing
    # Undeclared: a release under the listing's path (whitehouse.gov's REST posts).
    ("https://www.whitehouse.gov/remarks/2026/07/x/", "https://www.whitehouse.gov/wp-json/wp/v2/posts",
     ["https://www.whitehouse.gov/remarks/"], (), True),
    ("https://www.whitehouse.gov/briefings-statements/2026/07/x/", "https://www.whitehouse.gov/wp-json/wp/v2/posts",
     ["https://www.whitehouse.gov/remarks/"], (), False),
    ("https://www.whitehouse.gov/remarks/", "https://www.whitehouse.gov/wp-json/wp/v2/posts",
     ["https://www.whitehouse.gov/remarks/"], (), False),                         # the listing itself
    ("https://other.example/remarks/2026/x/", "https://www.whitehouse.gov/feed/",
     ["https://www.whitehouse.gov/remarks/"], (), False),                         # another host
    # The signal is the source's own start URL (a feed read as the listing: defense.gov).
    ("https://www.war.gov/News/Transcripts/Transcript/Article/1/x/", "https://www.war.gov/RSS.ashx?ContentType=1",
     ["https://www.war.gov/RSS.ashx?ContentType=1"], (), True),
    ("https://www.war.gov/News/Transcripts/Transcript/Article/1/x/", "https://www.war.gov/RSS.ashx?ContentType=1",
     ["https://www.war.gov/RSS.ashx?ContentType=9"], (), False),
    ("https://www.war.gov/x/", "https://www.war.gov/RSS.ashx?ContentType=1",
     ["https://www.war.gov/list?ContentType=9"], ("/list?ContentType=1",), False),   # a listing with a query
    ("https://www.war.gov/x/", "https://www.war.gov/RSS.ashx?ContentType=1",
     ["https://www.war.gov/list?ContentType=1"], ("/list?ContentType=1",), True),
])
def test_a_source_holds_the_new_releases_of_its_listing_only(link, signal, start_urls, listings, held):
    assert holds(link, signal, start_urls, listings) is held


@pytest.mark.parametrize("start_urls, named", [
    ([RELEASES], ()),
    ([STATE + "/department-press-briefings"], ()),
    ([FEED], ()),                                   # the feed read as the listing
    ([WRONG], ("/department-press-briefings/", "/press-releases/")),     # mistyped: check-config notes it
    ([STATE + "/remarks-and-releases-bureau-of-african-affairs/"], ("/department-press-briefings/", "/press-releases/")),
])
def test_check_config_names_the_listings_a_source_reads_none_of(start_urls, named):
    assert unannounced(PROFILE, start_urls) == named


def test_a_profile_whose_signals_name_no_listing_notes_nothing():
    assert unannounced(get_profile("whitehouse.gov"), ["https://www.whitehouse.gov/anything/"]) == ()


def test_a_profile_names_the_listings_a_feed_or_rest_query_carries():
    profile = parse_profile({"name": "t", "site": "t.example", "signals": {
        "feeds": ["/all/feed/", {"url": "/news/feed/", "listings": ["/news/", "/news-archive/"]}],
        "rest": {"url": "/wp-json/wp/v2/posts?modified_after={since}", "listings": "/posts/"}}}, "t.toml")
    assert profile.feeds == ("/all/feed/", "/news/feed/")
    assert profile.rest == ("/wp-json/wp/v2/posts?modified_after={since}",)
    assert profile.signal_listings == {"/news/feed/": ("/news/", "/news-archive/"),
                                       "/wp-json/wp/v2/posts?modified_after={since}": ("/posts/",)}
    assert PROFILE.signal_listings[PROFILE.feeds[0]] == ("/press-releases/",)


def spider(start: str, cache: SignalCache | None, **kw):
    problems, signals = [], []
    made = RemarksSpider(source_name=start.rstrip("/").rsplit("/", 1)[-1], start_urls=[start],
                         allowed_domains=["www.state.gov"], profile=PROFILE, on_problem=problems.append,
                         on_signal=lambda kind, url: signals.append((kind, url)), signal_cache=cache, **kw)
    return made, problems, signals


def started(made) -> list:
    async def collect():
        return [request async for request in made.start()]
    return asyncio.run(collect())


def rss(links) -> bytes:
    items = "".join(f"<item><link>{link}</link></item>" for link in links)
    return f'<?xml version="1.0"?><rss version="2.0"><channel>{items}</channel></rss>'.encode()


def fetched(request: Request, body: bytes, status: int = 200, **headers) -> TextResponse:
    """What Scrapy hands the callback for `request`."""
    return TextResponse(request.url, status=status, body=body, request=request, encoding="utf-8",
                        headers={"Content-Type": "application/xml", **headers})


def run(request: Request, response) -> list[str]:
    return [r.url for r in request.callback(response, **request.cb_kwargs)]


def test_a_feed_is_fetched_by_the_first_source_and_read_from_the_pass_by_the_others():
    cache = SignalCache()
    first, _, first_signals = spider(RELEASES, cache)
    asked = [r for r in started(first) if r.url == FEED]
    assert len(asked) == 1
    assert run(asked[0], fetched(asked[0], rss(NEW))) == NEW
    assert first_signals == [("feed", link) for link in NEW]
    # The pass's later sources ask for nothing: the feed kept is parsed for them.
    again, _, again_signals = spider(RELEASES, cache, checked={NEW[0]: CHECKED_AT})
    requests = started(again)
    assert FEED not in [r.url for r in requests] and [r.url for r in requests][1:] == [NEW[1]]
    assert again_signals == [("feed", NEW[1])]
    # A source whose listing is elsewhere or wrong takes none of the feed's releases.
    for start in (BRIEFINGS, WRONG):
        other, _, other_signals = spider(start, cache)
        assert [r.url for r in started(other)] == [start] and other_signals == []
    assert cache.dropped() == {}        # the releases source took both


def test_releases_no_source_holds_are_counted_as_dropped_once_per_pass():
    cache = SignalCache()
    wrong, _, _ = spider(WRONG, cache, checked={ARCHIVED: CHECKED_AT})
    request = next(r for r in started(wrong) if r.url == FEED)
    assert run(request, fetched(request, rss([*NEW, ARCHIVED]))) == []
    briefings, _, _ = spider(BRIEFINGS, cache)
    started(briefings)
    # ARCHIVED is the wrong source's own (archived before its listing went wrong): not dropped.
    assert cache.dropped() == {"feed www.state.gov/rss-feed/press-releases/feed/": 2}


@pytest.mark.parametrize("answer", ["failure", 404, "not json"])
def test_a_signal_that_failed_is_reported_once_and_not_asked_again(answer):
    cache = SignalCache()
    since = {"checked": {ARCHIVED: CHECKED_AT}, "signals_since": CHECKED_AT}
    first, first_problems, _ = spider(RELEASES, cache, **since)
    rest = next(r for r in started(first) if "state_press_release" in r.url)
    if answer == "failure":
        rest.errback(_failure(rest))
    else:
        body = b"<html>oops</html>" if answer == 404 else b"not json"
        run(rest, fetched(rest, body, status=answer if answer == 404 else 200))
    assert len(first_problems) == 1 and rest.url in first_problems[0]
    second, second_problems, _ = spider(BRIEFINGS, cache, **since)
    assert "state_press_release" not in " ".join(r.url for r in started(second))
    assert second_problems == []


def _failure(request: Request) -> Failure:
    try:
        raise ConnectionRefusedError("Connection was refused by other side")
    except ConnectionRefusedError:
        failure = Failure()
    failure.request = request
    return failure


def test_rest_posts_go_to_the_listing_their_post_type_fills_and_edits_to_their_archive():
    cache = SignalCache()
    since = {"signals_since": CHECKED_AT}
    modified = "2026-01-11T00:00:00"          # after CHECKED_AT: the archived briefing was edited
    posts = {"state_press_release": [{"link": NEW[1], "modified_gmt": modified}],
             "state_briefing": [{"link": NEW[0], "modified_gmt": modified}, {"link": ARCHIVED, "modified_gmt": modified}]}
    briefings, _, signals = spider(BRIEFINGS, cache, checked={ARCHIVED: CHECKED_AT}, **since)
    out = {}
    for request in [r for r in started(briefings) if "/wp-json/" in r.url]:
        kind = request.url.split("/wp/v2/")[1].split("?")[0]
        answer = fetched(request, json.dumps(posts[kind]).encode(), **{"Content-Type": "application/json"})
        out[kind] = run(request, answer)
    # The new briefing goes to the briefings listing (the query's declared one), the new press
    # release does not; the edited archived briefing is flagged for the source that holds it.
    assert out == {"state_press_release": [], "state_briefing": [ARCHIVED, NEW[0]]}
    assert signals == [("rest", ARCHIVED), ("rest", NEW[0])]
    releases, _, release_signals = spider(RELEASES, cache, checked={STATE + "/other/": CHECKED_AT}, **since)
    requests = started(releases)
    assert not [r for r in requests if "/wp-json/" in r.url]         # both queries read from the pass
    assert [r.url for r in requests if r.url in NEW] == [NEW[1]] and release_signals == [("rest", NEW[1])]
    assert cache.dropped() == {}
