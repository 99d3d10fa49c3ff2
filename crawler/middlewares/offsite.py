"""Every request stays on the source's allowed hosts, redirects of start URLs included.

Scrapy's own offsite check skips requests marked `dont_filter`, which start URLs are (they must
be fetched on every pass), and a redirect inherits the mark: a listing start URL answering with
a redirect to `localhost/admin/` would be followed there, and its links stored. This check runs
first among the downloader middlewares, on every request, whatever its marks.

A cluster worker's one spider serves every source: it names each request's own hosts through
`offsite_scope(request)`, and a request for no source it has is refused.
"""
from __future__ import annotations

from urllib.parse import urlsplit

from scrapy.exceptions import IgnoreRequest

OFFSITE_MESSAGE = "outside allowed_domains"


DEFAULT_PORTS = {"http": 80, "https": 443}


def host_allowed(url: str, allowed, ports=None) -> bool:
    """Whether `url` is on an allowed host (a subdomain counts) and, when `ports` is given, on
    one of those ports: a redirect or meta refresh to another port of an allowed host (an admin
    service on :8080) is as far off the site as another host."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if allowed and not any(host == d or host.endswith("." + d) for d in allowed):
        return False
    return not ports or _port(parts) in ports


def site_ports(start_urls) -> set[int]:
    """The ports a source's pages may be on: those of its start URLs, and 80 and 443 (a site
    moving between http and https stays itself)."""
    ports = set(DEFAULT_PORTS.values())
    for url in start_urls or ():
        try:
            ports.add(_port(urlsplit(url)))
        except ValueError:
            continue
    return ports


def _port(parts) -> int | None:
    try:
        return parts.port or DEFAULT_PORTS.get(parts.scheme)
    except ValueError:          # a port past 65535 or not a number: no port a site is on
        return -1


class StrictOffsiteMiddleware:
    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_request(self, request, spider=None):
        spider = self.crawler.spider
        scope = getattr(spider, "offsite_scope", None)
        if scope is not None:
            own = scope(request)
            if own is None:
                raise IgnoreRequest(f"{request.url} is for no source this worker has; not fetched")
            allowed, start_urls = own
        else:
            allowed, start_urls = getattr(spider, "allowed_domains", None), getattr(spider, "start_urls", None)
        ports = site_ports(start_urls) if allowed else None
        if host_allowed(request.url, allowed, ports):
            return None
        redirects = request.meta.get("redirect_urls") or []
        how = f"redirected from {redirects[0]}" if redirects else "requested"
        raise IgnoreRequest(f"{request.url} is {OFFSITE_MESSAGE} ({how}); not fetched")
