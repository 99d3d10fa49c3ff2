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

from replica_process import start_replica

ROOT = Path(__file__).resolve().parents[1]
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--releases", type=int, default=3000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    server, (base,) = start_replica(args.releases, validators=False)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            config = Path(tmp) / "remarkwatch.toml"
            config.write_text(f'db = "a.db"\nconcurrency = 16\n[[sources]]\nname = "r"\nprofile = "state.gov"\n'
                              f'start_urls = ["{base}/press-releases/"]\nmax_listing_pages = {args.releases // 50 + 1}\n'
                              f'delay_s = 0\n')

            def crawl() -> tuple[float, str]:
                started = time.perf_counter()
                done = subprocess.run([sys.executable, "-m", "remarkwatch", "crawl", "--full", "--config", str(config)],
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
