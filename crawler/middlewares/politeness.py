"""Politeness beyond Scrapy's defaults: robots.txt Crawl-delay, and Retry-After on 429 and 503.

Scrapy obeys robots.txt rules but not its Crawl-delay, and retries 429/503 at once whatever the
server asked. One pacer per crawl holds, per host, when the next request may start; the robots
middleware below waits on it before each request, and a response middleware placed before
Scrapy's retry records a 429/503's Retry-After (or 30 s when it gives none) so the retry waits.
"""
from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.utils.misc import load_object
from scrapy.exceptions import IgnoreRequest
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.error import ConnectError, DNSLookupError
from twisted.internet.error import TimeoutError as ConnectTimeout

# Failures that say the host cannot be reached at all (refused, timed out, no such name), not
# that one page is bad: Twisted's, and the ones Scrapy 2.14 and later wraps them in.
UNREACHABLE_ERRORS: tuple[type[BaseException], ...] = (ConnectError, DNSLookupError, ConnectTimeout, TimeoutError)
try:
    from scrapy.exceptions import CannotResolveHostError, DownloadConnectionRefusedError, DownloadTimeoutError

    UNREACHABLE_ERRORS += (CannotResolveHostError, DownloadConnectionRefusedError, DownloadTimeoutError)
except ImportError:     # Scrapy 2.13 raises Twisted's own
    pass

logger = logging.getLogger(__name__)
MAX_BACKOFF_S = 3600
DEFAULT_BACKOFF_S = 30
BACKOFF_STATUSES = (429, 503)
LEFT_FOR_NEXT_PASS = "left for the next pass"
UNREACHABLE = "unreachable"
# Connection attempts (retries included) failing in a row, with no answer from the host in
# between, before it is left alone for the rest of the pass: a dead host costs a pass seconds,
# not Scrapy's three attempts at a refused connection for each of its documents.
UNREACHABLE_AFTER = 12
STOPPING = "the pass is stopping"


class Reachability:
    """Connection attempts failing in a row per host (`failures`), and the hosts left alone for
    the rest of the pass because of them (`unreachable`); both dicts are made by the subclass."""

    failures: dict[str, int]
    unreachable: dict[str, str]

    def connection_failed(self, host: str, error: str) -> None:
        """One more failed attempt in a row; from UNREACHABLE_AFTER on the host is left alone."""
        self.failures[host] = self.failures.get(host, 0) + 1
        if self.failures[host] >= UNREACHABLE_AFTER:
            self.unreachable.setdefault(host, f"{self.failures[host]} connection attempts in a row failed, the last: {error}")

    def answered(self, host: str) -> None:
        self.failures.pop(host, None)


class Pacer(Reachability):
    def __init__(self, clock=time.monotonic, max_wait_s: float = MAX_BACKOFF_S):
        self.clock = clock
        self.next_start: dict[str, float] = {}     # host -> earliest start of its next request
        self.backoff_until: dict[str, float] = {}
        # A host asking for a longer wait than this (the time to the source's next pass) is left
        # alone for the rest of the pass instead of stalling it.
        self.max_wait_s = max_wait_s
        self.given_up: dict[str, float] = {}       # host -> the wait it asked for
        self.failures: dict[str, int] = {}         # host -> connection attempts failed in a row
        self.unreachable: dict[str, str] = {}      # host -> why it was left alone
        self.stopping = False                      # set on SIGTERM: waits end at once

    def reserve(self, host: str, interval_s: float) -> float:
        """Seconds to wait before this request; reserves its place for the next one."""
        now = self.clock()
        start = max(now, self.next_start.get(host, now), self.backoff_until.get(host, now))
        if interval_s > 0:
            self.next_start[host] = start + interval_s
        return start - now

    def back_off(self, host: str, seconds: float) -> bool:
        """Make `host` wait `seconds`; False (and the host given up for this pass) when that is
        longer than `max_wait_s`."""
        if seconds > self.max_wait_s:
            self.given_up[host] = seconds
            return False
        self.backoff_until[host] = max(self.backoff_until.get(host, 0), self.clock() + min(seconds, MAX_BACKOFF_S))
        return True

    def backoff_left(self, host: str) -> float:
        """Seconds of back-off the host still asks for (set, maybe, while a request waited)."""
        return max(0.0, self.backoff_until.get(host, 0) - self.clock())

    async def wait(self, seconds: float) -> None:
        """Sleep, in short steps, so that a stop request ends the wait within a second."""
        end = self.clock() + seconds
        while not self.stopping and self.clock() < end:
            await asyncio.sleep(min(1.0, end - self.clock()))


