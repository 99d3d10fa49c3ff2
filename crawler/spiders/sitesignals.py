"""Site-wide signals shared by the sources of one pass: each sitemap, REST query and feed is fetched
once, by the first source whose spider needs it, and read again from here by the others; and which
of a signal's new releases belong to a source at all (`holds`, in crawler/listings.py)."""
from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

import scrapy
from dateutil import parser as dateparser
from parsel import Selector
from scrapy.utils.sitemap import Sitemap

from remarkwatch.crawler.listings import holds

logger = logging.getLogger(__name__)
CALLBACKS = ("parse_sitemap", "parse_rest", "parse_feed")      # the spider's signal callbacks


def dropped_message(signal: str, count: int) -> str:
    """The log line for a signal's new releases no source of the pass holds (a count, not the URLs)."""
    return (f"{signal}: {count} new release{'s' * (count != 1)} under no listing of this pass's sources, not "
            f"fetched (a source's start URL, or the profile's [signals] listings, may be wrong)")


class SignalCache:
    """The signal responses one pass has read, by the URL asked for. Sources of a pass run one after
    another in one process, so the first to need a signal fetches it (with its spider, under the
    site's politeness) and the later ones parse the response kept here. A signal that failed is
    kept as failed: it was reported once, by the source that fetched it, and is not asked again.
    It also tallies, per signal, the new releases no source of the pass took (`dropped`). A cluster
    worker keeps one per shared response, for the sources the coordinator named for it."""

    def __init__(self):
        self._responses: dict[str, object] = {}     # URL -> scrapy Response, or None: it failed
        self._reported: set[str] = set()
        self._offered: dict[str, set[str]] = {}    # "kind host/path" of a signal -> new links it named
        self._claimed: set[str] = set()             # links some source took, or already had

    def __contains__(self, url: str) -> bool:
        return url in self._responses

    def response(self, url: str):
        """The response kept for `url`, None when its fetch failed."""
        return self._responses.get(url)

    def keep(self, url: str, response) -> None:
        self._responses.setdefault(url, response)

    def failed(self, url: str) -> None:
        self._responses.setdefault(url, None)

    def first_report(self, url: str) -> bool:
        """True the first time a problem with `url` is reported in this pass, False after."""
        if url in self._reported:
            return False
        self._reported.add(url)
        return True

    def offered(self, signal: str, links) -> None:
        self._offered.setdefault(signal, set()).update(links)

    def claimed(self, links) -> None:
        self._claimed.update(links)

    def dropped(self) -> dict[str, int]:
        """Per signal ("feed www.state.gov/rss-feed/press-releases/feed/"), how many of its new
        releases no source of the pass took or had."""
        out = {}
        for signal, links in self._offered.items():
            left = len(links - self._claimed)
            if left:
                out[signal] = left
        return out


