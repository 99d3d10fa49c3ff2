"""A loopback replica of the two Wayback Machine endpoints the `wayback` package uses, in their
real formats, for the backfill's tests, its benchmark and the offline demo.

- CDX search, `/cdx/search/cdx?url=...`: one capture per line, space separated:
  `urlkey timestamp original mimetype statuscode digest length`, gzip-encoded and chunked. With
  `showResumeKey=true` and a full page of `limit` lines, a blank line and a resume key follow:
  `quote_plus(urlkey + " " + timestamp)` with the timestamp's last character incremented, and a
  full last page is followed by an empty one. A capture of content the archive already held is a
  revisit record, listed as `warc/revisit -`; with `resolveRevisits=true` it is shown as its
  original only when that original came earlier in the same answer (so never on a later page,
  nor under a `from` that leaves the original out). A capture may be listed twice on consecutive
  lines (the duplicates count toward `limit`). Discovery's queries as the wayback-cdx-server
  README (internetarchive/wayback) describes them and EDGI's test_search_with_filter_list.yaml
  recorded them: `matchType` exact, prefix, host or domain (every subhost); `filter=[!]field:regex`,
  repeatable, the regex matching the whole field; `collapse=urlkey`, one line per URL among
  adjacent lines of one answer (so a page resumed inside a URL's captures starts with it again). All of this as in EDGI `wayback`'s recordings
  (src/wayback/tests/cassettes/test_search_with_date.yaml, test_search_multipage.yaml).
- Memento playback, `/web/{14-digit timestamp}id_/{original URL}`: the captured response as it
  was (status, body), with `Memento-Datetime`, a `Link` naming the original URL, the captured
  headers again as `x-archive-orig-*`, and the archive's `x-archive-src`.

The digest is the Wayback's own: base32 of the SHA-1 of the payload.

Two answers of the real service the tests hold backfill to, as EDGI's `wayback` recorded them:
- a capture the CDX lists but the archive cannot play back is answered with a 302 to the nearest
  playable capture, an empty body and `x-archive-redirect-reason: found capture at <timestamp>`
  (cassettes/test_get_memento_should_fail_for_non_playbackable_mementos.yaml);
- past its rate limits the service answers 429 with a small HTML page, chunked, and (so far)
  no `Retry-After` (the rate-limit response test_client.py's WAYBACK_RATE_LIMIT_ERROR copies).
"""
from __future__ import annotations

import bisect
import base64
import functools
import hashlib
import threading
import time
from dataclasses import dataclass, field
from typing import Callable
from datetime import datetime, timezone
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
import gzip
import re
import socket
from urllib.parse import parse_qs, quote_plus, unquote_plus, urlsplit

from remarkwatch.history.urlkey import surt_key

TIMESTAMP = "%Y%m%d%H%M%S"


@dataclass
class ArchivedCapture:
    url: str
    timestamp: str                # 14 digits, UTC
    status: int = 200
    body: bytes = b""
    content_type: str = "text/html; charset=UTF-8"
    headers: dict = field(default_factory=dict)    # more captured headers (ETag, Last-Modified, ...)
    playable: bool = True         # False: listed by the CDX, played back as a 302 to another capture
    revisit: bool = False         # a revisit record: the same payload as an earlier capture (same body)
    listed_twice: bool = False    # the CDX prints its line twice in a row
    answer_headers: dict = field(default_factory=dict)   # the memento answer's own headers, replaced (hostile)
    answer_status: int | None = None   # the memento answer's status, unlike the CDX's (hostile)

    @property
    def digest(self) -> str:
        return base64.b32encode(hashlib.sha1(self.body).digest()).decode()


@functools.lru_cache(maxsize=4096)
def _key(url: str) -> str:
    """The match key of a URL, computed once: an archive of thousands of captures of a few URLs
    asks for the same few keys again and again (surt's canonicalisation is not cheap)."""
    return surt_key(url)


