"""Benchmark: first `remarkwatch crawl` of a 3,000-release replica vs a bare Scrapy spider.

Run by hand:  .venv/bin/python bench/crawl_bench.py [--releases 3000] [--concurrency 16]
The replica is served from its own process; each crawl runs in a fresh process whose peak RSS
is read with getrusage. The bare spider fetches and parses the same pages and stores nothing.
"""
from __future__ import annotations

import argparse
import json
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
srv = ReplicaServer(site).start()
print(srv.base_url, flush=True)
time.sleep(3600)
"""

BARE = """
import sys
sys.path.insert(0, {root!r})
import scrapy
from scrapy.crawler import CrawlerProcess
from crawler.extract import extract_article, extract_listing
from crawler.profiles import get_profile
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
    args = parser.parse_args()
    server = subprocess.Popen([sys.executable, "-c", SERVE.format(root=str(ROOT), n=args.releases)],
                              stdout=subprocess.PIPE, text=True)
    try:
        base = server.stdout.readline().strip()
        start = f"{base}/press-releases/"
        work = Path(tempfile.mkdtemp(prefix="rw-bench-"))
        config = work / "bench.toml"
        config.write_text(f'db = "bench.db"\nconcurrency = {args.concurrency}\n[[sources]]\nname = "bench"\n'
                          f'profile = "state.gov"\nstart_urls = ["{start}"]\nmax_listing_pages = 1000\ndelay_s = 0\n')
        bare_script = work / "bare.py"
        bare_script.write_text(BARE.format(root=str(ROOT), start=start, c=args.concurrency))
        results = {}
        for name, cmd in (
            ("bare scrapy", [sys.executable, str(bare_script)]),
            ("remarkwatch crawl", [sys.executable, "-m", "monitor", "crawl", "--config", str(config)]),
        ):
            wall, rss, output = measure(cmd)
            results[name] = {"seconds": round(wall, 2), "pages_per_s": round(args.releases / wall, 1),
                             "peak_rss_mb": round(rss, 1), "tail": output.strip().splitlines()[-1:]}
        ratio = results["remarkwatch crawl"]["pages_per_s"] / results["bare scrapy"]["pages_per_s"]
        print(json.dumps({"releases": args.releases, "concurrency": args.concurrency, **results,
                          "ratio_remarkwatch_to_bare": round(ratio, 2)}, indent=2))
    finally:
        server.kill()


if __name__ == "__main__":
    main()
