"""The offline demo: crawl the bundled replica, edit one transcript, publish a release, crawl again."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from monitor.config import load_config
from monitor.passes import CrawlPass, run_steps
from monitor.progress import Progress
from monitor.replica.content import DEMO_EDIT, DEMO_NEW, demo_releases
from monitor.replica.server import ReplicaServer
from monitor.replica.site import LISTING, Site
from storage.db import open_db

CONFIG = """# Written by `remarkwatch demo`: one source, the replica site the demo served on loopback.
db = "remarkwatch.db"
concurrency = 4

[[sources]]
name = "replica-press-releases"
profile = "state.gov"
start_urls = ["{base}{listing}"]
max_listing_pages = 10
delay_s = 0
"""


@dataclass
class DemoResult:
    directory: Path
    db_path: Path
    config_path: Path
    passes: list


def run_demo(directory: Path, progress: Progress, announce=print, log_level: str = "ERROR") -> DemoResult:
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("remarkwatch.db*"):
        stale.unlink()
    site = Site(demo_releases())
    with ReplicaServer(site) as server:
        config_path = directory / "remarkwatch.toml"
        config_path.write_text(CONFIG.format(base=server.base_url, listing=LISTING), encoding="utf-8")
        config = load_config(config_path)
        db = open_db(config.db_path)
        announce(f"replica site: {server.base_url}{LISTING} ({len(site.releases)} releases)")
        first = CrawlPass(config, db, config.sources, progress)
        second = CrawlPass(config, db, config.sources, progress)

        def edit_site(_process):
            slug, old, new = DEMO_EDIT
            announce(f"pass 1: {first.result.summary()}")
            announce(f"the site edits {slug!r}: {old!r} -> {new!r}, and publishes {DEMO_NEW.title!r}")
            site.edit(slug, old, new)
            site.publish(DEMO_NEW)

        run_steps(config, [first, edit_site, second], log_level=log_level)
        announce(f"pass 2: {second.result.summary()}")
        db.close()
    return DemoResult(directory, config.db_path, config_path, [first.result, second.result])