class WaybackArchive:
    """The captures the replica holds, by URL, and the requests it has answered."""

    def __init__(self, captures: list[ArchivedCapture] = ()):
        self.captures: list[ArchivedCapture] = []
        self._index: list[tuple[str, str]] = []      # (urlkey, timestamp) of each capture, in order
        self.requests = {"search": 0, "memento": 0}
        self.log: list[str] = []      # every request's path and query, in order (what a client asked twice)
        self.latency_s = 0.0          # each memento answer waits this long (a slow archive)
        # Hostile or broken archives: every search answered with these bytes (or what this
        # function of the query gives), redirected to this URL, or dripped a byte every `drip_s`.
        self.search_override: bytes | Callable[[dict], bytes] | None = None
        self.search_redirect: str | None = None
        self.drip_s = 0.0
        # the next requests get (status, Retry-After), those whose path holds `only_if` when given
        self.refusals: list[tuple[int, str | None, str | None]] = []
        self._lock = threading.Lock()
        for capture in captures:
            self.add(capture)

    def add(self, capture: ArchivedCapture) -> None:
        with self._lock:
            at = bisect.bisect_right(self._index, (_key(capture.url), capture.timestamp))
            self._index.insert(at, (_key(capture.url), capture.timestamp))
            self.captures.insert(at, capture)

    def search(self, url: str, start: str | None, end: str | None, match_type: str = "exact") -> list[ArchivedCapture]:
        """The captures the CDX lists for `url` under `match_type` (exact, prefix, host, domain: the
        wayback-cdx-server README's "Url Match Scope"), in the index's (urlkey, timestamp) order."""
        key = _key(url)
        host = key.split(")", 1)[0]
        low = host if match_type in ("host", "domain") else key
        with self._lock:
            at, found = bisect.bisect_left(self._index, (low, "")), []
            while at < len(self._index):
                other = self._index[at][0]
                if match_type == "prefix":
                    hit = other.startswith(key)
                elif match_type in ("host", "domain"):
                    hit = other.startswith(host) and other[len(host):len(host) + 1] in (")", "," * (match_type == "domain"))
                else:
                    hit = other == key
                if not hit and not (match_type == "domain" and other.startswith(host)):
                    break
                capture = self.captures[at]
                if hit and (not start or capture.timestamp >= start.ljust(14, "0")) \
                        and (not end or capture.timestamp <= end.ljust(14, "9")):
                    found.append(capture)
                at += 1
            return found

    def rate_limit(self, times: int, retry_after: str | None = None, only_if: str | None = None) -> None:
        """Answer the next `times` requests (searches or mementos) with the service's 429."""
        self.refuse(times, 429, retry_after, only_if)

    def refuse(self, times: int, status: int = 503, retry_after: str | None = None, only_if: str | None = None) -> None:
        """Answer the next `times` requests (whose path holds `only_if`) with `status` (a 503: the
        service is overloaded)."""
        with self._lock:
            self.refusals.extend([(status, retry_after, only_if)] * times)

    def nearest_playable(self, capture: ArchivedCapture) -> ArchivedCapture | None:
        others = [c for c in self.search(capture.url, None, None) if c.playable]
        return min(others, key=lambda c: abs(int(c.timestamp) - int(capture.timestamp)), default=None)

    def find(self, url: str, timestamp: str) -> ArchivedCapture | None:
        key = _key(url)
        with self._lock:
            at = bisect.bisect_left(self._index, (key, timestamp))
            return self.captures[at] if at < len(self._index) and self._index[at] == (key, timestamp) else None