class SignalReading:
    """The spider's signal callbacks (RemarksSpider's): the sitemaps, REST queries and feeds of its
    profile. With a pass's SignalCache, a signal another source of the pass read already is parsed
    from the response kept, not asked again; without one (the cluster, a lone spider) each is asked."""

    signal_cache: SignalCache | None = None

    def signal_requests(self):
        """The signal requests of the source's start (or what those read already lead to)."""
        base = self.start_urls[0] if self.start_urls else ""
        if self.checked and self.signals_since is not None:
            for path in self.profile.sitemaps:   # only flags archived documents: useless on a first pass
                yield from self._signal(urljoin(base, path), self.parse_sitemap)
            # WordPress reads a modified_after without an offset in the site's own timezone: ask
            # from a day earlier; each post is still compared with its document's last check.
            since = (self.signals_since - timedelta(days=1)).astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
            for template in self.profile.rest:
                yield from self._signal(urljoin(base, template.replace("{since}", since)), self.parse_rest,
                                        page=1, signal=template)
        for path in self.profile.feeds:
            if urljoin(base, path) not in self.start_urls:    # a feed that is the listing is read as one
                yield from self._signal(urljoin(base, path), self.parse_feed, signal=path)

    def _signal(self, url: str, callback, **cb_kwargs):
        request = scrapy.Request(url, callback=callback, errback=self.signal_failed, priority=2, cb_kwargs=cb_kwargs)
        cache = self.signal_cache
        if cache is not None and request.url in cache:      # the URL as Scrapy asks for it
            response = cache.response(request.url)
            if response is not None:
                yield from callback(response, **cb_kwargs)
            return
        yield request

    def _read(self, response, what: str) -> bool:
        """Keep the response for the pass's other sources; False (a problem reported once) unless 200."""
        if self.signal_cache is not None and _asked(response) not in self.signal_cache:
            self.signal_cache.keep(_asked(response), _detached(response))
        if response.status != 200:
            self._signal_problem(response, f"{self.source_name}: {what} {response.url} answered HTTP {response.status}")
            return False
        return True

    def _signal_problem(self, response, message: str) -> None:
        if self.signal_cache is None or self.signal_cache.first_report(_asked(response)):
            self.on_problem(message)

    def parse_sitemap(self, response):
        """A sitemap index (its newer child sitemaps are read) or a urlset, whose lastmod newer
        than a document's last check flags it for a fetch now, whatever its schedule."""
        if not self._read(response, "sitemap"):
            return
        try:
            sitemap = Sitemap(response.body)
        except Exception as exc:  # lxml raises several kinds on a broken document
            self._signal_problem(response, f"{self.source_name}: sitemap {response.url} is not readable XML: {exc}")
            return
        for entry in sitemap:
            loc, lastmod = entry.get("loc"), when(entry.get("lastmod"))
            if not loc:
                continue
            if sitemap.type == "sitemapindex":
                include = self.profile.sitemap_include
                if (include is None or include.search(loc)) and (lastmod is None or lastmod > self.signals_since):
                    yield from self._signal(loc, self.parse_sitemap)
            elif loc in self.checked and self._newer_than_check(loc, lastmod):
                self.on_signal("sitemap", loc)
                yield scrapy.Request(loc, callback=self.parse_article, errback=self.article_failed, priority=1)

    def parse_rest(self, response, page: int, signal: str = ""):
        """WordPress REST posts modified since the last pass: archived ones newer than their last
        check are fetched now, unknown ones are new releases (of the sources that hold them).
        Pages are followed up to ten."""
        if not self._read(response, "REST"):
            return
        try:
            posts = json.loads(response.text)
        except ValueError:
            self._signal_problem(response, f"{self.source_name}: REST {response.url} is not JSON")
            return
        if not isinstance(posts, list):
            return
        named, new = [], []
        for post in posts:
            link = post.get("link") if isinstance(post, dict) else None
            if not link or not isinstance(link, str):
                continue
            named.append(link)
            if link not in self.checked:
                new.append(link)
            elif self._newer_than_check(link, when(post.get("modified_gmt"))):
                self.on_signal("rest", link)
                yield scrapy.Request(link, callback=self.parse_article, errback=self.article_failed, priority=1)
        yield from self._new_releases("rest", response, signal, named, new)
        total = int(header(response, "X-WP-TotalPages") or 1)
        if page < min(total, 10):
            parts = urlsplit(response.url)
            query = urlencode([*((k, v) for k, v in parse_qsl(parts.query) if k != "page"), ("page", page + 1)])
            yield from self._signal(parts._replace(query=query).geturl(), self.parse_rest, page=page + 1, signal=signal)

    def parse_feed(self, response, signal: str = ""):
        """RSS items or Atom entries not yet archived are fetched as new releases (of the sources
        that hold them)."""
        if not self._read(response, "feed"):
            return
        named = feed_links(response)
        yield from self._new_releases("feed", response, signal, named,
                                      [link for link in named if link not in self.checked and link not in self.skip_urls])

    def _new_releases(self, kind: str, response, signal: str, named: list[str], new: list[str]):
        """Requests for the new releases a signal names that this source holds (`holds`); the
        others are left to the pass's other sources, and counted when none takes them."""
        origin = urljoin(response.url, signal) if signal else _asked(response)
        listings = self.profile.signal_listings.get(signal, ())
        mine = [link for link in new if holds(link, origin, self.start_urls, listings)]
        if self.signal_cache is not None:
            parts = urlsplit(origin)
            self.signal_cache.offered(f"{kind} {parts.netloc}{parts.path}", new)
            self.signal_cache.claimed(set(named) - set(new) | set(mine))
        if len(mine) < len(new):
            logger.debug("%s: %d new releases of %s %s are not under its listing", self.source_name,
                         len(new) - len(mine), kind, origin)
        for link in mine:
            self.on_signal(kind, link)
            yield scrapy.Request(link, callback=self.parse_article, errback=self.article_failed, priority=1)

    def _newer_than_check(self, url: str, modified: datetime | None) -> bool:
        """A signal's modification time is after the archived document's last check."""
        last = when(self.checked.get(url))
        return modified is not None and (last is None or modified > last)

    def on_signal(self, kind: str, url: str) -> None:
        """Count a page flagged by a signal once, by the first signal that named it."""
        if url not in self._signalled:
            self._signalled.add(url)
            self._on_signal(kind, url)

    def signal_failed(self, failure):
        origin = _origin(failure.request)
        if self.signal_cache is not None:
            self.signal_cache.failed(origin)
        if self.signal_cache is None or self.signal_cache.first_report(origin):
            self.on_problem(f"{self.source_name}: {failure.request.url} failed: {failure.getErrorMessage()}")


def _origin(request) -> str:
    """The URL a signal was asked at (before any redirect)."""
    return (request.meta.get("redirect_urls") or [request.url])[0]


def _asked(response) -> str:
    return _origin(response.request) if response.request is not None else response.url


def _detached(response):
    """The response with a bare request (its URL and redirects), kept for the pass without holding
    on to the spider (and its archive's URLs) whose callbacks the original request names."""
    request = response.request
    if request is None:
        return response
    return response.replace(request=scrapy.Request(request.url, meta={"redirect_urls": request.meta.get("redirect_urls", [])}))


def when(text: str | None) -> datetime | None:
    """An aware datetime from ISO 8601 (sitemaps write dates with or without a time)."""
    if not text or not isinstance(text, str):
        return None
    try:
        value = dateparser.isoparse(text.strip())
    except (ValueError, OverflowError):
        return None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def feed_links(response) -> list[str]:
    """Item links of an RSS feed or entry links of an Atom feed, in feed order."""
    selector = Selector(text=response.text, type="xml")
    links = selector.xpath("//item/link/text() | //*[local-name()='entry']/*[local-name()='link']/@href").getall()
    return list(dict.fromkeys(urljoin(response.url, href.strip()) for href in links if href.strip()))


def header(response, name: str) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None
