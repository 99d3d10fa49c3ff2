"""Benchmark: deliver 1,000 queued alerts to a webhook receiver on loopback.

Run by hand:  .venv/bin/python bench/alerts_bench.py [--alerts 1000] [--repeat 3]

Builds an archive with N edited-transcript changes (through the real ingest, so every change
has its located edits and diff) and an outbox row each, then times `deliver()` until the
outbox is empty: one signed POST per alert ("each"), and once more as one digest. The receiver
is a threaded HTTP server in this process that checks every signature.
"""
from __future__ import annotations

import argparse
import hashlib
import hmac
import statistics
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from remarkwatch.crawler.items import OK, Capture, Extracted  # noqa: E402
from remarkwatch.alerts.channels.base import Channel  # noqa: E402
from remarkwatch.alerts.sender import deliver  # noqa: E402
from remarkwatch.record.ingest import ingest  # noqa: E402
from remarkwatch.clock import utcnow  # noqa: E402
from remarkwatch.storage.db import open_db  # noqa: E402

SECRET = "bench-secret"
BODY = "\n\n".join(f"MR PRICE: Paragraph {i} on the situation in the region, with Eritrean forces and partners."
                   for i in range(40))


class Receiver(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    count = 0
    bad = 0

    def do_POST(self):  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        Receiver.count += 1
        Receiver.bad += expected != self.headers.get("X-Remarkwatch-Signature")
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def build(path: Path, n: int, channel: Channel):
    db = open_db(path)
    for i in range(n):
        for body in (BODY, BODY.replace(f"Paragraph {i % 40} on", f"Paragraph {i % 40} about")):
            capture = Capture(source="bench", url=f"https://x/{i}/", final_url=f"https://x/{i}/", status=200,
                              fetched_at="t", outcome=OK,
                              fields=Extracted(title=f"Briefing {i}", body_text=body, post_id=str(i)))
            ingest(db, capture, site="x", run_id=None, now=utcnow(), channels=(channel,) if body != BODY else ())
    return db


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    print(f"{args.alerts:,} alerts to a webhook receiver on loopback, median of {args.repeat} runs")
    for mode in ("each", "digest"):
        channel = Channel("bench", "webhook", mode=mode, options={"url": url, "secret_env": "RW_BENCH_SECRET"})
        times = []
        for _ in range(args.repeat):
            with tempfile.TemporaryDirectory() as tmp:
                db = build(Path(tmp) / "bench.db", args.alerts, channel)
                before = Receiver.count
                start = time.perf_counter()
                report = deliver(db, [channel], utcnow, env={"RW_BENCH_SECRET": SECRET})
                times.append(time.perf_counter() - start)
                assert report.counts["delivered"] == args.alerts, report.summary()
                requests_made = Receiver.count - before
                db.close()
        print(f"  {mode:<7} {statistics.median(times):6.2f} s  ({args.alerts / statistics.median(times):,.0f} alerts/s, "
              f"{requests_made} requests, bad signatures: {Receiver.bad})")
    server.shutdown()


if __name__ == "__main__":
    main()
