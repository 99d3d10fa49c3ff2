"""Real alert endpoints on loopback: a webhook receiver that checks signatures, an SMTP server,
a Mastodon instance, and the chat services Apprise posts pictures to (Discord, Telegram)."""
from __future__ import annotations

import hashlib
import hmac
import json
import re
import socket
import sys
import threading
import time
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

SECRET = "s3cret-for-tests-only"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class QuietServer(ThreadingHTTPServer):
    """A loopback HTTP server for tests that takes a client hanging up (a timeout test, a browser's
    spare connection, a port probe) in silence instead of printing a traceback into the run."""
    daemon_threads = True

    def handle_error(self, request, client_address):
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)


@dataclass
class Received:
    path: str
    headers: dict
    body: bytes
    signature_ok: bool

    @property
    def json(self) -> dict:
        return json.loads(self.body)


class _Served:
    """A loopback HTTP server (`self.httpd`, served by `self._thread`) as a context manager."""

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


class WebhookReceiver(_Served):
    """Records every POST. `script` is consumed one entry per request: an HTTP status to answer,
    or ("hang", seconds) to wait before answering 200; when empty it answers 200."""

    def __init__(self, secret: str = SECRET, port: int = 0):
        self.secret = secret
        self.received: list[Received] = []
        self.script: list = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                expected = "sha256=" + hmac.new(receiver.secret.encode(), body, hashlib.sha256).hexdigest()
                signature = self.headers.get("X-Remarkwatch-Signature", "")
                with receiver.lock:
                    receiver.received.append(Received(self.path, dict(self.headers), body,
                                                      hmac.compare_digest(expected, signature)))
                    step = receiver.script.pop(0) if receiver.script else 200
                if isinstance(step, tuple):
                    time.sleep(step[1])
                    step = 200
                payload = b"ok" if step < 300 else b"nope"
                try:
                    self.send_response(step)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass   # the sender gave up waiting (a timeout test)

            def log_message(self, *args):
                pass

        self.httpd = QuietServer(("127.0.0.1", port), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/hook"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)


    def keys(self) -> list[str]:
        return [r.headers.get("X-Remarkwatch-Idempotency-Key") for r in self.received]


@dataclass
class SmtpHandler:
    """Accepts messages, or refuses the first `refuse` of them with a temporary failure."""
    refuse: int = 0
    messages: list = field(default_factory=list)
    refused: int = 0

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's naming)
        if self.refused < self.refuse:
            self.refused += 1
            return "451 4.3.0 Try again later"
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


class SmtpServer:
    """aiosmtpd on loopback; optional STARTTLS (required) and AUTH LOGIN/PLAIN with one user."""

    def __init__(self, handler: SmtpHandler, tls_context=None, user: tuple[str, str] | None = None,
                 implicit_tls: bool = False):
        self.handler = handler
        kwargs = {}
        if tls_context is not None and not implicit_tls:
            kwargs.update(tls_context=tls_context, require_starttls=True)
        if user is not None:
            kwargs.update(authenticator=self._authenticator(user), auth_require_tls=tls_context is not None)
        self.port = free_port()
        # Implicit TLS wraps the listening socket itself (port 465 style).
        self.controller = Controller(handler, hostname="127.0.0.1", port=self.port,
                                     ssl_context=tls_context if implicit_tls else None, **kwargs)

    @staticmethod
    def _authenticator(user):
        def check(server, session, envelope, mechanism, auth_data):
            ok = (auth_data.login.decode(), auth_data.password.decode()) == user
            return AuthResult(success=ok, handled=False)
        return check

    def __enter__(self):
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.controller.stop()


def tls_pair():
    """A throwaway CA (trustme) and a server TLS context with its certificate for 127.0.0.1, for
    the SMTP peers that speak STARTTLS or implicit TLS; skips where trustme is not installed."""
    import ssl

    import pytest

    trustme = pytest.importorskip("trustme")
    ca = trustme.CA()
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_context)
    return ca, server_context


MASTODON_TOKEN = "rw-test-mastodon-token"
_URL = re.compile(r"https?://\S+")


