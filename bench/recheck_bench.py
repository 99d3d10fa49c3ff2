"""Benchmark: a re-check pass over 10,000 releases when nothing changed, remarkwatch vs urlwatch 2.29.

Run by hand:  .venv/bin/python bench/recheck_bench.py [--releases 10000] [--concurrency 16]

The replica (its own process) serves ETags, Last-Modified, 304s and a sitemap with lastmod.
  1. remarkwatch backfills the site (`crawl --full`, every listing page): the byte baseline.
  2. remarkwatch's next due pass, nothing changed (2 listing pages, as configured for daily
     use): the sitemap says nothing changed, no document is due, so no article is fetched.
  3. remarkwatch re-checking every document (`recheck = [["*", "0s"]]`): 10,000 conditional
     requests, the same work urlwatch does.
  4. urlwatch 2.29 (installed from PyPI into bench/out/urlwatch-venv from
     bench/requirements-urlwatch.txt) checking the same 10,000 URLs, after a first run that
     filled its cache (ETags): the second run is timed.
  5. One page edited (its modified time bumped): remarkwatch's next due pass finds it.
Requests and bytes are counted by the replica; wall time by this script.
"""
from __future__ import annotations

import argparse
import json
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
UW_VENV = OUT / "urlwatch-venv"

SERVE = """
import sys, time
sys.path.insert(0, {root!r})
from remarkwatch.demo.replica.content import generated_releases
from remarkwatch.demo.replica.server import ReplicaServer
from remarkwatch.demo.replica.site import Site
site = Site(generated_releases({n}), per_page=50)
site.robots = "User-agent: *\\nDisallow: /private/\\n"
srv = ReplicaServer(site).start()
print(srv.base_url, flush=True)
for line in sys.stdin:
    slug, modified = line.split()
    site.edit(slug, "May you enjoy", "May you all enjoy", modified=modified)
    print("edited", flush=True)
"""

CONFIG = """db = "bench.db"
concurrency = {concurrency}

[[sources]]
name = "bench"
profile = "state.gov"
start_urls = ["{base}/press-releases/"]
max_listing_pages = {pages}
delay_s = 0
schedule = "1s"
{recheck}
"""


def stats(base: str) -> dict:
    with urllib.request.urlopen(base + "/__replica_stats__") as response:
        return json.loads(response.read())


def measured(label: str, base: str, command: list[str], cwd: Path) -> dict:
    before = stats(base)
    start = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = stats(base)
    row = {"label": label, "seconds": round(wall, 1), "requests": after["requests"] - before["requests"],
           "bytes": after["bytes"] - before["bytes"], "304": after["not_modified"] - before["not_modified"],
           "output": (result.stdout.strip().splitlines() or [""])[-1][:160]}
    if result.returncode != 0:
        raise SystemExit(f"{label} failed ({result.returncode}):\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}")
    print(f"  {label:<44} {row['seconds']:7.1f} s {row['requests']:7,} requests {row['bytes'] / 1e6:8.2f} MB"
          f"  ({row['304']:,} x 304)", flush=True)
    return row


def urlwatch_python() -> Path:
    python = UW_VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(UW_VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "-r",
                        str(ROOT / "bench" / "requirements-urlwatch.txt")], check=True)
    return python


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--releases", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    work = OUT / "recheck"
    subprocess.run(["rm", "-rf", str(work)], check=True)
    work.mkdir()
    uw_python = urlwatch_python()
    server = subprocess.Popen([sys.executable, "-c", SERVE.format(root=str(ROOT), n=args.releases)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    base = server.stdout.readline().strip()
    rw = [str(ROOT / ".venv" / "bin" / "python"), "-m", "remarkwatch", "crawl", "--config", "remarkwatch.toml"]
    config = work / "remarkwatch.toml"

    def write(pages: int, recheck: str = "") -> None:
        config.write_text(CONFIG.format(concurrency=args.concurrency, base=base, pages=pages, recheck=recheck))

    print(f"{args.releases:,} releases on a replica at {base}; concurrency {args.concurrency}")
    rows = []
    write(pages=args.releases // 50 + 5)
    rows.append(measured("remarkwatch: first crawl (backfill, --full)", base, [*rw, "--full"], work))
    write(pages=2)
    rows.append(measured("remarkwatch: next due pass, nothing changed", base, rw, work))
    write(pages=2, recheck='recheck = [["*", "0s"]]')
    with sqlite3.connect(work / "bench.db") as conn:      # make every document due now
        conn.execute("UPDATE documents SET next_check_at = NULL")
    rows.append(measured("remarkwatch: every document re-checked (304)", base, rw, work))

    urls = work / "urls.yaml"
    paths = [line.split()[0] for line in subprocess.run(
        [str(ROOT / ".venv" / "bin" / "python"), "-c",
         f"import sys; sys.path.insert(0, {str(ROOT)!r})\nfrom monitor.replica.content import generated_releases\n"
         f"print('\\n'.join(r.path for r in generated_releases({args.releases})))"],
        capture_output=True, text=True, check=True).stdout.split()]
    urls.write_text("\n---\n".join(f"name: r{i}\nurl: {base}{path}" for i, path in enumerate(paths)) + "\n")
    (work / "urlwatch.yaml").write_text("report:\n  stdout:\n    enabled: false\n  text:\n    details: false\n")
    uw = [str(uw_python.parent / "urlwatch"), "--urls", "urls.yaml", "--config", "urlwatch.yaml",
          "--cache", "cache.db", "--hooks", "hooks.py"]
    (work / "hooks.py").write_text("")
    rows.append(measured("urlwatch 2.29: first run (fills its cache)", base, uw, work))
    rows.append(measured("urlwatch 2.29: re-check, nothing changed", base, uw, work))

    write(pages=2)
    later = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(time.time() + 900))
    with sqlite3.connect(work / "bench.db") as conn:      # back to the usual: next checks 15 min away
        conn.execute("UPDATE documents SET next_check_at = ?", [later])
    time.sleep(1)
    edited_slug = Path(paths[len(paths) // 2]).name
    server.stdin.write(f"{edited_slug} {time.strftime('%Y-%m-%dT%H:%M:%S+00:00', time.gmtime(time.time() + 60))}\n")
    server.stdin.flush()
    server.stdout.readline()
    rows.append(measured("remarkwatch: next due pass, one page edited", base, rw, work))
    print("  " + rows[-1]["output"])
    server.kill()

    first, due, every, uw_check = rows[0], rows[1], rows[2], rows[4]
    print(f"re-check, nothing changed: remarkwatch due pass {uw_check['seconds'] / max(due['seconds'], 0.01):.0f}x "
          f"faster than urlwatch, {100 * due['bytes'] / first['bytes']:.2f} % of the first crawl's bytes; "
          f"re-checking every document: {uw_check['seconds'] / max(every['seconds'], 0.01):.1f}x faster, "
          f"{100 * every['bytes'] / first['bytes']:.1f} % of the bytes")
    (OUT / "recheck.json").write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
