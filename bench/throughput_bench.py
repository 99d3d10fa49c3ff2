"""Benchmark: remarkwatch side by side with a bare Scrapy spider and urlwatch 2.29 (issue 17).

Run by hand:  .venv/bin/python bench/throughput_bench.py [--releases 3000] [--sizes 1000,3000,10000]
                  [--concurrency 16] [--repeat 1] [--memory-sizes 30000] [--skip-urlwatch] [--profile]

A static replica (bench/static_site.py: generated releases in state.gov markup with full site
chrome, ~16 KB a page, 10 releases a listing page) is served by Debian's nginx on loopback
(installed by the bench where it can; a Python static server otherwise, and the output says
which). Every tool runs at concurrency 16, each run in a fresh process:

- bare Scrapy: walks the listing pages and parses the header fields of each release with parsel
  (title, type, speakers, audience, location, date, tags, canonical URL), storing nothing:
  what a user would otherwise write;
- urlwatch 2.29 (bench/requirements-urlwatch.txt, in bench/out/urlwatch-venv) on the same
  release URLs, its worker pool raised to 16 through its hooks file;
- remarkwatch: `crawl --full` on a fresh database (the first crawl), then `crawl --full` again
  with nothing changed, every page answered 200 in full (no validators): the unconditional sweep.

Then the first crawl at each of --sizes (bare and remarkwatch), and for the largest a
conditional re-check of every document (all 304). --memory-sizes adds first crawls measured for
memory only. --profile records one more first crawl under py-spy and prints where each process's
CPU goes, by stage (bench/cpu_stages.py). Each remarkwatch row also gives its CPU per process:
the crawling process and its helpers. Peak RSS is the largest sum over the process tree (sampled every 50 ms), so a
worker process counts. Results go to bench/out/throughput.json.
"""
from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

from static_site import Server, write_site

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
UW_VENV = OUT / "urlwatch-venv"
PYTHON = str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv" / "bin" / "python").exists() else sys.executable

BARE = """
import scrapy
from scrapy.crawler import CrawlerProcess

class Bare(scrapy.Spider):
    name = "bare"
    start_urls = [{start!r}]
    pages = 0

    def parse(self, response):
        for href in response.css("a.collection-result__link::attr(href)").getall():
            yield response.follow(href, callback=self.article)
        nxt = response.css("a.next::attr(href)").get()
        if nxt:
            yield response.follow(nxt)

    def article(self, response):
        header = {{
            "title": response.css("h1.featured-content__headline::text").get(),
            "doc_type": response.css("p.doctype-meta::text").get(),
            "speakers": response.css("p.article-meta__author-bureau::text").getall(),
            "audience": response.css("p.article-meta__audience::text").get(),
            "location": response.css("p.article-meta__location::text").get(),
            "published": response.css("p.article-meta__publish-date::text").get(),
            "tags": response.css("div.related-tags__pills a::text").getall(),
            "canonical": response.css("link[rel=canonical]::attr(href)").get(),
            "modified": response.css("meta[property='article:modified_time']::attr(content)").get(),
        }}
        if header["title"]:
            Bare.pages += 1

process = CrawlerProcess({{"LOG_LEVEL": "ERROR", "CONCURRENT_REQUESTS": {c}, "CONCURRENT_REQUESTS_PER_DOMAIN": {c},
                          "ROBOTSTXT_OBEY": True, "TELNETCONSOLE_ENABLED": False}})
process.crawl(Bare)
process.start()
print("pages", Bare.pages)
"""

CONFIG = """db = "{db}"
concurrency = {c}

[[sources]]
name = "bench"
profile = "state.gov"
start_urls = ["{base}/press-releases/"]
max_listing_pages = {pages}
delay_s = 0
schedule = "1s"
{recheck}
"""


TICK = os.sysconf("SC_CLK_TCK")


