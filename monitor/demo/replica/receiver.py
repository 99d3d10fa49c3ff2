"""A webhook receiver for the demo, on 127.0.0.1: it checks each alert's signature and keeps it."""
from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class DemoReceiver:
    def __init__(self, secret: str):
        self.secret = secret.encode()
        self.alerts: list[tuple[dict, bool]] = []      # (payload, signature valid)
        self.arrived: list[float] = []                 # each alert's arrival (time.time()), in order
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):  # noqa: N802 (http.server's naming)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                expected = "sha256=" + hmac.new(receiver.secret, body, hashlib.sha256).hexdigest()
                valid = hmac.compare_digest(expected, self.headers.get("X-Remarkwatch-Signature", ""))
                receiver.arrived.append(time.time())
                receiver.alerts.append((json.loads(body), valid))
                self.send_response(200 if valid else 401)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/remarkwatch"
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="demo-receiver", daemon=True)

    def __enter__(self) -> "DemoReceiver":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
