"""Benchmark: the requests a pass spends over three state.gov sources of one site, on loopback.

Run by hand:  .venv/bin/python bench/signals_bench.py [--passes 3]

The sources are those of tests/integration/test_shared_signals.py (press releases, briefings, and
one whose listing URL is wrong) on one replica; each pass is a real `crawl --now` in a new process.
Prints, per pass, the requests the site answered, how many were signals (feed, sitemap index and
child, the two REST queries) and the pages each source fetched (captures). docs/crawling.md
quotes it, before (69271b7: each source read every signal itself) and after.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from remarkwatch.demo.replica.content import demo_releases  # noqa: E402
from remarkwatch.demo.replica.server import ReplicaServer  # noqa: E402
from remarkwatch.demo.replica.site import Site  # noqa: E402
from tests.conftest import db_at, run_cli  # noqa: E402
from tests.integration.test_shared_signals import Replica, asked, config  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passes", type=int, default=3)
    args = parser.parse_args()
    site = Site(demo_releases())
    with ReplicaServer(site) as server, tempfile.TemporaryDirectory() as folder:
        Replica(site, server.base_url)
        path = config(Path(folder), server.base_url)
        for n in range(args.passes):
            before = dict(site.hits)
            run_cli("crawl", "--config", path, "--now", cwd=ROOT)
            signals = sum(asked(site, before).values())
            total = sum(site.hits.values()) - sum(before.values())
            pages = dict(db_at(path).execute("SELECT source, COUNT(*) FROM captures WHERE run_id = "
                                             "(SELECT MAX(id) FROM runs) GROUP BY source").fetchall())
            print(f"pass {n + 1}: {total} requests, {signals} of them signals; pages fetched by source: {pages}")
            time.sleep(1.1)      # the next pass starts in a later second (the archive keeps whole seconds)


if __name__ == "__main__":
    main()
