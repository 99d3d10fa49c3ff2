"""Which listing a new release belongs to: whether a source holds a release a site-wide signal (a
feed, a REST query, a sitemap) names, and which sources no signal announces. Pure, and without
Scrapy: check-config reads it too."""
from __future__ import annotations

from urllib.parse import urlsplit

DROPPED = "outside every listing"       # the pass summary's count of new releases no source holds


def holds(link: str, signal: str, start_urls, listings=()) -> bool:
    """Whether a source reading `start_urls` holds `link`, a new release named by the signal at URL
    `signal` whose profile says it carries the listings at paths `listings` (empty: not said).

    It does when the signal is one of its start URLs (a feed read as the listing), when one of its
    start URLs is on the signal's host at one of those listing paths, or when the link lies under a
    start URL that is a section's listing (whitehouse.gov's /remarks/ holds /remarks/2026/07/slug/;
    a home page or a feed file holds nothing by path). A source whose listing is elsewhere (or
    wrong) holds none of them: a site-wide feed is not its listing."""
    if signal in start_urls:
        return True
    where, target = urlsplit(signal), urlsplit(link)
    for start in start_urls:
        parts = urlsplit(start)
        if parts.netloc.lower() == where.netloc.lower() and any(_at(parts, path) for path in listings):
            return True
        # Under the listing: only a section's listing (a path ending in /, no query) holds its subpaths.
        section = parts.path.endswith("/") and parts.path != "/" and not parts.query
        if section and parts.netloc.lower() == target.netloc.lower() and target.path.startswith(parts.path) \
                and target.path != parts.path:
            return True
    return False


def unannounced(profile, start_urls) -> tuple[str, ...]:
    """The listings the profile's feeds and REST queries name (`listings`) when a source reading
    `start_urls` reads none of them nor a signal itself, else (): that source gets from the signals
    only releases whose URLs lie under its own listing, and finds the rest on its listing pages at
    its passes (check-config says so: a mistyped listing URL looks like this too)."""
    named = tuple(sorted({path for paths in profile.signal_listings.values() for path in paths}))
    signals = {urlsplit(url).path for url in (*profile.feeds, *profile.rest)}
    for start in start_urls:
        parts = urlsplit(start)
        if parts.path in signals or any(_at(parts, path) for path in named):
            return ()
    return named


def _at(parts, listing: str) -> bool:
    """The start URL (split) is the listing `listing` (a path, with a query when it has one)."""
    path, _, query = listing.partition("?")
    return parts.path.rstrip("/") == path.rstrip("/") and (not query or parts.query == query)
