"""Render the replica in real state.gov markup: listing pages, article pages in two layouts, robots.txt."""
from __future__ import annotations

import hashlib
import html
import json
import re
from datetime import datetime, timezone
from email.utils import format_datetime
import threading
import time
from dataclasses import dataclass, replace
from urllib.parse import parse_qsl

from remarkwatch.demo.replica.content import Release
from remarkwatch.demo.replica.defense import FEED as DOD_FEED
from remarkwatch.demo.replica.defense import dod_article, dod_feed
from remarkwatch.demo.replica.govuk import SEARCH as GOVUK_SEARCH
from remarkwatch.demo.replica.govuk import govuk_item, govuk_search
from remarkwatch.demo.replica.state2009 import INDEX as STATE2009_INDEX
from remarkwatch.demo.replica.state2009 import state2009_article, state2009_index
from remarkwatch.demo.replica.whitehouse import LISTING as WH_LISTING
from remarkwatch.demo.replica.whitehouse import wh_article, wh_listing

LISTING = "/press-releases/"
SITEMAP_INDEX, SITEMAP, FEED = "/sitemap_index.xml", "/sitemap-posts.xml", "/rss-feed/press-releases/feed/"
REST = "/wp-json/wp/v2/"
_LABEL = re.compile(r"^((?:[A-Z][A-Z.'’-]*\s)*[A-Z][A-Z.'’-]*:)\s+(.*)$", re.S)
e = html.escape

BANNER = """<section class="usa-banner" aria-label="Official website of the United States government">
<div class="usa-banner__header"><p>An official website of the United States Government <button class="usa-banner__button">Here's how you know</button></p></div>
<div class="usa-banner__content"><p><strong>Official websites use .gov</strong><br>A <strong>.gov</strong> website belongs to an official government organization in the United States.</p>
<p><strong>Secure .gov websites use HTTPS</strong><br>A <strong>lock</strong> ( ) or <strong>https://</strong> means you’ve safely connected to the .gov website. Share sensitive information only on official, secure websites.</p></div>
</section>"""
FOOTER = """<footer class="site-footer"><nav><a href="/">White House</a> <a href="/">USA.gov</a> <a href="/">Office of the Inspector General</a> <a href="/">Archives</a> <a href="/">Contact Us</a> <a href="/">Privacy Policy</a> <a href="/">FOIA</a></nav></footer>
<script>window.dataLayer = window.dataLayer || []; dataLayer.push({'event': 'pageview'});</script>"""
COOKIES = """<div class="cookie-consent" role="dialog"><p>We use cookies to make our website work better.</p><p>Functional / Preferences / Statistics / Marketing</p><button>Accept</button><button>Deny</button><button>View preferences</button></div>"""


HOME = f"""<!DOCTYPE html><html lang="en-US"><head><meta charset="UTF-8"><title>United States Department of State</title></head>
<body>{BANNER}<main id="content"><h1>U.S. Department of State</h1><p><a href="{LISTING}">Press Releases</a></p></main>{FOOTER}</body></html>"""


def paragraph_html(text: str) -> str:
    match = _LABEL.match(text)
    if match:
        return f"<p><strong>{e(match.group(1))}</strong>&nbsp; {e(match.group(2))}</p>"
    return f"<p>{e(text)}</p>"


def _head(release: Release, base: str) -> str:
    url = base + release.path
    return f"""<!DOCTYPE html>
<html lang="en-US"><head><meta charset="UTF-8">
<title>{e(release.title)} - United States Department of State</title>
<link rel="canonical" href="{e(url)}">
<link rel="shortlink" href="{base}/?p={release.post_id}">
<link rel="alternate" type="application/json" href="{base}/wp-json/wp/v2/pages/{release.post_id}">
<meta property="og:title" content="{e(release.title)}">
<meta property="og:url" content="{e(url)}">
<meta property="article:modified_time" content="{release.modified_time()}">
<script type="application/ld+json" class="yoast-schema-graph">{{"@type":"WebPage","name":"{e(release.title)}"}}</script>
<style>.stars-above{{color:#333}}</style>
</head>"""


def _meta(release: Release) -> str:
    speakers = "<br>".join(e(s) for s in release.speakers)
    return f"""<div class="article-meta">
<!-- get document type -->
<p class="article-meta doctype-meta">{e(release.doc_type)}</p>
<p class="article-meta__author-bureau">{speakers}</p>
<p class="article-meta__audience">{e(release.audience)}</p>
<p class="article-meta__location">{e(release.location)}</p>
<p class="article-meta__publish-date">{release.published:%B} {release.published.day}, {release.published.year}</p>
</div>
<div class="page-header__actions"><button class="share">Share</button><a href="#" class="print">Print</a></div>"""


