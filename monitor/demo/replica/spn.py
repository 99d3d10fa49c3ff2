"""A loopback replica of the Internet Archive's Save Page Now 2 API, in the formats the Internet
Archive's own client records (internetarchive/sandcrawler: python/sandcrawler/ia.py
`SavePageNowClient.save_url_now_v2`, python/tests/test_savepagenow.py PENDING_BODY, SUCCESS_BODY,
ERROR_BODY), for the evidence queue's tests and the demo:

- `POST /save` (form `url=...`, `capture_all`, ...) with `Authorization: LOW ACCESS:SECRET`:
  `{"url": URL, "job_id": ID}`; wrong or missing keys 401; past the limits 429 (with
  `Retry-After` when asked) or 200 `{"message": "You have already reached the limit of active
  sessions", ...}`.
- `GET /save/status/ID`: `{"status": "pending", "job_id", "resources": []}` for the first polls, then
  `{"status": "success", "job_id", "original_url", "timestamp": "YYYYMMDDhhmmss", "duration_sec",
  "resources"}`, or for a URL told to fail `{"status": "error", "status_ext": "error:...",
  "exception", "job_id", "message", "resources": []}`.
- `GET /web/TIMESTAMP/URL`: a small page standing for the capture, so a memento link resolves.

Knobs: `latency_s` (every answer that slow), `limit(times, retry_after)` (429s),
`session_limit(times)`, `fail(url_part, status_ext)`, `pending_polls` (pending answers before the
outcome). `submissions` keeps each accepted POST's form and Authorization.
"""
from __future__ import annotations

import json
import threading
import time
import uuid
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote


class SaveService:
    def __init__(self, access: str = "access-key", secret: str = "secret-key", pending_polls: int = 1):
        self.auth = f"LOW {access}:{secret}"
        self.pending_polls = pending_polls
        self.latency_s = 0.0
        self.submissions: list[dict] = []
        self.jobs: dict[str, dict] = {}
        self.polls = 0
        self._limits: list[str | None] = []      # one Retry-After (or None) per 429 still to answer
        self._session_limits = 0
        self._failures: dict[str, str] = {}
        self._lock = threading.Lock()

    def limit(self, times: int, retry_after: str | None = None) -> None:
        self._limits.extend([retry_after] * times)

    def session_limit(self, times: int) -> None:
        self._session_limits += times

    def fail(self, url_part: str, status_ext: str = "error:invalid-host-resolution") -> None:
        self._failures[url_part] = status_ext

    def submit(self, form: dict, authorization: str) -> tuple[int, dict, dict]:
        if authorization != self.auth:
            return 401, {}, {"message": "Unauthorized"}
        with self._lock:
            if self._limits:
                retry_after = self._limits.pop(0)
                return 429, ({"Retry-After": retry_after} if retry_after else {}), {"message": "Too Many Requests"}
            if self._session_limits:
                self._session_limits -= 1
                return 200, {}, {"message": "You have already reached the limit of active sessions. Please try again later."}
            url = form.get("url", "")
            job_id = f"spn2-{uuid.uuid4().hex}"
            self.submissions.append({"form": form, "authorization": authorization})
            self.jobs[job_id] = {"url": url, "polls": 0,
                                 "failure": next((ext for part, ext in self._failures.items() if part in url), None)}
        return 200, {}, {"url": url, "job_id": job_id}

    def status(self, job_id: str) -> tuple[int, dict, dict]:
        with self._lock:
            self.polls += 1
            job = self.jobs.get(job_id)
            if job is None:
                return 200, {}, {"status": "error", "status_ext": "error:not-found", "job_id": job_id,
                                 "message": "Job not found", "resources": []}
            job["polls"] += 1
            if job["polls"] <= self.pending_polls:
                return 200, {}, {"status": "pending", "job_id": job_id, "resources": []}
            if job["failure"]:
                return 200, {}, {"status": "error", "exception": "[Errno -2] Name or service not known",
                                 "status_ext": job["failure"], "job_id": job_id,
                                 "message": f"Couldn't resolve host for {job['url']}.", "resources": []}
            job.setdefault("timestamp", datetime.now(timezone.utc).strftime("%Y%m%d%H%M%S"))
            return 200, {}, {"status": "success", "job_id": job_id, "original_url": job["url"],
                             "timestamp": job["timestamp"], "duration_sec": 6.203, "resources": [job["url"]]}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out as two writes: with Nagle on, the body waits for the client's
    # delayed ACK (40 ms an answer on Linux loopback).
    disable_nagle_algorithm = True

    def do_POST(self):  # noqa: N802 (http.server's naming)
        service: SaveService = self.server.service
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode("utf-8", "replace")
        time.sleep(service.latency_s)
        if self.path.rstrip("/") != "/save":
            return self._send(404, {}, {"message": "Not Found"})
        form = {k: v[0] for k, v in parse_qs(body, keep_blank_values=True).items()}
        self._send(*service.submit(form, self.headers.get("Authorization", "")))

    def do_GET(self):  # noqa: N802 (http.server's naming)
        service: SaveService = self.server.service
        time.sleep(service.latency_s)
        if self.path.startswith("/save/status/"):
            return self._send(*service.status(self.path.rsplit("/", 1)[1]))
        if self.path.startswith("/web/"):
            stamp, _, url = self.path[len("/web/"):].partition("/")
            page = f"<!DOCTYPE html><title>capture {stamp}</title><p>{unquote(url)}</p>".encode()
            return self._send(200, {"Content-Type": "text/html; charset=utf-8"}, page)
        self._send(404, {}, {"message": "Not Found"})

    def _send(self, status: int, headers: dict, body) -> None:
        payload = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", headers.pop("Content-Type", "application/json"))
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass    # a client that gave up on a slow answer is not the replica's problem


class SaveReplica:
    """`with SaveReplica(SaveService()) as replica:` serves it on `replica.url` (loopback, a free port)."""

    def __init__(self, service: SaveService, host: str = "127.0.0.1", port: int = 0):
        self.service = service
        self.httpd = _Server((host, port), _Handler)
        self.httpd.service = service
        self.url = f"http://{host}:{self.httpd.server_address[1]}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="spn-replica", daemon=True)

    def __enter__(self) -> "SaveReplica":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
