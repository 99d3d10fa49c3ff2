"""Benchmark: `remarkwatch backfill` of one document with a long archive history, and
`remarkwatch export warc` of a few thousand captures.

Run by hand:  .venv/bin/python bench/backfill_bench.py [--captures 200] [--distinct 50] [--edits 6]
                                                      [--warc-releases 3000]

Backfill: the replica Wayback (monitor/replica/wayback.py) holds CAPTURES captures of one
release: DISTINCT distinct digests (the rest are repeats of the digest before them), of which
EDITS carry a real edit of the transcript and the others differ only in page chrome (a tracking
token). The time is dominated by the archive's rate limits, so the figures are requests, and the
time those requests need at the Wayback Machine's limits (0.4 searches/s, 8 mementos/s), besides
the time against the unthrottled replica.

WARC: a replica of WARC_RELEASES releases is crawled once (first crawl: every page stored), then
exported; time and size against the stored bodies.
"""
from __future__ import annotations

import argparse
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from remarkwatch.demo.replica.content import demo_releases  # noqa: E402
from remarkwatch.demo.replica.server import ReplicaServer  # noqa: E402
from remarkwatch.demo.replica.site import Site, article_2019  # noqa: E402
from remarkwatch.demo.replica.wayback import ArchivedCapture, WaybackArchive, WaybackReplica, stamp  # noqa: E402
from replica_process import start_replica  # noqa: E402

def history(release, base: str, captures: int, distinct: int, edits: int) -> tuple[list[ArchivedCapture], object]:
    """CAPTURES captures, DISTINCT digests, EDITS of them real edits (one word each, spread out)."""
    edit_at = sorted(random.Random(7).sample(range(1, distinct), edits))
    per_digest = captures // distinct
    start = datetime(2021, 7, 27, 18, tzinfo=timezone.utc)
    current, found = release, []
    for index in range(distinct):
        if index in edit_at:
            n = edit_at.index(index)
            paragraph = current.paragraphs[1 + n % (len(current.paragraphs) - 1)]
            old = paragraph.split()[2]
            current = current.edited(f" {old} ", f" {old.upper()}x{n} ", None)
        body = article_2019(current, base).replace("'pageview'", f"'pageview-{index}'").encode()
        for repeat in range(per_digest):
            when = start + timedelta(hours=6 * (index * per_digest + repeat))
            found.append(ArchivedCapture(base + release.path, stamp(when), body=body))
    return found, current


def bench_backfill(args) -> None:
    release = demo_releases()[0]
    site = Site([release])
    with ReplicaServer(site) as server, tempfile.TemporaryDirectory() as tmp:
        captures, final = history(release, server.base_url, args.captures, args.distinct, args.edits)
        site.publish(final)
        archive = WaybackArchive(captures)
        with WaybackReplica(archive) as wayback:
            config = Path(tmp) / "remarkwatch.toml"
            config.write_text(f'db = "a.db"\n[[sources]]\nname = "r"\nprofile = "state.gov"\n'
                              f'start_urls = ["{server.base_url}/press-releases/"]\ndelay_s = 0\n'
                              f'[backfill]\nwayback_url = "{wayback.base_url}"\nsearch_per_second = 100\n'
                              f'memento_per_second = 100\n')
            subprocess.run([sys.executable, "-m", "remarkwatch", "crawl", "--config", str(config)], cwd=ROOT,
                           check=True, capture_output=True)
            started = time.perf_counter()
            done = subprocess.run([sys.executable, "-m", "remarkwatch", "backfill", "--config", str(config)],
                                  cwd=ROOT, capture_output=True, text=True)
            seconds = time.perf_counter() - started
            searches, mementos = archive.requests["search"], archive.requests["memento"]
            again = subprocess.run([sys.executable, "-m", "remarkwatch", "backfill", "--config", str(config)],
                                   cwd=ROOT, capture_output=True, text=True)
            db = sqlite3.connect(Path(tmp) / "a.db")
            found = db.execute("SELECT COUNT(*) FROM changes WHERE historical = 1 AND significance > 0").fetchone()[0]
            noise = db.execute("SELECT COUNT(*) FROM changes WHERE historical = 1 AND significance = 0").fetchone()[0]
    print(f"backfill: {args.captures} captures, {args.distinct} distinct digests, {args.edits} real edits")
    print(f"  {done.stdout.strip()}")
    print(f"  edits found: {found} of {args.edits} (and {noise} changes of significance 0)")
    print(f"  requests: {searches} searches, {mementos} mementos (of {args.captures} captures listed); "
          f"at the Wayback Machine's limits {searches / 0.4 + mementos / 8:.1f} s; against the replica {seconds:.1f} s")
    print(f"  second run: {again.stdout.strip()}")


def bench_warc(args) -> None:
    server, (base,) = start_replica(args.warc_releases)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            config = Path(tmp) / "remarkwatch.toml"
            config.write_text(f'db = "a.db"\nconcurrency = 16\n[[sources]]\nname = "r"\nprofile = "state.gov"\n'
                              f'start_urls = ["{base}/press-releases/"]\nmax_listing_pages = {args.warc_releases // 50 + 1}\n'
                              f'delay_s = 0\n')
            subprocess.run([sys.executable, "-m", "remarkwatch", "crawl", "--config", str(config)], cwd=ROOT,
                           check=True, capture_output=True)
            db = sqlite3.connect(Path(tmp) / "a.db")
            captures, stored, raw = db.execute(
                "SELECT COUNT(*), SUM(length(b.content)), SUM(b.size) FROM captures c JOIN blobs b ON b.hash = c.blob_hash"
            ).fetchone()
            out = Path(tmp) / "all.warc.gz"
            started = time.perf_counter()
            done = subprocess.run([sys.executable, "-m", "remarkwatch", "export", "warc", "--config", str(config),
                                   "-o", str(out)], cwd=ROOT, capture_output=True, text=True)
            seconds = time.perf_counter() - started
            size = out.stat().st_size
            print(f"warc: {captures} captures, bodies {raw / 1e6:.1f} MB ({stored / 1e6:.1f} MB as stored, zlib)")
            print(f"  export {seconds:.1f} s, {size / 1e6:.1f} MB: {size / raw:.2f}x the bodies, "
                  f"{size / stored:.2f}x their stored size ({done.stderr.strip()})")
    finally:
        server.kill()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--captures", type=int, default=200)
    parser.add_argument("--distinct", type=int, default=50)
    parser.add_argument("--edits", type=int, default=6)
    parser.add_argument("--warc-releases", type=int, default=3000)
    args = parser.parse_args()
    bench_backfill(args)
    bench_warc(args)


if __name__ == "__main__":
    main()