def _tail(release: Release, teaser: str) -> str:
    tags = "".join(f'<a href="/countries-areas/{e(t.lower())}/">{e(t)}</a>' for t in release.tags)
    return f"""<div class="related-tags"><span>Tags</span><div class="related-tags__pills">{tags}</div></div>
<div class="related-content"><p>U.S. Department of State</p><h3><a href="/the-lessons-of-1989/">The Lessons of 1989: Freedom and Our Future</a></h3>{teaser}</div>"""


def article_2019(release: Release, base: str, teaser: str = "") -> str:
    body = release.body_html or "\n".join(paragraph_html(p) for p in release.paragraphs)
    return f"""{_head(release, base)}
<body class="page-template-default page page-id-{release.post_id}">
{BANNER}
<header class="site-header"><a href="/">U.S. Department of State</a><nav><a href="/">Home</a> <a href="{LISTING}">Press Releases</a></nav></header>
<main id="content"><article>
<section class="featured-content page-header module"><div class="row bc_row"><span class="bc_current collapse">{e(release.title)}</span></div>
<div class="row" dir="ltr"><div class="featured-content__copy">
<h1 class="featured-content__headline stars-above">{e(release.title)}</h1>
{_meta(release)}
</div></div></section>
<div class="entry-content">
{body}
<p><input type="hidden" data-filter="111001000111"></p>
<div class="share-this-page"><span>Share this page:</span><a href="#">Facebook</a> <a href="#">Twitter</a></div>
</div>
{_tail(release, teaser)}
</article></main>
{FOOTER}
</body></html>"""


def article_2025(release: Release, base: str, teaser: str = "") -> str:
    leading = "".join(f"<p>{e(line)}</p>\n" for line in [*release.speakers, release.location, release.audience] if line)
    block_p = '<p class="wp-block-paragraph">'
    blocks = "\n".join(f'<div class="wp-block-paragraph">{paragraph_html(p).replace("<p>", block_p, 1)}</div>'
                       for p in release.paragraphs)
    return f"""{_head(release, base)}
<body class="wp-singular state_press_release-template-default postid-{release.post_id}">
{BANNER}
{COOKIES}
<a class="skip-link" href="#content">Skip to content</a>
<main id="content"><article>
<div class="entry-content">
{leading}<section class="wp-block-default-hero-container wp-block-default-hero-container--no-featured-content">
<div class="wp-block-default-hero module featured-content page-header"><div class="row bc_row"></div>
<div class="row" dir="ltr"><div class="featured-content__copy">
<h1 class="featured-content__headline stars-above">{e(release.title)}</h1>
{_meta(release)}
</div></div></div></section>
{blocks}
<div style="height:70px" aria-hidden="true" class="wp-block-spacer"></div>
<div class="wp-block-tags-block"><a href="#">{e(release.doc_type)}</a></div>
</div>
{_tail(release, teaser)}
</article></main>
{FOOTER}
</body></html>"""