class MastodonReplica(_Served):
    """A Mastodon instance on loopback, answering as the real one does in Mastodon.py's recorded
    test traffic (halcy/Mastodon.py tests/cassettes/test_media_post_multiple.yaml, Mastodon 4.x):
    `POST /api/v2/media` (multipart: file, description, focus) -> 200 and the attachment's JSON;
    `POST /api/v1/statuses` (form: status, media_ids[], visibility) -> 200 and the status; a
    wrong token -> 401 `{"error": "The access token is invalid"}`; a status over 500 characters
    (each URL counted as 23) -> 422. `media_script` steps: "processing" (202, then one 206 from
    `GET /api/v1/media/ID`, then 200) or an HTTP status to answer. A repeated `Idempotency-Key`
    gets the status it already made."""

    def __init__(self, token: str = MASTODON_TOKEN):
        self.token, self.media, self.statuses, self.media_script = token, [], [], []
        self.requests: list[str] = []
        self._by_key: dict[str, dict] = {}
        self._pending: dict[str, int] = {}
        replica = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _answer(self, status: int, body: dict):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):  # noqa: N802
                replica.requests.append(f"GET {self.path}")
                media_id = self.path.rsplit("/", 1)[-1]
                waits = replica._pending.get(media_id, 0)
                replica._pending[media_id] = max(0, waits - 1)
                self._answer(206 if waits else 200, replica._attachment(media_id, None if waits else "ready"))

            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                replica.requests.append(f"POST {self.path}")
                if self.headers.get("Authorization") != f"Bearer {replica.token}":
                    return self._answer(401, {"error": "The access token is invalid"})
                # Apprise's plugin uploads to v1, deprecated since Mastodon 3.1.3 but still served.
                if self.path in ("/api/v2/media", "/api/v1/media"):
                    return self._answer(*replica._upload(self.headers, body))
                if self.path == "/api/v1/statuses":
                    return self._answer(*replica._status(self.headers, body))
                self._answer(404, {"error": "Record not found"})

            def log_message(self, *args):
                pass

        self.httpd = QuietServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)

    def _attachment(self, media_id: str, url) -> dict:
        found = next((m for m in self.media if m["id"] == media_id), {})
        return {"id": media_id, "type": "image", "url": url and f"{self.url}/system/media/{media_id}.png",
                "preview_url": f"{self.url}/system/media/{media_id}-small.png", "remote_url": None,
                "description": found.get("description"), "blurhash": "UGC~-#M{0JfkNFofR%M{IURj%Mt7E0oM%MR*"}

    def _upload(self, headers, body: bytes) -> tuple[int, dict]:
        step = self.media_script.pop(0) if self.media_script else 200
        if isinstance(step, int) and step != 200:
            return step, {"error": "Validation failed: File could not be processed"}
        parsed = message_from_bytes(f"Content-Type: {headers['Content-Type']}\r\n\r\n".encode() + body,
                                          policy=policy.HTTP)
        fields = {part.get_param("name", header="content-disposition"): part for part in parsed.iter_parts()}
        media_id = str(117020576646493592 + len(self.media))
        text = {name: part.get_payload(decode=True).decode("utf-8") for name, part in fields.items() if name != "file"}
        self.media.append({"id": media_id, "file": fields["file"].get_payload(decode=True),
                           "filename": fields["file"].get_filename(), "content_type": fields["file"].get_content_type(),
                           "description": text.get("description"), "focus": text.get("focus")})
        if step == "processing":
            self._pending[media_id] = 1
            return 202, self._attachment(media_id, None)
        return 200, self._attachment(media_id, "ready")

    def _status(self, headers, body: bytes) -> tuple[int, dict]:
        key = headers.get("Idempotency-Key")
        if key and key in self._by_key:
            return 200, self._by_key[key]
        if headers.get("Content-Type", "").startswith("application/json"):     # Apprise posts JSON
            sent = json.loads(body)
            form = {"status": [sent.get("status", "")], "media_ids[]": [str(i) for i in sent.get("media_ids", [])],
                    "visibility": [sent.get("visibility", "public")]}
        else:
            form = parse_qs(body.decode(), keep_blank_values=True)
        text = form.get("status", [""])[0]
        if len(_URL.sub("x" * 23, text)) > 500:
            return 422, {"error": "Validation failed: Text character limit of 500 exceeded"}
        ids = form.get("media_ids[]", [])
        if any(self._pending.get(i) for i in ids):
            return 422, {"error": "Cannot attach files that have not finished processing. Try again in a moment!"}
        status = {"id": str(117020576664345360 + len(self.statuses)), "content": text,
                  "visibility": form.get("visibility", ["public"])[0], "idempotency_key": key,
                  "media_attachments": [self._attachment(i, "ready") for i in ids]}
        status["url"] = f"{self.url}/@remarkwatch/{status['id']}"
        self.statuses.append(status)
        if key:
            self._by_key[key] = status
        return 200, status



