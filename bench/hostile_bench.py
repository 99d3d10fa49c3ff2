"""Benchmark: remarkwatch against a hostile site and hostile endpoints, on loopback.

Run by hand:  .venv/bin/python bench/hostile_bench.py

Measures what the README's "Limits" section quotes:
  - peak RSS of a real `crawl` of the replica while two of its pages are a gzip bomb expanding
    to 1 GiB and a 50 MB page (both must end as `too_large`), and of `check` on the bomb;
  - how long `alerts send` takes against a webhook that drips its answer a byte at a time
    (bounded by the channel's deadline_s);
  - the worst-case diff: one word changed in a page of ~5 MB (the default page limit) of one
    repeated paragraph, and an edit every 97 paragraphs of it; and its change page, served from
    the rows stored at write time, through Datasette's own client.
"""
from __future__ import annotations

import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from remarkwatch.crawler.items import OK, Capture, Extracted  # noqa: E402
from remarkwatch.core import detect  # noqa: E402
from remarkwatch.record.ingest import ingest  # noqa: E402
from remarkwatch.demo.replica.content import demo_releases  # noqa: E402
from remarkwatch.demo.replica.server import ReplicaServer  # noqa: E402
from remarkwatch.demo.replica.site import Response, Site  # noqa: E402
from remarkwatch.web.server import build_datasette  # noqa: E402
from remarkwatch.storage.db import open_db  # noqa: E402
from tests.conftest import write_config  # noqa: E402
from tests.system.test_hostile import PARA, DripServer, gzip_bomb, peak_rss_mb  # noqa: E402


def memory(folder: Path) -> None:
    site = Site(demo_releases())
    bomb, huge = [p for p in site.releases][1:3]
    site.override(bomb, Response(200, gzip_bomb(1 << 30), headers=(("Content-Encoding", "gzip"),)))
    site.override(huge, Response(200, b"<html><body>" + b"<p>words words words</p>" * (50 * 1024 * 1024 // 24)))
    with ReplicaServer(site) as server:
        config = write_config(folder, server.base_url)
        rss, result = peak_rss_mb("crawl", "--config", config)
        outcomes = open_db(folder / "archive.db").execute(
            "SELECT outcome, COUNT(*) FROM captures GROUP BY outcome").fetchall()
        print(f"crawl with a 1 GiB gzip bomb and a 50 MB page   peak RSS {rss:6.1f} MB   {dict(outcomes)}")
        print(f"  {result.stdout.strip()}")
        rss, result = peak_rss_mb("check", server.base_url + bomb, "--profile", "state.gov", "--config", config)
        print(f"check on the gzip bomb                          peak RSS {rss:6.1f} MB   {result.stderr.strip()}")


def drip(folder: Path) -> None:
    server = DripServer(b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 5000)
    config = folder / "drip.toml"
    config.write_text(f'db = "drip.db"\n[[alerts]]\nname = "slow"\nkind = "webhook"\n'
                      f'url = "http://127.0.0.1:{server.port}/"\nsecret_env = "S"\nkinds = ["source-failing"]\n'
                      f"min_significance = 0\n")
    from remarkwatch.config import load_config
    from remarkwatch.record.health import record_source_pass

    db = open_db(folder / "drip.db")
    record_source_pass(db, "s", failing=True, error="down", run_id=None, now="2026-11-27T10:00:00+00:00",
                       channels=load_config(config).alerts, after=1)
    started = time.monotonic()
    result = subprocess.run([sys.executable, "-m", "remarkwatch", "alerts", "send", "--config", str(config)],
                            cwd=ROOT, env={"S": "x", "PATH": "/usr/bin:/bin"}, capture_output=True, text=True)
    print(f"alerts send to an endpoint dripping 1 byte / 0.3 s   {time.monotonic() - started:5.1f} s "
          f"(deadline_s 30)   {result.stdout.strip()}")
    server.close()


def diff(folder: Path, repeat: int = 5) -> None:
    count = 50_000
    old = [PARA] * count
    for name, positions in (("one word", [count // 2]), ("an edit every 97 paragraphs", range(0, count, 97))):
        new = list(old)
        for i in positions:
            new[i] = PARA.replace("security", "stability")
        a, b = "\n\n".join(old), "\n\n".join(new)
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            detect.compare({"title": "t", "body_text": a}, {"title": "t", "body_text": b})
            times.append(time.perf_counter() - started)
        print(f"diff of {len(a) / 1e6:.1f} MB, {name:<28} median {statistics.median(times) * 1000:7.0f} ms   "
              f"slowest {max(times) * 1000:7.0f} ms")
    db = open_db(folder / "page.db")
    for now, text in (("2026-11-27T10:00:00+00:00", "\n\n".join(old)),
                      ("2026-11-27T11:00:00+00:00", "\n\n".join(new))):
        ingest(db, Capture(source="s", url="https://x/1/", final_url="https://x/1/", status=200, fetched_at="t",
                           outcome=OK, extractor="x", fields=Extracted(title="t", body_text=text, post_id="1")),
               site="x", run_id=None, now=now)
    change_id = db.execute("SELECT MAX(id) FROM changes").fetchone()[0]
    db.close()
    datasette = build_datasette(folder / "page.db")
    times = []
    for _ in range(15):
        started = time.perf_counter()
        response = asyncio.run(datasette.client.get(f"/-/change/{change_id}"))
        times.append(time.perf_counter() - started)
        assert response.status_code == 200
    print(f"its change page (stored rows)                        median {statistics.median(times) * 1000:7.1f} ms   "
          f"slowest {max(times) * 1000:7.1f} ms")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        memory(folder)
        drip(folder)
        diff(folder)
    print(json.dumps({"python": sys.version.split()[0]}))


if __name__ == "__main__":
    main()