def listing_page(releases: list[Release], page: int, per_page: int, base: str, path: str = LISTING) -> str | None:
    pages = max(1, -(-len(releases) // per_page))
    if page > pages:
        return None
    items = []
    for r in releases[(page - 1) * per_page: page * per_page]:
        by = f'<span dir="ltr">{e(r.speakers[0].split(",")[0])}</span>' if r.speakers else ""
        items.append(f"""<li class="collection-result"><p class="collection-result__date">{e(r.doc_type)}</p>
<a class="collection-result__link" href="{e(base + r.path)}">{e(r.title)}</a>
<div class="collection-result-meta" dir="ltr">{by}<span dir="ltr">{r.published:%B} {r.published.day}, {r.published.year}</span></div></li>""")
    nxt = f'<a class="next page-numbers" href="{base}{path}page/{page + 1}/">Next</a>' if page < pages else ""
    return f"""<!DOCTYPE html><html lang="en-US"><head><meta charset="UTF-8"><title>Press Releases - United States Department of State</title></head>
<body>{BANNER}<main id="content"><h1>Press Releases</h1>
<div class="collection-info"><span class="collection-info__number">{len(releases)}</span> results</div>
<div class="collection-list"><ul class="collection-results">{''.join(items)}</ul></div>
<div class="pagination">{nxt}</div></main>{FOOTER}</body></html>"""


@dataclass
class Response:
    status: int
    body: bytes
    content_type: str = "text/html; charset=UTF-8"
    headers: tuple = ()


class Site:
    """The replica's state. Thread-safe; mutate it between passes to simulate the site's edits."""

    def __init__(self, releases: list[Release], per_page: int = 10, robots: str = "User-agent: *\nDisallow: /private/\n",
                 listing: str = LISTING):
        self._lock = threading.Lock()
        self.releases: dict[str, Release] = {r.path: r for r in releases}
        self.per_page = per_page
        self.listing = listing            # the listing's path: /press-releases/ (state.gov) or /remarks/ (whitehouse.gov)
        self._robots = robots
        self.overrides: dict[str, Response] = {}
        # Release path -> its WordPress post type (state_press_release, state_briefing, page): a REST
        # query for /wp-json/wp/v2/<type> answers only that type's posts. A release not named here is
        # answered for every type (a site whose types the tests do not tell apart).
        self.post_types: dict[str, str] = {}
        self.once: dict[str, Response] = {}       # served for the next request of a path only
        self.patches: dict[str, list[tuple[str, str]]] = {}   # path -> text replacements in its HTML
        self._cache: dict[tuple[str, str], Response] = {}
        self.hits: dict[str, int] = {}
        self.hit_times: list[tuple[str, float]] = []    # (path, time.monotonic()) of every request
        self.latency_s = 0.0
        self.user_agents: set[str] = set()
        self.validators = True       # send ETag and Last-Modified, answer conditional requests with 304
        self.not_modified = 0        # 304 answers given
        self.in_flight = 0           # requests being answered now, and the most at once (politeness)
        self.max_in_flight = 0
        self.requests = 0            # requests answered, and bytes sent (benchmarks)
        self.bytes_sent = 0

    def publish(self, release: Release) -> None:
        with self._lock:
            self.releases[release.path] = release
            self._cache.clear()

    def edit(self, slug: str, old: str, new: str, modified: str | None = "2026-09-24T10:00:00+00:00") -> Release:
        """Replace `old` with `new` in a release's body; modified=None keeps its modified time (a silent edit)."""
        with self._lock:
            path = next(p for p, r in self.releases.items() if r.slug == slug)
            release = self.releases[path]
            self.releases[path] = release.edited(old, new, release.modified if modified is None else modified)
            self._cache.clear()
            return self.releases[path]

    @property
    def robots(self) -> str:
        return self._robots

    @robots.setter
    def robots(self, text: str) -> None:
        with self._lock:
            self._robots = text
            self._cache.clear()

    def update(self, slug: str, **changes) -> Release:
        """Change a release's fields (title, location, published, body_html, ...) in place."""
        with self._lock:
            path = next(p for p, r in self.releases.items() if r.slug == slug)
            updated = replace(self.releases.pop(path), **changes)
            self.releases[updated.path] = updated
            if updated.path != path and path in self.patches:
                self.patches[updated.path] = self.patches.pop(path)
            self._cache.clear()
            return updated

    def patch(self, path: str, old: str, new: str) -> None:
        """Replace `old` with `new` in the HTML served at `path` (a listing or an article page).

        Raises ValueError when `old` is not in the page, so a mutation can never silently do nothing.
        """
        with self._lock:
            self._cache.clear()
            self.patches.setdefault(path, []).append((old, new))
            try:
                self._render(path, "http://replica.invalid")
            except ValueError:
                self.patches[path].pop()
                raise

    def redesign(self, old: str, new: str) -> None:
        """Replace `old` with `new` in every article page (a site redesign: same releases, new
        markup); `unpatch()` takes it back."""
        for path in list(self.releases):
            self.patch(path, old, new)

    def unpatch(self) -> None:
        """Serve every page as rendered again, without patches."""
        with self._lock:
            self.patches.clear()
            self._cache.clear()

    def override(self, path: str, response: Response | None) -> None:
        """Serve `response` at `path` instead of the page (None restores the page)."""
        with self._lock:
            if response is None:
                self.overrides.pop(path, None)
            else:
                self.overrides[path] = response

    def move(self, slug: str, new_slug: str) -> Release:
        """Re-publish a release under a new slug (same post id), as WordPress does."""
        with self._lock:
            path = next(p for p, r in self.releases.items() if r.slug == slug)
            moved = replace(self.releases.pop(path), slug=new_slug)
            self.releases[moved.path] = moved
            self._cache.clear()
            return moved

    def _signal_page(self, path: str, base: str) -> Response:
        """The Yoast-style sitemap index and sitemap (lastmod = modified time), and the RSS feed."""
        releases = self.ordered()
        newest = max((r.modified_time() for r in releases), default="2026-01-01T00:00:00+00:00")
        if path == SITEMAP_INDEX:
            body = (f'<?xml version="1.0" encoding="UTF-8"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                    f'<sitemap><loc>{e(base + SITEMAP)}</loc><lastmod>{newest}</lastmod></sitemap>'
                    f'<sitemap><loc>{e(base)}/page-sitemap.xml</loc><lastmod>{newest}</lastmod></sitemap></sitemapindex>')
        elif path == SITEMAP:
            urls = "".join(f"<url><loc>{e(base + r.path)}</loc><lastmod>{r.modified_time()}</lastmod></url>"
                           for r in releases)
            body = f'<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'
        else:
            items = "".join(f"<item><title>{e(r.title)}</title><link>{e(base + r.path)}</link>"
                            f"<guid isPermaLink=\"false\">{base}/?p={r.post_id}</guid></item>" for r in releases[:10])
            body = f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Press Releases</title>{items}</channel></rss>'
        return Response(200, body.encode(), "application/xml; charset=UTF-8")

    def _rest(self, path: str, query: str, base: str) -> Response:
        """WordPress's /wp-json/wp/v2/<type>: posts of the type modified after ?modified_after, paged."""
        params = dict(parse_qsl(query))
        after = params.get("modified_after")
        kind = path.rstrip("/").rsplit("/", 1)[-1]
        posts = sorted((r for r in self.releases.values() if self.post_types.get(r.path, kind) == kind),
                       key=lambda r: r.modified_time(), reverse=True)
        if after:
            posts = [r for r in posts if r.modified_time()[:19] > after[:19]]
        per_page, page = int(params.get("per_page", 10)), int(params.get("page", 1))
        chunk = posts[(page - 1) * per_page: page * per_page]
        body = json.dumps([{"id": r.post_id, "link": base + r.path, "modified_gmt": r.modified_time()[:19]}
                           for r in chunk]).encode()
        pages = str(max(1, -(-len(posts) // per_page)))
        return Response(200, body, "application/json; charset=UTF-8", headers=(("X-WP-TotalPages", pages),))

    def ordered(self) -> list[Release]:
        return sorted(self.releases.values(), key=lambda r: (r.published, r.post_id), reverse=True)

    def handle(self, path: str, base: str, query: str = "") -> Response:
        with self._lock:
            if path.startswith(REST):
                self.hits[path] = self.hits.get(path, 0) + 1
                return self._rest(path, query, base)
            self.hits[path] = self.hits.get(path, 0) + 1
            self.hit_times.append((path, time.monotonic()))
            if path in self.once:
                return self.once.pop(path)
            if path in self.overrides:
                return self.overrides[path]
            cached = self._cache.get((path, base))
            if cached is None:
                cached = self._cache[(path, base)] = self._render(path, base)
            return cached

    def _render(self, path: str, base: str) -> Response:
        response = self._render_page(path, base)
        patches = self.patches.get(path)
        if patches:
            text = response.body.decode("utf-8")
            for old, new in patches:
                old, new = old.replace("{base}", base), new.replace("{base}", base)
                if old not in text:
                    raise ValueError(f"patch for {path}: {old[:60]!r} is not in the page")
                text = text.replace(old, new, 1)
            response = replace(response, body=text.encode("utf-8"))
        if response.headers:   # the ETag is over the body as served, patches included
            etag = ("ETag", '"' + hashlib.sha1(response.body).hexdigest()[:20] + '"')
            response = replace(response, headers=(*response.headers, etag))
        return response

    def _render_page(self, path: str, base: str) -> Response:
        if path == "/robots.txt":
            return Response(200, self.robots.encode(), "text/plain")
        if path == "/":
            return Response(200, HOME.encode())
        if path in (SITEMAP_INDEX, SITEMAP, FEED):
            return self._signal_page(path, base)
        if path == STATE2009_INDEX:
            return Response(200, state2009_index(self.ordered(), base).encode())
        if path == GOVUK_SEARCH:
            return Response(200, govuk_search(self.ordered()).encode(), "application/json")
        if path == DOD_FEED:
            return Response(200, dod_feed(self.ordered(), base).encode(), "application/rss+xml; charset=utf-8")
        page = 1
        match = re.fullmatch(re.escape(self.listing) + r"page/(\d+)/", path)
        if match:
            page = int(match.group(1))
        if path == self.listing or match:
            render_listing = wh_listing if self.listing == WH_LISTING else listing_page
            text = render_listing(self.ordered(), page, self.per_page, base)
            if text is not None:
                return Response(200, text.encode())
        release = self.releases.get(path)
        if release is not None:
            if release.layout == "govuk":
                return Response(200, govuk_item(release, base).encode(), "application/json")
            render = {"2025": article_2025, "wh": wh_article, "dod": dod_article,
                      "state2009": state2009_article}.get(release.layout, article_2019)
            modified = datetime.fromisoformat(release.modified_time())
            last_modified = (("Last-Modified", format_datetime(modified.astimezone(timezone.utc), usegmt=True)),)
            return Response(200, render(release, base).encode(), headers=last_modified if self.validators else ())
        return Response(404, b"<html><head><title>Page Not Found</title></head><body><h1>Page not found</h1></body></html>")
