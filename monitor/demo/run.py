"""The offline demo: crawl the bundled replica; the site silently edits a transcript and publishes a
release; crawl; the site reverts the edit; crawl. Every step is a real crawl over loopback."""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from remarkwatch.config import load_config
from remarkwatch.errors import ConfigError
from remarkwatch.passes.run import deliver_alerts, run_pass
from remarkwatch.passes.progress import Progress
from remarkwatch.demo.replica.content import DEMO_EDIT, DEMO_NEW, demo_releases
from remarkwatch.demo.replica.receiver import DemoReceiver
from remarkwatch.demo.replica.server import ReplicaServer
from remarkwatch.demo.replica.site import LISTING, Site
from remarkwatch.storage.db import open_db

CONFIG = """# Written by `remarkwatch demo`: one source, the replica site the demo served on loopback.
db = "remarkwatch.db"
concurrency = 4

[[sources]]
name = "replica-press-releases"
profile = "state.gov"
start_urls = ["{base}{listing}"]
max_listing_pages = 10
delay_s = 0

# Alerts go to a receiver the demo runs on loopback. The signing secret is made up for each
# run and lives only in the demo process's environment, never in this file.
[[alerts]]
name = "demo-webhook"
kind = "webhook"
url = "{hook}"
secret_env = "REMARKWATCH_DEMO_SECRET"
kinds = ["edited", "reverted", "moved", "removed", "restored", "source-failing", "source-recovered"]
"""


@dataclass
class DemoResult:
    directory: Path
    db_path: Path
    config_path: Path
    passes: list
    edited_url: str = ""
    alerts: list = field(default_factory=list)    # (payload, signature valid) as the receiver got them


DEMO_FILES = ("remarkwatch.toml", "remarkwatch.db", "remarkwatch.db-wal", "remarkwatch.db-shm")


def foreign_files(directory: Path) -> list[str]:
    """Files in `directory` that an earlier demo did not write: the demo never deletes those."""
    if not directory.is_dir():
        return []
    foreign = [p.name for p in directory.iterdir() if p.name not in DEMO_FILES]
    config = directory / "remarkwatch.toml"
    if config.exists() and not config.read_text(encoding="utf-8", errors="replace").startswith(CONFIG.split("\n")[0]):
        foreign.append(config.name)
    elif not config.exists() and (directory / "remarkwatch.db").exists():
        foreign.append("remarkwatch.db")     # an archive with no demo config beside it is someone's
    return sorted(foreign)


def run_demo(directory: Path, progress: Progress, announce=print, log_level: str = "ERROR",
             force: bool = False) -> DemoResult:
    foreign = foreign_files(directory)
    if foreign and not force:
        raise ConfigError(f"{directory}: holds files the demo did not write ({', '.join(foreign[:5])}"
                          f"{', ...' if len(foreign) > 5 else ''}); the demo replaces its config and database, "
                          f"so give it an empty or demo-only folder with --dir, or pass --force")
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("remarkwatch.db*"):
        stale.unlink()
    site = Site(demo_releases())
    os.environ.setdefault("REMARKWATCH_DEMO_SECRET", secrets.token_hex(16))
    with ReplicaServer(site) as server, DemoReceiver(os.environ["REMARKWATCH_DEMO_SECRET"]) as receiver:
        config_path = directory / "remarkwatch.toml"
        config_path.write_text(CONFIG.format(base=server.base_url, listing=LISTING, hook=receiver.url),
                               encoding="utf-8")
        config = load_config(config_path)
        db = open_db(config.db_path)
        announce(f"replica site: {server.base_url}{LISTING} ({len(site.releases)} releases)")
        slug, old, new = DEMO_EDIT
        edited_url = ""

        def announce_alerts(report) -> None:
            if report.counts:
                announce(f"  {report.summary()} to the demo receiver {receiver.url}")

        def after(number: int, result) -> None:
            nonlocal edited_url
            announce(f"pass {number}: {result.summary()}")
            if number == 1:
                announce_alerts(deliver_alerts(config, db))
                announce(f"the site silently edits {slug!r}: {old!r} -> {new!r} (its modified time "
                         f"unchanged), and publishes {DEMO_NEW.title!r}")
                edited_url = server.base_url + site.edit(slug, old, new, modified=None).path
                site.publish(DEMO_NEW)
            elif number == 2:
                announce_alerts(deliver_alerts(config, db))
                announce(f"the site reverts the edit: {new!r} -> {old!r}")
                site.edit(slug, new, old, modified=None)

        # The site changes between passes seconds apart: every document is re-checked each time.
        outcome = run_pass(config, db=db, full=True, progress=progress, log_level=log_level, rounds=3, after=after)
        announce_alerts(outcome.delivery)
        db.close()
    return DemoResult(directory, config.db_path, config_path, outcome.results, edited_url,
                      list(receiver.alerts))
