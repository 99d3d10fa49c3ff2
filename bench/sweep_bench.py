"""Benchmark: an unconditional sweep (`crawl --full`) of a replica whose pages did not change.

Run by hand:  .venv/bin/python bench/sweep_bench.py [--releases 3000] [--repeat 3]

The replica (ETag-less pages fetched in full, as a sweep does) is served from its own process. A
first `crawl --full` fills the archive; then the sweep is timed REPEAT times, each a fresh process.
Pages answered with the very bytes of their last good fetch are checked without extracting or
comparing (`same_bytes`); the figures say what that costs against the first crawl.
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SERVE = """
import sys, time
sys.path.insert(0, {root!r})
from monitor.replica.content import generated_releases
from monitor.replica.server import ReplicaServer
from monitor.replica.site import Site
site = Site(generated_releases({n}), per_page=50)
site.validators = False
srv = ReplicaServer(site).start()
print(srv.base_url, flush=True)
time.sleep(3600)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--releases", type=int, default=3000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    server = subprocess.Popen([sys.executable, "-c", SERVE.format(root=str(ROOT), n=args.releases)],
                              stdout=subprocess.PIPE, text=True)
    base = server.stdout.readline().strip()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            config = Path(tmp) / "remarkwatch.toml"
            config.write_text(f'db = "a.db"\nconcurrency = 16\n[[sources]]\nname = "r"\nprofile = "state.gov"\n'
                              f'start_urls = ["{base}/press-releases/"]\nmax_listing_pages = {args.releases // 50 + 1}\n'
                              f'delay_s = 0\n')

            def crawl() -> tuple[float, str]:
                started = time.perf_counter()
                done = subprocess.run([sys.executable, "-m", "monitor", "crawl", "--full", "--config", str(config)],
                                      cwd=ROOT, capture_output=True, text=True)
                return time.perf_counter() - started, (done.stdout.strip().splitlines() or [done.stderr[-200:]])[0]

            first, line = crawl()
            print(f"first crawl             {first:6.1f} s   {line}")
            times = []
            for _ in range(args.repeat):
                seconds, line = crawl()
                times.append(seconds)
                print(f"sweep, nothing changed  {seconds:6.1f} s   {line}")
            print(f"sweep median            {statistics.median(times):6.1f} s  ({args.releases:,} pages)")
    finally:
        server.kill()


if __name__ == "__main__":
    main()
