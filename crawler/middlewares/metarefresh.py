"""Scrapy's meta refresh redirects, without decoding every page to look for one.

`MetaRefreshMiddleware` decodes each HTML response to search its start for
`<meta http-equiv="refresh">`: on a first crawl that was 4% of the crawling process, for pages
that almost never have one (and whose text the reactor otherwise never needs, as a helper process
extracts them). A refresh tag has the attribute name `http-equiv` in it, so a page whose bytes do
not hold it in any case, in an encoding that writes ASCII as ASCII, has none; every other page
goes through Scrapy's own check unchanged.
"""
from __future__ import annotations

from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware
from scrapy.http import HtmlResponse


class QuickMetaRefreshMiddleware(MetaRefreshMiddleware):
    def process_response(self, request, response, spider=None):      # Scrapy's own signature
        if isinstance(response, HtmlResponse) and b"\x00" not in response.body[:1024] \
                and b"http-equiv" not in response.body.lower():
            return response       # no refresh tag: UTF-16 and UTF-32 (NUL bytes) are read in full
        if spider is None:        # (passing a spider is deprecated; Scrapy still does when it can)
            return super().process_response(request, response)
        return super().process_response(request, response, spider=spider)
