"""Benchmark: peak memory of a conditional re-check of every document (all answered 304).

Run by hand:  .venv/bin/python bench/memory_bench.py [--releases 10000]

The replica (its own process, ETags and 304s) is crawled once in full to fill the archive, then
a pass re-checks every document (`recheck = [["*", "0s"]]`): RELEASES conditional requests. The
peak RSS (VmHWM) of each `remarkwatch crawl` process is sampled from /proc while it runs.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from replica_process import start_replica

ROOT = Path(__file__).resolve().parents[1]
def crawl(config: Path) -> tuple[str, float, float]:
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "remarkwatch", "crawl", "--config", str(config)], cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    peak = 0.0
    while process.poll() is None:
        try:
            for line in Path(f"/proc/{process.pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak = max(peak, int(line.split()[1]) / 1024)
        except OSError:
            pass
        time.sleep(0.1)
    return process.stdout.read().strip(), time.perf_counter() - started, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--releases", type=int, default=10_000)
    args = parser.parse_args()
    server, (base,) = start_replica(args.releases)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            config = Path(tmp) / "remarkwatch.toml"
            head = (f'db = "a.db"\nconcurrency = 16\n[[sources]]\nname = "r"\nprofile = "state.gov"\n'
                    f'start_urls = ["{base}/press-releases/"]\ndelay_s = 0\n')
            config.write_text(head + f"max_listing_pages = {args.releases // 50 + 1}\n", encoding="utf-8")
            line, seconds, peak = crawl(config)
            print(f"first crawl          {seconds:6.1f} s  peak RSS {peak:6.1f} MB  {line}")
            config.write_text(head + 'max_listing_pages = 2\nschedule = "1s"\nrecheck = [["*", "0s"]]\n',
                              encoding="utf-8")
            line, seconds, peak = crawl(config)
            print(f"conditional re-check {seconds:6.1f} s  peak RSS {peak:6.1f} MB  {line}")
    finally:
        server.kill()


if __name__ == "__main__":
    main()
