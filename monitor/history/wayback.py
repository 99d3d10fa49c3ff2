"""The web archive client of backfill: EDGI's `wayback` package on a session whose transport caps
answers and can point at another service speaking the Wayback Machine's two APIs."""
from __future__ import annotations

import requests

from remarkwatch.config import DEFAULT_WAYBACK, Backfill


class TooLarge(requests.RequestException):
    """A memento larger than max_page_mb: not read past the limit, recorded as `too_large`."""


class ArchiveAdapter(requests.adapters.HTTPAdapter):
    """The transport under the `wayback` package's session (requests' documented `Session.mount`):

    - reads no answer past `max_bytes` (a hostile or broken archive cannot fill memory), and
    - with `base_url`, sends the package's requests for https://web.archive.org to another
      service that speaks the same two APIs (a mirror, a local pywb, a test replica). The package
      (0.5) has no base-URL option: its CDX and memento URLs are constants and it reads memento
      times from `response.url`; so each request's address is rewritten to the service, and each
      answer's address and `Location`/`Link` headers back. The package's code is untouched.
    """

    def __init__(self, max_bytes: int, base_url: str | None = None, **kwargs):
        super().__init__(**kwargs)
        self.max_bytes = max_bytes
        self.base_url = base_url.rstrip("/") if base_url else None

    def send(self, request, stream=False, **kwargs):
        original = request.url
        if self.base_url:
            request.url = self.base_url + original.split("web.archive.org", 1)[1]
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
        body = b"" if declared.isdigit() and int(declared) > self.max_bytes else \
            response.raw.read(self.max_bytes + 1, decode_content=True)
        if (declared.isdigit() and int(declared) > self.max_bytes) or len(body) > self.max_bytes:
            response.close()
            raise TooLarge(f"{original}: larger than max_page_mb ({self.max_bytes} bytes)", response=response)
        response._content, response._content_consumed = body, True    # as requests does once it has read
        response.close()
        return response


def wayback_client(settings: Backfill, user_agent: str, counts: dict | None = None,
                   max_bytes: int = 5 * 1024 * 1024):
    """A WaybackClient on `settings.wayback_url`, with its rate limits; `counts` gets the number
    of search and memento requests sent (retries included)."""
    from wayback import WaybackClient, WaybackSession

    session = WaybackSession(retries=settings.retries, backoff=2, timeout=settings.timeout_s, user_agent=user_agent,
                             search_calls_per_second=settings.search_per_second,
                             memento_calls_per_second=settings.memento_per_second)
    adapter = ArchiveAdapter(max_bytes, settings.wayback_url if settings.wayback_url != DEFAULT_WAYBACK else None)
    session.mount(DEFAULT_WAYBACK, adapter)
    session.mount("http://web.archive.org", adapter)
    if counts is not None:
        def count(response, *args, **kwargs):
            kind = "search" if "/cdx/" in response.url else "memento"
            counts[kind] = counts.get(kind, 0) + 1
        session.hooks["response"].append(count)
    return WaybackClient(session)


def service_url(settings: Backfill, memento_url: str) -> str:
    """A memento's address at the configured service (the evidence link a reader can open)."""
    return memento_url.replace(DEFAULT_WAYBACK, settings.wayback_url, 1) if memento_url.startswith(DEFAULT_WAYBACK) \
        else memento_url


def archive_error(exc: Exception) -> bool:
    from wayback.exceptions import WaybackException

    return isinstance(exc, (WaybackException, requests.RequestException))
