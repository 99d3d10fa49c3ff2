"""The web archive client of backfill: EDGI's `wayback` package on a session whose transport caps
answers and can point at another service speaking the Wayback Machine's two APIs."""
from __future__ import annotations

import time
from urllib.parse import urlsplit

import requests

from remarkwatch.config import DEFAULT_WAYBACK, Backfill

ARCHIVE_HOST = urlsplit(DEFAULT_WAYBACK).hostname
# What one document's listing may cost a hostile or broken archive, at most (a real document has
# a few thousand captures: a few pages of 1,000 lines, ~150 KB each).
MAX_SEARCH_PAGES = 100
MAX_SEARCH_BYTES = 64 * 1024 * 1024


class TooLarge(requests.RequestException):
    """A memento larger than max_page_mb: not read past the limit, recorded as `too_large`."""


class ArchiveRefused(requests.RequestException):
    """An answer backfill will not follow or read on: a redirect to another host, an answer that
    outlives `timeout_s`, a listing that repeats a resume key or passes the listing bounds."""


class ArchiveOffsite(ArchiveRefused):
    """The archive redirected to another host."""


class ArchiveAdapter(requests.adapters.HTTPAdapter):
    """The transport under the `wayback` package's session (requests' documented `Session.mount`):

    - reads no answer past `max_bytes` (a hostile or broken archive cannot fill memory), and
    - with `base_url`, sends the package's requests for https://web.archive.org to another
      service that speaks the same two APIs (a mirror, a local pywb, a test replica). The package
      (0.5) has no base-URL option: its CDX and memento URLs are constants and it reads memento
      times from `response.url`; so each request's address is rewritten to the service, and each
      answer's address and `Location`/`Link` headers back. The package's code is untouched.
    """

    def __init__(self, max_bytes: int, base_url: str | None = None, total_s: float = 60.0, **kwargs):
        super().__init__(**kwargs)
        self.max_bytes = max_bytes
        self.base_url = base_url.rstrip("/") if base_url else None
        self.total_s = total_s
        self.new_document()

    def new_document(self) -> None:
        """Start counting one document's listing (its CDX pages, resume keys and bytes) anew."""
        self.search_pages, self.search_bytes, self.resume_keys = 0, 0, set()

    def new_page(self) -> None:
        """A site's listing is bounded per page, not in all (it may run to thousands of pages);
        the resume keys it gave still count, so a listing that goes round in a circle is stopped."""
        self.search_pages, self.search_bytes = 0, 0

    def send(self, request, stream=False, **kwargs):
        original = request.url
        if urlsplit(original).hostname != ARCHIVE_HOST:
            # Every request of the session comes here: the archive's redirects to other hosts
            # are refused as a crawl refuses an offsite redirect, never followed.
            raise ArchiveOffsite(f"the archive redirected to another host ({urlsplit(original).hostname}); "
                                 f"not followed")
        if "/cdx/" in original:
            self._count_search(original)
        if self.base_url:
            request.url = self.base_url + original.split(ARCHIVE_HOST, 1)[1]
        try:
            response = super().send(request, stream=True, **kwargs)
        finally:
            request.url = original
        if self.base_url:
            response.url = original
            for name in ("Location", "Link", "Content-Location"):
                if name in response.headers:
                    response.headers[name] = response.headers[name].replace(self.base_url, DEFAULT_WAYBACK)
        declared = response.headers.get("Content-Length", "")
        body = b"" if declared.isdigit() and int(declared) > self.max_bytes else self._read(response, original)
        if (declared.isdigit() and int(declared) > self.max_bytes) or len(body) > self.max_bytes:
            response.close()
            raise TooLarge(f"{original}: larger than max_page_mb ({self.max_bytes} bytes)", response=response)
        if "/cdx/" in original and response.ok:
            self._check_resume_key(body)
        if "/cdx/" in original:
            self.search_bytes += len(body)
            if self.search_bytes > MAX_SEARCH_BYTES:
                response.close()
                raise ArchiveRefused(f"the archive's listing passed {MAX_SEARCH_BYTES // 2 ** 20} MB for one document")
        response._content, response._content_consumed = body, True    # as requests does once it has read
        response.close()
        return response

    def _read(self, response, url: str) -> bytes:
        """The body, up to max_bytes + 1, within `total_s` in all (a per-read timeout never ends an
        answer dripped a byte at a time)."""
        deadline, chunks, size = time.monotonic() + self.total_s, [], 0
        while size <= self.max_bytes:
            chunk = response.raw.read1(min(65536, self.max_bytes + 1 - size), decode_content=True)
            if not chunk:       # read1 answers b"" only at the end
                break
            chunks.append(chunk)
            size += len(chunk)
            if time.monotonic() > deadline:
                response.close()
                raise ArchiveRefused(f"the answer took more than timeout_s ({self.total_s:g} s) in all: {url}")
        return b"".join(chunks)

    def _count_search(self, url: str) -> None:
        self.search_pages += 1
        if self.search_pages > MAX_SEARCH_PAGES:
            raise ArchiveRefused(f"the archive's listing passed {MAX_SEARCH_PAGES} pages for one document")

    def _check_resume_key(self, body: bytes) -> None:
        """A resume key the archive gave before for this listing sends it round in a circle. (The
        keys it answers with count, not the ones asked for: a retried request asks again.)"""
        head, blank, key = body.rstrip(b"\n").rpartition(b"\n\n")
        if not blank or b"\n" in key:
            return
        if key in self.resume_keys:
            raise ArchiveRefused("the archive's listing repeats a resume key: it would never end")
        self.resume_keys.add(key)


