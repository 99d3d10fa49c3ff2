"""What one answer to an article URL is: the outcome and, for a page, its extracted fields.

Shared by the live spider and the Wayback backfill, so an archived capture of an error, a block
or a "page not found" page is judged exactly as a live one is, and never becomes a version.
"""
from __future__ import annotations

from typing import Callable
from urllib.parse import urlsplit

from remarkwatch.crawler import items
from remarkwatch.crawler.extract import extract_or_fallback
from remarkwatch.crawler.items import FALLBACK_PREFIX, Capture
from remarkwatch.crawler.profiles import Profile

GONE_STATUSES = (404, 410)
REFUSED_STATUSES = (401, 403, 429)


def judge(capture: Capture, *, text: Callable[[], str], profile: Profile, fallback: Profile | None,
          is_landing: bool = False, accepts_json: bool = False) -> Capture:
    """Fill `capture.outcome` (and its fields when it is a page) from its status, its content type
    and what the profile extracts from `text()`; `is_landing`: it was redirected to the home or
    a listing page (WordPress's answer for a dead link)."""
    status = capture.status or 0
    ctype = (capture.content_type or "text/html").lower()
    if status in GONE_STATUSES:
        capture.outcome, capture.error = items.GONE, f"HTTP {status}"
    elif status in REFUSED_STATUSES:
        capture.outcome, capture.error = items.BLOCKED, f"HTTP {status} (refused by the server or its edge)"
    elif not 200 <= status < 300:
        capture.outcome, capture.error = items.HTTP_ERROR, f"HTTP {status}"
    elif is_landing:
        capture.outcome, capture.error = items.GONE, f"redirected to {capture.final_url} (soft 404)"
    elif "html" not in ctype and not (accepts_json and "json" in ctype):
        capture.outcome, capture.error = items.NOT_HTML, f"content type {capture.content_type!r}"
    else:
        result, missed = extract_or_fallback(text(), capture.final_url, profile, fallback)
        capture.outcome, capture.fields, capture.error = result.outcome, result.fields, result.problem
        if missed:
            capture.extractor, capture.missed = f"{FALLBACK_PREFIX}{capture.extractor}", missed
            capture.error = f"the profile missed this page ({missed}); read by the generic extractor"
    return capture


def is_landing(url: str, start_urls) -> bool:
    """The home page or one of the source's listing pages (or their later pages): where
    WordPress sends a dead link."""
    path = urlsplit(url).path.rstrip("/")
    listing_paths = {urlsplit(u).path.rstrip("/") for u in start_urls}
    return path == "" or path in listing_paths or any(path.startswith(p + "/page/") for p in listing_paths if p)
