"""Every request stays on the source's allowed hosts, redirects of start URLs included.

Scrapy's own offsite check skips requests marked `dont_filter`, which start URLs are (they must
be fetched on every pass), and a redirect inherits the mark: a listing start URL answering with
a redirect to `localhost/admin/` would be followed there, and its links stored. This check runs
first among the downloader middlewares, on every request, whatever its marks.
"""
from __future__ import annotations

from urllib.parse import urlsplit

from scrapy.exceptions import IgnoreRequest

OFFSITE_MESSAGE = "outside allowed_domains"


def host_allowed(url: str, allowed) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    return not allowed or any(host == d or host.endswith("." + d) for d in allowed)


class StrictOffsiteMiddleware:
    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_request(self, request, spider=None):
        allowed = getattr(self.crawler.spider, "allowed_domains", None)
        if host_allowed(request.url, allowed):
            return None
        redirects = request.meta.get("redirect_urls") or []
        how = f"redirected from {redirects[0]}" if redirects else "requested"
        raise IgnoreRequest(f"{request.url} is {OFFSITE_MESSAGE} ({how}); not fetched")