def wayback_client(settings: Backfill, user_agent: str, counts: dict | None = None,
                   max_bytes: int = 5 * 1024 * 1024):
    """A WaybackClient on `settings.wayback_url`, with its rate limits; `counts` gets the number
    of search and memento requests sent (retries included)."""
    from wayback import WaybackClient, WaybackSession

    session = WaybackSession(retries=settings.retries, backoff=2, timeout=settings.timeout_s, user_agent=user_agent,
                             search_calls_per_second=settings.search_per_second,
                             memento_calls_per_second=settings.memento_per_second)
    adapter = ArchiveAdapter(max_bytes, settings.wayback_url if settings.wayback_url != DEFAULT_WAYBACK else None,
                             total_s=settings.timeout_s)
    for prefix in ("https://", "http://"):
        session.mount(prefix, adapter)
    if counts is not None:
        def count(response, *args, **kwargs):
            kind = "search" if "/cdx/" in response.url else "memento"
            counts[kind] = counts.get(kind, 0) + 1
        session.hooks["response"].append(count)
    client = WaybackClient(session)
    client.archive_adapter = adapter     # backfill starts its per-document count on it
    return client


CDX_URL = f"{DEFAULT_WAYBACK}/cdx/search/cdx"


def cdx_page(client, query: dict, resume_key: str | None) -> tuple[list[tuple[str, str]], int, str | None]:
    """One page of a CDX listing: its (urlkey, original URL) lines, how many lines it held, and the
    resume key of the next page (None: the last page). Sent through the `wayback` package's session
    (its rate limits, retries and `RateLimitError`); its `search()` cannot start from a stored
    resume key (0.5 builds its query from fixed arguments), which a resumable discovery needs.
    The format as the real CDX answers (EDGI `wayback`'s src/wayback/tests/cassettes/
    test_search_with_filter_list.yaml): seven fields a line; a full page ends with a blank line
    and the resume key; a page equal to `limit` may be followed by an empty one."""
    from wayback.exceptions import UnexpectedResponseFormat

    adapter = getattr(client, "archive_adapter", None)
    if adapter is not None:
        adapter.new_page()
    params = {**query, "showResumeKey": "true", **({"resumeKey": resume_key} if resume_key else {})}
    response = client.session.request("GET", CDX_URL, params=params)
    response.raise_for_status()
    found, lines, next_key = [], 0, None
    rows = iter(response.content.decode("utf-8", "replace").splitlines())
    for line in rows:
        if line == "":
            next_key = next(rows, "").strip() or None
            break
        fields = line.split(" ")
        if len(fields) < 7:
            raise UnexpectedResponseFormat(f"Could not parse CDX output: {line[:200]!r}")
        lines += 1
        found.append((fields[0], fields[2]))
    return found, lines, next_key


def service_url(settings: Backfill, memento_url: str) -> str:
    """A memento's address at the configured service (the evidence link a reader can open)."""
    return memento_url.replace(DEFAULT_WAYBACK, settings.wayback_url, 1) if memento_url.startswith(DEFAULT_WAYBACK) \
        else memento_url


def archive_error(exc: Exception) -> bool:
    from wayback.exceptions import WaybackException

    return isinstance(exc, (WaybackException, requests.RequestException))