def role(pid: int) -> str:
    """What a process of a measured tree is: remarkwatch's crawling process, one of its helpers,
    the profiler, or another (multiprocessing's resource tracker, a tool's own process)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            cmdline = f.read().replace(b"\0", b" ")
    except OSError:
        return "other"
    if b"multiprocessing.spawn" in cmdline:
        return "helpers"
    if b"py-spy" in cmdline:
        return "profiler"
    return "crawler" if b"remarkwatch crawl" in cmdline else "other"


def tree_sample(pid: int) -> tuple[float, dict[int, float]]:
    """RSS (MB) of a process and all its descendants, and each one's CPU seconds so far, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    total, cpu, stack = 0, {}, [pid]
    while stack:
        p = stack.pop()
        stack.extend(children.get(p, ()))
        try:
            with open(f"/proc/{p}/status") as f:
                total += next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))
            with open(f"/proc/{p}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            cpu[p] = (int(fields[11]) + int(fields[12])) / TICK
        except (OSError, StopIteration, ValueError, IndexError):
            pass
    return total / 1024, cpu


def measure(label: str, command: list[str], cwd: Path, env: dict | None = None) -> dict:
    """Wall time, CPU seconds (user + system of the whole tree, and remarkwatch's per process as
    last sampled) and peak tree RSS of one command."""
    before = os.times()
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               env={**os.environ, **(env or {})})
    peak = [0.0]
    last_cpu: dict[int, float] = {}
    roles: dict[int, str] = {}

    def sample() -> None:
        while process.poll() is None:
            rss, cpu = tree_sample(process.pid)
            peak[0] = max(peak[0], rss)
            last_cpu.update(cpu)
            for pid in cpu.keys() - roles.keys():
                roles[pid] = role(pid)
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    output, _ = process.communicate()
    wall = time.perf_counter() - start
    sampler.join()
    after = os.times()
    cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    if process.returncode != 0:
        raise SystemExit(f"{label} failed ({process.returncode}):\n{output[-3000:]}")
    by_role: dict[str, float] = {}
    for pid, seconds in last_cpu.items():
        by_role[roles.get(pid, "other")] = round(by_role.get(roles.get(pid, "other"), 0.0) + seconds, 2)
    row = {"label": label, "seconds": round(wall, 2), "cpu_s": round(cpu, 2), "peak_rss_mb": round(peak[0], 1),
           "cpu_by_process": by_role, "output": (output.strip().splitlines() or [""])[-1][:200]}
    split = f" (crawler {by_role['crawler']:.2f}, helpers {by_role.get('helpers', 0):.2f})" if "crawler" in by_role else ""
    print(f"  {label:<52} {wall:7.2f} s  cpu {cpu:6.2f} s{split}  peak {peak[0]:6.1f} MB   {row['output'][:90]}",
          flush=True)
    return row


def urlwatch_bin() -> Path:
    python = UW_VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(UW_VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "-r",
                        str(ROOT / "bench" / "requirements-urlwatch.txt")], check=True)
    return UW_VENV / "bin" / "urlwatch"


