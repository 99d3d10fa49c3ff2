"""A loopback replica of the two Wayback Machine endpoints the `wayback` package uses, in their
real formats, for the backfill's tests, its benchmark and the offline demo.

- CDX search, `/cdx/search/cdx?url=...`: one capture per line, space separated:
  `urlkey timestamp original mimetype statuscode digest length`; with `showResumeKey=true`
  and more results than `limit`, a blank line and a resume key follow the page.
- Memento playback, `/web/{14-digit timestamp}id_/{original URL}`: the captured response as it
  was (status, body), with `Memento-Datetime`, a `Link` naming the original URL, the captured
  headers again as `x-archive-orig-*`, and the archive's `x-archive-src`.

The digest is the Wayback's own: base32 of the SHA-1 of the payload.
"""
from __future__ import annotations

import base64
import hashlib
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

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

    @property
    def digest(self) -> str:
        return base64.b32encode(hashlib.sha1(self.body).digest()).decode()


class WaybackArchive:
    """The captures the replica holds, by URL, and the requests it has answered."""

    def __init__(self, captures: list[ArchivedCapture] = ()):
        self.captures: list[ArchivedCapture] = []
        self.requests = {"search": 0, "memento": 0}
        self.latency_s = 0.0          # each memento answer waits this long (a slow archive)
        self.search_override: bytes | None = None    # answered to every search instead (a broken archive)
        self._lock = threading.Lock()
        for capture in captures:
            self.add(capture)

    def add(self, capture: ArchivedCapture) -> None:
        with self._lock:
            self.captures.append(capture)
            self.captures.sort(key=lambda c: (surt_key(c.url), c.timestamp))

    def search(self, url: str, start: str | None, end: str | None) -> list[ArchivedCapture]:
        key = surt_key(url)
        with self._lock:
            return [c for c in self.captures if surt_key(c.url) == key
                    and (not start or c.timestamp >= start.ljust(14, "0"))
                    and (not end or c.timestamp <= end.ljust(14, "9"))]

    def find(self, url: str, timestamp: str) -> ArchivedCapture | None:
        key = surt_key(url)
        with self._lock:
            return next((c for c in self.captures if surt_key(c.url) == key and c.timestamp == timestamp), None)


class _Handler(BaseHTTPRequestHandler):
    server: "_Server"

    def do_GET(self):  # noqa: N802 (http.server's naming)
        parts = urlsplit(self.path)
        if parts.path == "/cdx/search/cdx":
            self._search(parse_qs(parts.query))
        elif parts.path.startswith("/web/"):
            self._memento(self.path[len("/web/"):])
        else:
            self._send(404, b"not found", {"Content-Type": "text/plain"})

    def _search(self, query: dict) -> None:
        archive = self.server.archive
        archive.requests["search"] += 1
        if archive.search_override is not None:
            self._send(200, archive.search_override, {"Content-Type": "text/plain"})
            return
        url = query.get("url", [""])[0]
        found = archive.search(url, query.get("from", [None])[0], query.get("to", [None])[0])
        limit = int(query.get("limit", ["10000"])[0])
        offset = int(query.get("resumeKey", ["0"])[0])
        page = found[offset:offset + limit]
        lines = [f"{surt_key(c.url)} {c.timestamp} {c.url} {c.content_type.split(';')[0]} {c.status} "
                 f"{c.digest} {len(c.body)}" for c in page]
        if query.get("showResumeKey", ["false"])[0] == "true" and offset + limit < len(found):
            lines += ["", str(offset + limit)]
        self._send(200, ("\n".join(lines) + "\n").encode() if lines else b"", {"Content-Type": "text/plain"})

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
        when = datetime.strptime(capture.timestamp, TIMESTAMP).replace(tzinfo=timezone.utc)
        base = self.server.base_url
        headers = {
            "Content-Type": capture.content_type,
            "Memento-Datetime": format_datetime(when, usegmt=True),
            "Link": (f'<{capture.url}>; rel="original", '
                     f'<{base}/web/timemap/link/{capture.url}>; rel="timemap"; type="application/link-format"'),
            "x-archive-src": f"replica-{capture.timestamp[:8]}.warc.gz",
            "x-archive-orig-content-type": capture.content_type,
            "x-archive-orig-content-length": str(len(capture.body)),
            **{f"x-archive-orig-{k.lower()}": v for k, v in capture.headers.items()},
        }
        self._send(capture.status, capture.body, headers)

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


def stamp(when: datetime) -> str:
    return when.astimezone(timezone.utc).strftime(TIMESTAMP)