def _multipart(headers, body: bytes) -> tuple[dict, list[dict]]:
    """A multipart/form-data body as (its text fields, its files)."""
    parsed = message_from_bytes(f"Content-Type: {headers['Content-Type']}\r\n\r\n".encode() + body, policy=policy.HTTP)
    fields, files = {}, []
    for part in parsed.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if part.get_filename() is not None:
            files.append({"field": name, "filename": part.get_filename(), "content_type": part.get_content_type(),
                          "data": part.get_payload(decode=True)})
        else:
            fields[name] = part.get_payload(decode=True).decode("utf-8")
    return fields, files


@dataclass
class ChatPost:
    service: str          # "discord" or "telegram"
    path: str
    fields: dict          # the text fields (a JSON body's keys; Discord's payload_json decoded)
    files: list = field(default_factory=list)


class ChatReplica(_Served):
    """Discord's webhook and Telegram's Bot API on one loopback port, answering as their documents
    say (Apprise's plugins are pointed here through their `notify_url`):
    - Discord, https://discord.com/developers/docs/resources/webhook#execute-webhook:
      `POST /api/webhooks/ID/TOKEN`, JSON or multipart (`payload_json` and `files[n]`); `content`
      over 2,000 characters -> 400 `{"code": 50035, "message": "Invalid Form Body", ...}`; with
      `?wait=true` 200 and the message, else 204 No Content.
    - Telegram, https://core.telegram.org/bots/api#sendphoto: `POST /botTOKEN/sendMessage` (text
      1-4,096 characters) and `/sendPhoto` (multipart `photo`, `caption` 0-1,024 characters); 200
      `{"ok": true, "result": {...}}`, too long -> 400 `{"ok": false, "error_code": 400,
      "description": "Bad Request: message caption is too long"}`."""

    DISCORD_CONTENT, TELEGRAM_TEXT, TELEGRAM_CAPTION = 2000, 4096, 1024

    def __init__(self):
        self.posts: list[ChatPost] = []
        replica = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                status, answer = replica._answer(self.path, self.headers, body)
                data = b"" if status == 204 else json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.httpd = QuietServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)

    def _answer(self, path: str, headers, body: bytes) -> tuple[int, dict]:
        if headers.get("Content-Type", "").startswith("multipart/"):
            fields, files = _multipart(headers, body)
        else:
            fields, files = json.loads(body or b"{}"), []
        if path.startswith("/api/webhooks/"):
            fields = {**json.loads(fields.pop("payload_json", "{}")), **fields}
            self.posts.append(ChatPost("discord", path, fields, files))
            if len(fields.get("content") or "") > self.DISCORD_CONTENT:
                return 400, {"code": 50035, "message": "Invalid Form Body", "errors": {"content": {"_errors": [
                    {"code": "BASE_TYPE_MAX_LENGTH", "message": "Must be 2000 or fewer in length."}]}}}
            message = {"id": str(1100000000000000000 + len(self.posts)), "content": fields.get("content", ""),
                       "attachments": [{"filename": f["filename"], "content_type": f["content_type"]} for f in files]}
            return (200, message) if "wait=true" in path.lower() else (204, {})
        self.posts.append(ChatPost("telegram", path, fields, files))
        text, limit, what = ((fields.get("caption") or "", self.TELEGRAM_CAPTION, "message caption")
                             if path.endswith("/sendPhoto") else
                             (fields.get("text") or "", self.TELEGRAM_TEXT, "message"))
        if len(text) > limit:
            return 400, {"ok": False, "error_code": 400, "description": f"Bad Request: {what} is too long"}
        return 200, {"ok": True, "result": {"message_id": len(self.posts), "date": 1764600000,
                                            "chat": {"id": int(fields.get("chat_id") or 0), "type": "channel"},
                                            **({"caption": text} if "caption" in fields else {"text": text})}}
