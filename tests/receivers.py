"""Real alert endpoints on loopback: a webhook receiver that checks signatures, an SMTP server."""
from __future__ import annotations

import hashlib
import hmac
import json
import socket
import threading
import time
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

SECRET = "s3cret-for-tests-only"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Received:
    path: str
    headers: dict
    body: bytes
    signature_ok: bool

    @property
    def json(self) -> dict:
        return json.loads(self.body)


class WebhookReceiver:
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

        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/hook"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()

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
