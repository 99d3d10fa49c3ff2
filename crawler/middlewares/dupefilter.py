"""A duplicate filter that lets redirect hops through.

Scrapy filters a redirected request like any other. When several retired pages all redirect to
the home page (WordPress's answer for a deleted post), only the first would arrive; the rest
would vanish without a capture, and their removal would never be seen. A redirect hop is
bounded by REDIRECT_MAX_TIMES, so letting it through cannot loop.
"""
from __future__ import annotations

from scrapy.dupefilters import RFPDupeFilter


class RedirectAwareDupeFilter(RFPDupeFilter):
    def request_seen(self, request) -> bool:
        if request.meta.get("redirect_urls"):
            return False
        return super().request_seen(request)
