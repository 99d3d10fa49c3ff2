"""Serve a replica Site over HTTP on 127.0.0.1 (a free port by default), in a background thread."""
from __future__ import annotations

import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
import json
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from urllib.parse import parse_qs, urlsplit

from remarkwatch.demo.replica.content import DEMO_NEW
from remarkwatch.demo.replica.site import Site


class _Handler(BaseHTTPRequestHandler):
    server_version = "replica/1"
    protocol_version = "HTTP/1.1"

    def do_GET(self):  # noqa: N802 (http.server's naming)
        site: Site = self.server.site
        if self.path == STATS_PATH:   # the replica's own accounting, for benchmarks; not counted
            body = json.dumps({"requests": site.requests, "bytes": site.bytes_sent,
                               "not_modified": site.not_modified}).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        site.user_agents.add(self.headers.get("User-Agent", ""))
        counted = not self.path.startswith("/robots.txt")   # each crawler asks for it once, up front
        with site._lock:
            site.in_flight += counted
            site.max_in_flight = max(site.max_in_flight, site.in_flight)
        try:
            self._answer(site)
        finally:
            with site._lock:
                site.in_flight -= counted

    def do_POST(self):  # noqa: N802 (http.server's naming)
        """EDIT_PATH changes the site while it is served, for trying remarkwatch by hand."""
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        status, answer = edit(self.server.site, self.path, body.decode("utf-8", "replace"))
        payload = (json.dumps(answer) + "\n").encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _answer(self, site: "Site") -> None:
        if site.latency_s:
            time.sleep(site.latency_s)
        parts = urlsplit(self.path)
        response = site.handle(parts.path, self.server.base_url, parts.query)
        site.requests += 1
        if response.status == 200 and _not_modified(dict(response.headers), self.headers):
            site.not_modified += 1
            site.bytes_sent += _head_size(304, response.headers)
            self.send_response(304)
            for name, value in response.headers:
                self.send_header(name, value)
            self.end_headers()
            return
        site.bytes_sent += _head_size(response.status, response.headers) + len(response.body)
        try:
            self.send_response(response.status)
            self.send_header("Content-Type", response.content_type)
            self.send_header("Content-Length", str(len(response.body)))
            for name, value in response.headers:
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(response.body)
        except (BrokenPipeError, ConnectionResetError):
            pass   # the client went away (a crawl that was stopped or killed)

    def log_message(self, *args):
        pass


STATS_PATH = "/__replica_stats__"
EDIT_PATH = "/__edit__"


def edit(site: Site, path: str, form: str) -> tuple[int, dict]:
    """A POST to EDIT_PATH, as (status, JSON answer). Fields: `slug`, `old`, `new` replace the
    first `old` in that release's body, silently (its modified time kept) unless `silent=0`;
    `action=publish` publishes the demo's new release instead."""
    if urlsplit(path).path != EDIT_PATH:
        return 404, {"error": f"POST only to {EDIT_PATH}"}
    fields = {k: v[-1] for k, v in parse_qs(form, keep_blank_values=True).items()}
    if fields.get("action") == "publish":
        site.publish(DEMO_NEW)
        return 200, {"published": DEMO_NEW.path}
    missing = [k for k in ("slug", "old", "new") if k not in fields]
    if missing:
        return 400, {"error": f"missing {', '.join(missing)} (form fields slug, old, new; or action=publish)"}
    modified = None if fields.get("silent", "1") != "0" else datetime.now(timezone.utc).isoformat(timespec="seconds")
    try:
        release = site.edit(fields["slug"], fields["old"], fields["new"], modified=modified)
    except StopIteration:
        return 404, {"error": f"no release with slug {fields['slug']!r}"}
    except ValueError as error:
        return 400, {"error": str(error)}
    return 200, {"edited": release.path, "silent": modified is None}


def _head_size(status: int, headers) -> int:
    """Bytes of a response's status line and headers, as http.server writes them (about)."""
    return 60 + sum(len(name) + len(value) + 4 for name, value in headers)


def _not_modified(validators: dict, request_headers) -> bool:
    """RFC 9110: If-None-Match wins; If-Modified-Since only without it."""
    if request_headers.get("If-None-Match"):
        return request_headers["If-None-Match"] == validators.get("ETag")
    since, modified = request_headers.get("If-Modified-Since"), validators.get("Last-Modified")
    if since and modified:
        try:
            return parsedate_to_datetime(modified) <= parsedate_to_datetime(since)
        except (TypeError, ValueError):
            return False
    return False


class _Server(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        """A client that hangs up (a crawl cancelling an oversized page, a killed crawl) is normal."""
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)


class ReplicaServer:
    def __init__(self, site: Site, host: str = "127.0.0.1", port: int = 0):
        self.httpd = _Server((host, port), _Handler)
        self.httpd.daemon_threads = True
        self.httpd.site = site
        self.site = site
        self.port = self.httpd.server_address[1]
        self.base_url = self.httpd.base_url = f"http://{host}:{self.port}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="replica", daemon=True)

    def __enter__(self) -> "ReplicaServer":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def start(self) -> "ReplicaServer":
        return self.__enter__()

    def stop(self) -> None:
        self.__exit__(None, None, None)