class Bench:
    def __init__(self, args):
        self.args = args
        self.c = args.concurrency

    def rw(self, work: Path, name: str, base: str, pages: int, recheck: str = "") -> list[str]:
        config = work / f"{name}.toml"
        config.write_text(CONFIG.format(db=f"{name}.db", c=self.c, base=base, pages=pages, recheck=recheck))
        return [PYTHON, "-m", "remarkwatch", "crawl", "--config", config.name]

    def bare(self, work: Path, base: str) -> list[str]:
        script = work / "bare.py"
        script.write_text(BARE.format(start=f"{base}/press-releases/", c=self.c))
        return [PYTHON, str(script)]

    def main_table(self, n: int) -> dict:
        """First crawl and unchanged sweep at N releases: bare, urlwatch, remarkwatch."""
        work = OUT / "throughput" / f"main-{n}"
        site = OUT / "throughput" / f"site-{n}"
        paths = write_site(site, n)
        server = Server(site, work / "nginx")
        print(f"{n:,} releases, ~{(site / paths[0].strip('/') / 'index.html').stat().st_size / 1024:.1f} KB a page, "
              f"served by {server.kind}; concurrency {self.c}", flush=True)
        rows: dict[str, list] = {}
        try:
            for i in range(self.args.repeat):
                for db in work.glob("rw*.db*"):
                    db.unlink()
                pages = n // 10 + 2
                rows.setdefault("bare first crawl", []).append(measure("bare Scrapy: first crawl", self.bare(work, server.bare_base), work))
                rows.setdefault("rw first crawl", []).append(measure(
                    "remarkwatch: first crawl (crawl --full)", [*self.rw(work, f"rw{i}", server.bare_base, pages), "--full"], work))
                rows.setdefault("rw sweep", []).append(measure(
                    "remarkwatch: unchanged, unconditional (crawl --full)",
                    [*self.rw(work, f"rw{i}", server.bare_base, 2), "--full"], work))
                if not self.args.skip_urlwatch:
                    uw = self.urlwatch(work, server.bare_base, paths, i)
                    rows.setdefault("urlwatch first", []).append(measure("urlwatch 2.29: first run", uw, work))
                    rows.setdefault("urlwatch unchanged", []).append(measure("urlwatch 2.29: unchanged", uw, work))
        finally:
            server.stop()
        return {name: _median(rs) for name, rs in rows.items()}

    def profile(self, n: int) -> dict:
        """remarkwatch's first crawl of N under py-spy: where each process's CPU goes, by stage
        (bench/cpu_stages.py), scaled to the CPU each process used in that run."""
        import shutil

        from cpu_stages import report, split

        spy = shutil.which("py-spy") or str(Path(PYTHON).parent / "py-spy")
        if not Path(spy).exists():
            raise SystemExit("bench: --profile needs py-spy (.venv/bin/pip install py-spy)")
        work = OUT / "throughput" / f"profile-{n}"
        site = OUT / "throughput" / f"site-{n}"
        write_site(site, n)
        server = Server(site, work / "nginx")
        for db in work.glob("rwp*.db*"):
            db.unlink()
        raw = work / "py-spy.txt"
        try:
            row = measure(f"remarkwatch: first crawl of {n:,} under py-spy",
                          [spy, "record", "--subprocesses", "--nonblocking", "-r", "100", "-f", "raw", "-o", str(raw),
                           "--", *self.rw(work, "rwp", server.bare_base, n // 10 + 2), "--full"], work)
        finally:
            server.stop()
        lines = report(split(str(raw)), 100, {"crawler": row["cpu_by_process"].get("crawler"),
                                              "helper": row["cpu_by_process"].get("helpers")})
        print("\n".join(lines), flush=True)
        return {**row, "stages": lines}

    def urlwatch(self, work: Path, base: str, paths: list[str], i: int) -> list[str]:
        (work / "urls.yaml").write_text("\n---\n".join(f"name: r{j}\nurl: {base}{p}" for j, p in enumerate(paths)) + "\n")
        (work / "urlwatch.yaml").write_text("report:\n  stdout:\n    enabled: false\n  text:\n    details: false\n")
        (work / "hooks.py").write_text(f"import urlwatch.worker\nurlwatch.worker.MAX_WORKERS = {self.c}\n")
        cache = work / f"uwcache{i}.db"
        cache.unlink(missing_ok=True)
        return [str(urlwatch_bin()), "--urls", "urls.yaml", "--config", "urlwatch.yaml", "--cache", cache.name,
                "--hooks", "hooks.py"]

    def sizes(self, sizes: list[int], memory_only: list[int]) -> dict:
        out = {}
        for n in sorted(set(sizes) | set(memory_only)):
            work = OUT / "throughput" / f"size-{n}"
            site = OUT / "throughput" / f"site-{n}"
            write_site(site, n)
            server = Server(site, work / "nginx")
            print(f"{n:,} releases ({server.kind})", flush=True)
            try:
                for db in work.glob("size*.db*"):
                    db.unlink()
                row = {}
                if n in sizes:
                    row["bare"] = measure(f"bare Scrapy: first crawl of {n:,}", self.bare(work, server.base), work)
                row["rw"] = measure(f"remarkwatch: first crawl of {n:,}",
                                    [*self.rw(work, "size", server.base, n // 10 + 2), "--full"], work)
                if n == max(sizes or memory_only):
                    with sqlite3.connect(work / "size.db") as conn:
                        conn.execute("UPDATE documents SET next_check_at = NULL")
                    row["recheck"] = measure(f"remarkwatch: conditional re-check of {n:,} (304)",
                                             self.rw(work, "size", server.base, 2, 'recheck = [["*", "0s"]]'), work)
                out[n] = row
            finally:
                server.stop()
        return out


def _median(rows: list[dict]) -> dict:
    return {"seconds": round(statistics.median(r["seconds"] for r in rows), 2),
            "cpu_s": round(statistics.median(r["cpu_s"] for r in rows), 2),
            "peak_rss_mb": max(r["peak_rss_mb"] for r in rows), "each_s": [r["seconds"] for r in rows],
            "output": rows[-1]["output"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--releases", type=int, default=3000)
    parser.add_argument("--sizes", default="1000,3000,10000")
    parser.add_argument("--memory-sizes", default="")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--skip-urlwatch", action="store_true")
    parser.add_argument("--skip-main", action="store_true")
    parser.add_argument("--profile", action="store_true",
                        help="also profile remarkwatch's first crawl with py-spy: CPU per process and stage")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    bench = Bench(args)
    result: dict = {"cpus": os.cpu_count(), "concurrency": args.concurrency}
    if not args.skip_main:
        main = result["main"] = bench.main_table(args.releases)
        bare, first, sweep = main["bare first crawl"], main["rw first crawl"], main["rw sweep"]
        print(f"first crawl: remarkwatch {bare['seconds'] / first['seconds']:.2f}x the bare spider", end="")
        if "urlwatch first" in main:
            uw, uw2 = main["urlwatch first"], main["urlwatch unchanged"]
            print(f", {uw['seconds'] / first['seconds']:.2f}x urlwatch; unchanged sweep "
                  f"{uw2['seconds'] / sweep['seconds']:.2f}x urlwatch", end="")
        print(flush=True)
    if args.profile:
        result["profile"] = bench.profile(args.releases)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    memory = [int(s) for s in args.memory_sizes.split(",") if s]
    if sizes or memory:
        result["sizes"] = bench.sizes(sizes, memory)
    (OUT / "throughput.json").write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
