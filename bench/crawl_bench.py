"""Benchmark: first `remarkwatch crawl` of a 3,000-release replica vs a bare Scrapy spider.

Run by hand:  .venv/bin/python bench/crawl_bench.py [--releases 3000] [--concurrency 16] [--repeat 3]
The replica is served from its own process; each crawl runs in a fresh process (and a fresh
database) whose peak RSS is read with getrusage. The bare spider fetches and parses the same
pages and stores nothing. The two alternate, and the medians of the repeats are reported.
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from replica_process import start_replica

ROOT = Path(__file__).resolve().parents[1]

BARE = """
import sys
sys.path.insert(0, {root!r})
import scrapy
from scrapy.crawler import CrawlerProcess
from remarkwatch.crawler.extract import extract_article, extract_listing
from remarkwatch.crawler.profiles import get_profile
PROFILE = get_profile("state.gov")
class Bare(scrapy.Spider):
    name = "bare"
    start_urls = [{start!r}]
    pages = 0
    def parse(self, response):
        links, nxt = extract_listing(response.text, response.url, PROFILE)
        for link in links:
            yield scrapy.Request(link, callback=self.article)
        if nxt:
            yield scrapy.Request(nxt)
    def article(self, response):
        extract_article(response.text, response.url, PROFILE)
        Bare.pages += 1
process = CrawlerProcess({{"LOG_LEVEL": "ERROR", "CONCURRENT_REQUESTS": {c}, "CONCURRENT_REQUESTS_PER_DOMAIN": {c},
    "ROBOTSTXT_OBEY": True, "COOKIES_ENABLED": False, "TELNETCONSOLE_ENABLED": False, "AUTOTHROTTLE_ENABLED": False}})
process.crawl(Bare)
process.start()
print("pages", Bare.pages)
"""

MEASURE = """
import resource, subprocess, sys, time
t = time.perf_counter()
out = subprocess.run(sys.argv[1:], capture_output=True, text=True)
wall = time.perf_counter() - t
print(wall, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
sys.stderr.write(out.stdout + out.stderr)
"""


def measure(cmd: list[str]) -> tuple[float, float, str]:
    result = subprocess.run([sys.executable, "-c", MEASURE, *cmd], capture_output=True, text=True, check=True)
    wall, rss_kb = result.stdout.split()
    return float(wall), int(rss_kb) / 1024, result.stderr


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--releases", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    server, (base,) = start_replica(args.releases)
    try:
        start = f"{base}/press-releases/"
        work = Path(tempfile.mkdtemp(prefix="rw-bench-"))
        bare_script = work / "bare.py"
        bare_script.write_text(BARE.format(root=str(ROOT), start=start, c=args.concurrency))
        runs: dict[str, list] = {"bare scrapy": [], "remarkwatch crawl": []}
        for i in range(args.repeat):
            config = work / f"bench{i}.toml"
            config.write_text(f'db = "bench{i}.db"\nconcurrency = {args.concurrency}\n[[sources]]\nname = "bench"\n'
                              f'profile = "state.gov"\nstart_urls = ["{start}"]\nmax_listing_pages = 1000\ndelay_s = 0\n')
            commands = [("bare scrapy", [sys.executable, str(bare_script)]),
                        ("remarkwatch crawl", [sys.executable, "-m", "remarkwatch", "crawl", "--config", str(config)])]
            for name, cmd in (commands if i % 2 == 0 else commands[::-1]):
                wall, rss, output = measure(cmd)
                runs[name].append({"pages_per_s": args.releases / wall, "peak_rss_mb": rss,
                                   "tail": output.strip().splitlines()[-1:]})
        results = {name: {
            "pages_per_s_median": round(statistics.median(r["pages_per_s"] for r in rs), 1),
            "pages_per_s_each": [round(r["pages_per_s"], 1) for r in rs],
            "peak_rss_mb_max": round(max(r["peak_rss_mb"] for r in rs), 1),
            "last_output": rs[-1]["tail"],
        } for name, rs in runs.items()}
        ratio = results["remarkwatch crawl"]["pages_per_s_median"] / results["bare scrapy"]["pages_per_s_median"]
        print(json.dumps({"releases": args.releases, "concurrency": args.concurrency, "repeat": args.repeat,
                          **results, "ratio_remarkwatch_to_bare": round(ratio, 2)}, indent=2))
    finally:
        server.kill()


if __name__ == "__main__":
    main()