def pacer_of(crawler) -> Pacer:
    """The crawl's pacer: in this process, or the one `REMARKWATCH_PACER` names (a dotted path to a
    factory of (crawler, max_wait_s), as Scrapy names its components): a cluster worker's is shared
    by every worker in Redis. This module never imports the cluster."""
    if not hasattr(crawler, "remarkwatch_pacer"):
        max_wait = crawler.settings.getfloat("REMARKWATCH_MAX_WAIT_S", MAX_BACKOFF_S)
        factory = crawler.settings.get("REMARKWATCH_PACER")
        crawler.remarkwatch_pacer = load_object(factory)(crawler, max_wait) if factory else Pacer(max_wait_s=max_wait)
    return crawler.remarkwatch_pacer


def retry_after_s(value: bytes | str | None, now: datetime | None = None) -> float | None:
    """Seconds from a Retry-After header: delay-seconds or an HTTP date; None when unreadable."""
    if not value:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    if text.strip().isdigit():
        return float(text.strip())
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - (now or datetime.now(timezone.utc))).total_seconds())


class PoliteRobotsTxtMiddleware(RobotsTxtMiddleware):
    """Scrapy's robots.txt middleware, also waiting out the host's Crawl-delay and any back-off.

    The source's own delay (DOWNLOAD_DELAY) is enforced by Scrapy; a Crawl-delay longer than it
    is enforced here, up to the time until the source's next pass (`max_wait_s`), past which the
    host is left for the next pass.
    """

    async def process_request(self, request, spider=None):
        if request.meta.get("dont_obey_robotstxt") or request.url.startswith(("data:", "file:")):
            return None
        parser = await self.robot_parser(request)
        self.process_request_2(parser, request)
        user_agent = request.headers.get(b"User-Agent", self._default_useragent)
        crawl_delay = (parser.crawl_delay(user_agent) if parser is not None else None) or 0
        host = urlparse_cached(request).netloc
        pacer = pacer_of(self.crawler)
        if float(crawl_delay) > pacer.max_wait_s:
            # As a long Retry-After: a Crawl-delay past the source's next pass would hold the
            # whole pass (and its lock) on one host, so the host is left for the next pass.
            raise IgnoreRequest(f"{host} asks in robots.txt for a Crawl-delay of {float(crawl_delay):.0f} s, longer "
                                f"than until this source's next pass ({pacer.max_wait_s:.0f} s): {LEFT_FOR_NEXT_PASS}")
        if host in pacer.given_up:
            raise IgnoreRequest(f"{host} asked to be left alone for {pacer.given_up[host]:.0f} s (Retry-After), "
                                f"longer than until this source's next pass: {LEFT_FOR_NEXT_PASS}")
        if host in pacer.unreachable:
            raise IgnoreRequest(f"{host} is {UNREACHABLE} ({pacer.unreachable[host]}): {LEFT_FOR_NEXT_PASS}")
        if "rw_delay" in request.meta:
            # A cluster worker: every delay is one reservation per host across all workers
            # (Scrapy's own DOWNLOAD_DELAY is per process, so it is off there).
            interval = max(float(request.meta["rw_delay"]), float(crawl_delay))
        else:
            own_delay = self.crawler.settings.getfloat("DOWNLOAD_DELAY")
            interval = crawl_delay if crawl_delay > own_delay else 0
        wait = pacer.reserve(host, interval)
        while wait > 0 and not pacer.stopping:
            logger.debug("waiting %.1f s for %s (Crawl-delay %s, back-off)", wait, host, crawl_delay)
            await pacer.wait(wait)
            # A Retry-After that arrived while this request waited holds it too.
            wait = pacer.backoff_left(host)
        if pacer.stopping:
            raise IgnoreRequest(STOPPING)
        return None


class RetryAfterMiddleware:
    """Before Scrapy's retry sees a 429 or 503, make the host wait as long as the server asked."""

    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_exception(self, request, exception, spider=None):
        """Every failed attempt, retries included (this runs before Scrapy's retry sees it)."""
        if isinstance(exception, UNREACHABLE_ERRORS):
            pacer_of(self.crawler).connection_failed(urlparse_cached(request).netloc,
                                                     f"{type(exception).__name__}: {str(exception)[:200]}")
        return None

    def process_response(self, request, response, spider=None):
        pacer_of(self.crawler).answered(urlparse_cached(request).netloc)
        if response.status in BACKOFF_STATUSES:
            seconds = retry_after_s(response.headers.get(b"Retry-After"))
            seconds = DEFAULT_BACKOFF_S if seconds is None else seconds
            host = urlparse_cached(request).netloc
            if not pacer_of(self.crawler).back_off(host, seconds):
                # Not retried: the answer itself is recorded (429 blocked, 503 http_error).
                request.meta["dont_retry"] = True
            logger.info("%s answered %s: backing off %.0f s", host, response.status, seconds)
        return response