class _Handler(BaseHTTPRequestHandler):
    server: "_Server"
    protocol_version = "HTTP/1.1"     # chunked answers, as the real service sends them

    def setup(self):
        super().setup()
        # Headers and body go out as separate small writes on a kept-alive connection: without
        # TCP_NODELAY each answer waited for the client's delayed ACK (~40 ms on loopback).
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_GET(self):  # noqa: N802 (http.server's naming)
        parts = urlsplit(self.path)
        with self.server.archive._lock:
            self.server.archive.log.append(self.path)
        if self._limited():
            return
        if parts.path == "/cdx/search/cdx":
            self._search(parse_qs(parts.query))
        elif parts.path.startswith("/web/"):
            self._memento(self.path[len("/web/"):])
        else:
            self._send(404, b"not found", {"Content-Type": "text/plain"})

    def _limited(self) -> bool:
        archive = self.server.archive
        with archive._lock:
            if not archive.refusals or (archive.refusals[0][2] or "") not in self.path:
                return False
            status, retry_after, _ = archive.refusals.pop(0)
            counted = "limited" if status == 429 else "refused"
            archive.requests[counted] = archive.requests.get(counted, 0) + 1
        body = (b"<html><body><h1>429 Too Many Requests</h1>\n"
                b"You have sent too many requests in a given amount of time.\n</body></html>") if status == 429 \
            else b"<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>"
        headers = {"Content-Type": "text/html", "Cache-Control": "no-cache"}
        if retry_after is not None:
            headers["Retry-After"] = retry_after
        self._send(status, body, headers)
        return True

    def _search(self, query: dict) -> None:
        archive = self.server.archive
        archive.requests["search"] += 1
        if archive.search_redirect is not None:
            self._send(302, b"", {"Location": archive.search_redirect, "Content-Type": "text/plain"})
            return
        if archive.search_override is not None:
            override = archive.search_override
            self._send(200, override(query) if callable(override) else override, {"Content-Type": "text/plain"})
            return
        url = query.get("url", [""])[0]
        found = archive.search(url, query.get("from", [None])[0], query.get("to", [None])[0],
                               query.get("matchType", ["exact"])[0])
        limit = int(query.get("limit", ["10000"])[0])
        if "resumeKey" in query:
            key, _, after = unquote_plus(query["resumeKey"][0]).partition(" ")
            found = [c for c in found if (_key(c.url), c.timestamp) >= (key, after)]
        resolve = query.get("resolveRevisits", ["false"])[0] == "true"
        filters = [_filter(text) for text in query.get("filter", [])]
        collapse = "urlkey" in query.get("collapse", [])
        lines, originals, last = [], {}, None
        for capture in found:
            if len(lines) >= limit:
                break
            line = self._cdx_line(capture, originals.get(capture.digest) if resolve else None)
            if not capture.revisit:
                originals.setdefault(capture.digest, capture)
            if not all(f(line) for f in filters) or (collapse and lines and lines[-1].split(" ", 1)[0] == line.split(" ", 1)[0]):
                continue
            lines.append(line)
            if capture.listed_twice and len(lines) < limit and not collapse:
                lines.append(lines[-1])
            last = capture
        if query.get("showResumeKey", ["false"])[0] == "true" and last is not None and len(lines) >= limit:
            lines += ["", quote_plus(f"{_key(last.url)} {last.timestamp[:-1]}{chr(ord(last.timestamp[-1]) + 1)}")]
        self._send_chunked(("\n".join(lines) + "\n").encode() if lines else b"", "text/plain;charset=UTF-8")

    @staticmethod
    def _cdx_line(capture: ArchivedCapture, original: ArchivedCapture | None) -> str:
        shown = original if capture.revisit else capture
        kind, status = ("warc/revisit", "-") if shown is None else (shown.content_type.split(";")[0], shown.status)
        return f"{surt_key(capture.url)} {capture.timestamp} {capture.url} {kind} {status} {capture.digest} " \
               f"{len(capture.body)}"

    def _memento(self, rest: str) -> None:
        archive = self.server.archive
        archive.requests["memento"] += 1
        if archive.latency_s:
            time.sleep(archive.latency_s)
        stamp, _, original = rest.partition("/")
        timestamp = stamp.removesuffix("id_")
        capture = archive.find(original, timestamp)
        if capture is None:
            self._send(404, b"<html><body>Wayback Machine has not archived that URL.</body></html>",
                       {"Content-Type": "text/html"})
            return
        base = self.server.base_url
        if not capture.playable:
            other = archive.nearest_playable(capture)
            headers = {"Content-Type": "text/plain; charset=utf-8"}
            if other is not None:
                headers.update({"location": f"{base}/web/{other.timestamp}id_/{other.url}",
                                "x-archive-redirect-reason": f"found capture at {other.timestamp}"})
            self._send(302 if other is not None else 404, b"", headers)
            return
        when = datetime.strptime(capture.timestamp, TIMESTAMP).replace(tzinfo=timezone.utc)
        headers = {
            "Content-Type": capture.content_type,
            "Memento-Datetime": format_datetime(when, usegmt=True),
            "Link": (f'<{capture.url}>; rel="original", '
                     f'<{base}/web/timemap/link/{capture.url}>; rel="timemap"; type="application/link-format"'),
            "x-archive-src": f"replica-{capture.timestamp[:8]}.warc.gz",
            "x-archive-orig-content-type": capture.content_type,
            "x-archive-orig-content-length": str(len(capture.body)),
            **{f"x-archive-orig-{k.lower()}": v for k, v in capture.headers.items()},
            **capture.answer_headers,
        }
        self._send(capture.answer_status or capture.status, capture.body, headers)

    def _send_chunked(self, body: bytes, content_type: str) -> None:
        """As the CDX server answers: gzip when the client accepts it, chunked."""
        if "gzip" in self.headers.get("Accept-Encoding", ""):
            body = gzip.compress(body)
            encoding = {"Content-Encoding": "gzip"}
        else:
            encoding = {}
        self.send_response(200)
        for name, value in {"Content-Type": content_type, "Transfer-Encoding": "chunked", **encoding}.items():
            self.send_header(name, value)
        self.end_headers()
        size = 1 if self.server.archive.drip_s else 8192
        for start in range(0, len(body), size):
            chunk = body[start:start + size]
            self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
            if self.server.archive.drip_s:
                self.wfile.flush()
                time.sleep(self.server.archive.drip_s)
        self.wfile.write(b"0\r\n\r\n")

    def _send(self, status: int, body: bytes, headers: dict) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    archive: WaybackArchive
    base_url: str

    def handle_error(self, request, client_address):
        pass    # a client that hung up is not the replica's problem


class WaybackReplica:
    """`with WaybackReplica(archive) as wb:` serves it at `wb.base_url` on loopback."""

    def __init__(self, archive: WaybackArchive, host: str = "127.0.0.1", port: int = 0):
        self.archive = archive
        self.httpd = _Server((host, port), _Handler)
        self.httpd.archive = archive
        self.base_url = f"http://{host}:{self.httpd.server_address[1]}"
        self.httpd.base_url = self.base_url
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> "WaybackReplica":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


FIELDS = ("urlkey", "timestamp", "original", "mimetype", "statuscode", "digest", "length")


def _filter(text: str) -> Callable[[str], bool]:
    """`filter=[!]field:regex` of the wayback-cdx-server README ("Filtering"): the regex matches the
    whole field (EDGI's recorded `filter=urlkey:.*feature.*`, test_search_with_filter_list.yaml)."""
    negate, text = text.startswith("!"), text.removeprefix("!")
    name, _, pattern = text.partition(":")
    compiled, index = re.compile(pattern), FIELDS.index(name)
    return lambda line: bool(compiled.fullmatch(line.split(" ")[index])) != negate


def stamp(when: datetime) -> str:
    return when.astimezone(timezone.utc).strftime(TIMESTAMP)
