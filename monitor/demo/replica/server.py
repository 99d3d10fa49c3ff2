"""Serve a replica Site over HTTP on 127.0.0.1 (a free port by default), in a background thread."""
from __future__ import annotations

import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
import json
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

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
