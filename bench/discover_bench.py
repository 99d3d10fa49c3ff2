"""Benchmark: `remarkwatch backfill --discover` of a whole planted site, and the plan for a
state.gov-size one.

Run by hand:  .venv/bin/python bench/discover_bench.py [--releases 2000] [--kills 0] [--seed 7]
                                                      [--plan-releases 50000]

The replica Wayback Machine (monitor/demo/replica/wayback.py, in this process) holds a planted
site (monitor/demo/replica/planted.py): RELEASES releases published 2015-2024, each captured 3-12
times from publication on, with edits, reverts and 2019 slug changes planted (seeded). The CLI
runs in a subprocess, killed with SIGKILL KILLS times at random moments and started again until
a run ends by itself. Then: were every release, edit and revert found (against what was planted),
does `report` give the planted statistics, what was asked twice (the replica's request log), and
the requests and time against the unthrottled replica.

The plan: requests and hours for PLAN_RELEASES releases at the Wayback Machine's limits (30 CDX
searches and 600 mementos a minute, `wayback`'s _client.py) and at the package's defaults (80 %
of them), for the capture density measured here and for denser histories.
"""
from __future__ import annotations

import argparse
import json
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from remarkwatch.demo.replica.planted import planted_site  # noqa: E402
from remarkwatch.demo.replica.wayback import WaybackArchive, WaybackReplica  # noqa: E402
from remarkwatch.history.discover import plan  # noqa: E402

BASE = "http://127.0.0.1:9311"      # never fetched: the site exists only in the archive
LIMITS = {"the Wayback Machine's limits (30/min, 600/min)": (30, 600), "the package defaults (24/min, 480/min)": (24, 480)}


def run(config: Path, kills: int, rng: random.Random) -> tuple[int, float, str]:
    """Runs killed KILLS times at random moments, then one to the end: (kills, seconds, last stdout)."""
    args = [sys.executable, "-m", "remarkwatch", "backfill", "--config", str(config), "--discover", "--source", "r"]
    started, done = time.perf_counter(), 0
    while True:
        process = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if done < kills:
            try:
                out, err = process.communicate(timeout=rng.uniform(1.0, 2.5))
            except subprocess.TimeoutExpired:
                process.send_signal(signal.SIGKILL)
                process.communicate()
                done += 1
                continue
        else:
            out, err = process.communicate()
        if process.returncode != 0:
            raise SystemExit(f"backfill --discover exited {process.returncode}:\n{err}")
        return done, time.perf_counter() - started, out.strip()


def check(db: sqlite3.Connection, site) -> list[str]:
    """What the archive holds against what was planted: the releases (and URLs) missed or wrong."""
    wrong = []
    documents = dict(db.execute("SELECT post_id, id FROM documents"))
    for release in site.releases:
        doc = documents.get(str(release.post_id))
        if doc is None:
            wrong.append(f"{release.post_id}: not found")
            continue
        kinds = Counter(kind for (kind,) in db.execute("SELECT kind FROM changes WHERE document_id = ?", [doc]))
        urls = {url for (url,) in db.execute("SELECT url FROM versions WHERE document_id = ?", [doc])}
        if (kinds["edited"], kinds["reverted"], urls) != (release.edits, release.reverts, set(release.urls)):
            wrong.append(f"{release.post_id}: {dict(kinds)} {sorted(urls)} planted {release}")
    extra = len(documents) - len(site.releases)
    return wrong + ([f"{extra} documents that are not planted releases"] if extra else [])


def bench(args) -> dict:
    site = planted_site(BASE, args.releases, seed=args.seed)
    archive = WaybackArchive(site.captures)
    with WaybackReplica(archive) as wayback, tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "remarkwatch.toml"
        config.write_text(f'db = "a.db"\n[[sources]]\nname = "r"\nprofile = "state.gov"\n'
                          f'start_urls = ["{BASE}/press-releases/"]\ndelay_s = 0\n'
                          f'[backfill]\nwayback_url = "{wayback.base_url}"\nsearch_per_second = 1000\n'
                          f'memento_per_second = 1000\n')
        kills, seconds, out = run(config, args.kills, random.Random(args.seed))
        db = sqlite3.connect(Path(tmp) / "a.db")
        wrong = check(db, site)
        shown = json.loads(subprocess.run([sys.executable, "-m", "remarkwatch", "report", "--config", str(config),
                                           "--json"], cwd=ROOT, capture_output=True, text=True, check=True).stdout)
        report = [{k: row[k] for k in ("year", "releases", "edited", "edits", "reverts", "silent_share")} for row in shown]
    mementos = Counter(p for p in archive.log if p.startswith("/web/"))
    searches = [p for p in archive.log if p.startswith("/cdx/")]
    index = Counter(p for p in searches if "matchType=" in p)
    planted = {k: sum(getattr(r, k) for r in site.releases) for k in ("edits", "reverts", "captures")}
    print(f"planted: {len(site.releases)} releases ({sum(len(r.urls) > 1 for r in site.releases)} with a 2019 slug "
          f"change), {planted['captures']} captures, {planted['edits']} edits, {planted['reverts']} reverts; "
          f"{len(site.captures)} captures in the archive with the pages that are not releases")
    print(f"run: {kills} kills (SIGKILL at 1-2.5 s), {seconds:.0f} s in all against the unthrottled replica")
    print(f"  {out}")
    print(f"found: {'every release, edit and revert as planted' if not wrong else f'{len(wrong)} wrong: {wrong[:3]}'}; "
          f"report {'matches' if report == site.expected() else 'DIFFERS from'} the planted statistics")
    print(f"requests: {len(index)} index pages, {len(searches) - sum(index.values())} capture listings, "
          f"{sum(mementos.values())} mementos; asked twice: {sum(n - 1 for n in index.values())} index pages, "
          f"{sum(n - 1 for n in mementos.values())} mementos (those a kill cut off)")
    return {"releases": len(site.releases), "urls": sum(len(r.urls) for r in site.releases),
            "captures": planted["captures"] / len(site.releases), "mementos": len(mementos) / len(site.releases)}


def show_plan(args, measured: dict) -> None:
    urls_per_release = measured["urls"] / measured["releases"]
    print(f"\nplan for {args.plan_releases:,} releases ({urls_per_release:.2f} URLs each, the index listing "
          f"{args.plan_releases * 4:,} URLs of the site):")
    densities = [(measured["captures"], measured["mementos"], "as measured here"), (50, 50, "50 captures, all distinct"),
                 (200, 200, "200 captures, all distinct"), (200, 20, "200 captures, 20 distinct")]
    for captures, mementos, label in densities:
        for name, (searches, per_minute) in LIMITS.items():
            figures = plan(args.plan_releases, captures_per_release=captures, mementos_per_release=mementos,
                           urls_per_release=urls_per_release, searches_per_minute=searches,
                           mementos_per_minute=per_minute)
            print(f"  {label} ({captures:.1f} captures, {mementos:.1f} mementos a release), at {name}: "
                  f"{figures['searches']:,} searches + {figures['mementos']:,} mementos = {figures['requests']:,} "
                  f"requests, {figures['hours']} h ({figures['hours'] / 24:.1f} days)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--releases", type=int, default=2000)
    parser.add_argument("--kills", type=int, default=0)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--plan-releases", type=int, default=50_000)
    args = parser.parse_args()
    show_plan(args, bench(args))


if __name__ == "__main__":
    main()
