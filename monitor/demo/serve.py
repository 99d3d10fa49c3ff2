"""Keep the demo's replicas up for trying remarkwatch by hand: `python -m remarkwatch.demo.serve`.

Serves the replica state.gov, a replica Wayback Machine holding earlier captures of its releases,
a webhook receiver and a replica Save Page Now, all on loopback, until Ctrl-C or SIGTERM; prints their URLs, a config to
paste (or writes it with --config) and how to edit the site while it runs.
"""
from __future__ import annotations

import os
import secrets
import shlex
import signal
import socket
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path

import click

from remarkwatch.untrusted import terminal
from remarkwatch.core import wording
from remarkwatch.demo.replica.content import DEMO_EDIT, demo_releases
from remarkwatch.demo.replica.receiver import DemoReceiver
from remarkwatch.demo.replica.server import EDIT_PATH, ReplicaServer
from remarkwatch.demo.replica.site import LISTING, Site
from remarkwatch.demo.replica.spn import SaveReplica, SaveService
from remarkwatch.demo.replica.wayback import ArchivedCapture, WaybackArchive, WaybackReplica, stamp

SECRET_ENV = "REMARKWATCH_TRY_SECRET"
FIRST_LINE = "# Written by `python -m remarkwatch.demo.serve`: the replicas it serves on loopback."
CONFIG = FIRST_LINE + """
db = "remarkwatch-try.db"     # beside this file
concurrency = 4

[[sources]]
name = "replica-press-releases"
profile = "state.gov"
start_urls = ["{base}{listing}"]
max_listing_pages = 10
delay_s = 0

# `remarkwatch backfill` reads the replica Wayback Machine, and may ask it quickly.
[backfill]
wayback_url = "{wayback}"
search_per_second = 20
memento_per_second = 20

# The receiver prints what it gets in the serving terminal. Its secret is made up per start:
# export {secret_env} as printed there before `crawl`, `alerts send` or `test-alert try-webhook`.
[[alerts]]
name = "try-webhook"
kind = "webhook"
url = "{hook}"
secret_env = "{secret_env}"

# The replica Save Page Now captures each edit after a pass (export the keys printed there).
[save_page_now]
enabled = true
endpoint = "{spn}"
poll_s = 0.5
min_interval_s = 0
"""
SPN_ACCESS = "try-access"
# An earlier state of the briefing the demo edits, for the archive: `backfill` finds the edit
# between it and today's page (an insertion, made the day after publication).
ARCHIVED_EDIT = ("He raised it directly, and", "He raised it, and")


def _replica_port(host: str) -> int:
    """A free port the `wayback` package reads back as itself: its CDX parser strips ":80" and
    ":443" wherever they begin a port, so captures of a site on 80xx or 443xx would not match."""
    while True:
        with socket.socket() as probe:
            probe.bind((host, 0))
            port = probe.getsockname()[1]
        if not str(port).startswith(("80", "443")):
            return port


def archive_of(site: Site, base: str) -> WaybackArchive:
    """Captures of every release on its publication day, as served at `base`; the edited
    briefing also has the capture before its edit, a day earlier."""
    archive = WaybackArchive()
    for release in site.ordered():
        when = datetime.combine(release.published, datetime.min.time(), timezone.utc) + timedelta(hours=20)
        later = when + timedelta(days=1) if release.slug == DEMO_EDIT[0] else when
        if later != when:
            earlier = Site([release.edited(*ARCHIVED_EDIT, release.modified_time())])
            body = earlier.handle(release.path, base).body
            archive.add(ArchivedCapture(base + release.path, stamp(when), body=body))
        archive.add(ArchivedCapture(base + release.path, stamp(later), body=site.handle(release.path, base).body))
    return archive


def _instructions(base: str, wayback: str, hook: str, spn: str, count: int, config: Path | None, text: str,
                  secret: str) -> str:
    slug, old, new = DEMO_EDIT
    edit = (f"curl -d slug={slug} -d old={shlex.quote(old)} -d new={shlex.quote(new)} {base}{EDIT_PATH}")
    lines = [
        f"replica site: {base}{LISTING} ({len(demo_releases())} releases)",
        f"replica Wayback Machine: {wayback}/ ({count} captures)",
        f"webhook receiver: {hook}",
        f"replica Save Page Now: {spn}/save",
        "",
        f"export {SECRET_ENV}={secret}     # in the terminal you run remarkwatch from, for its alerts",
        f"export REMARKWATCH_SPN_ACCESS={SPN_ACCESS} REMARKWATCH_SPN_SECRET={secret}     # and its Save Page Now keys",
    ]
    if config:
        lines += [f"config written to {config}: remarkwatch crawl --config {shlex.quote(str(config))}"]
    else:
        lines += ["config (paste it into remarkwatch.toml, or start again with --config PATH):", "", text.rstrip(), ""]
    lines += [
        "edit the site while it runs (silent: its modified time kept; add -d silent=0 to bump it):",
        f"  {edit}",
        f"publish a new release: curl -d action=publish {base}{EDIT_PATH}",
        "Ctrl-C stops the replicas.",
    ]
    return "\n".join(lines)


def _write_config(path: Path, text: str, force: bool) -> None:
    if path.exists() and not force and not path.read_text(encoding="utf-8", errors="replace").startswith(FIRST_LINE):
        raise click.UsageError(f"{path}: exists and was not written by this command; pass --force to replace it")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to serve on.")
@click.option("--port", type=int, default=0, help="The replica site's port (default: a free one).")
@click.option("--wayback-port", type=int, default=0, help="The replica Wayback Machine's port (default: a free one).")
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the config to this file instead of printing it.")
@click.option("--force", is_flag=True, help="Replace a --config file this command did not write.")
def main(host: str, port: int, wayback_port: int, config_path: Path | None, force: bool) -> None:
    """Serve the replica state.gov and Wayback Machine until Ctrl-C, to try every command by hand.

    Example: python -m remarkwatch.demo.serve --config try.toml
    """
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    secret = os.environ.get(SECRET_ENV) or secrets.token_hex(16)
    site = Site(demo_releases())
    server = ReplicaServer(site, host, port or _replica_port(host))
    archive = archive_of(site, server.base_url)
    with server, WaybackReplica(archive, host, wayback_port) as wayback, DemoReceiver(secret) as receiver, \
            SaveReplica(SaveService(SPN_ACCESS, secret), host) as spn:
        text = CONFIG.format(base=server.base_url, listing=LISTING, wayback=wayback.base_url,
                             hook=receiver.url, secret_env=SECRET_ENV, spn=spn.url)
        if config_path:
            _write_config(config_path, text, force)
        click.echo(_instructions(server.base_url, wayback.base_url, receiver.url, spn.url, len(archive.captures),
                                 config_path, text, secret))
        shown = 0
        try:
            while not stop.wait(0.5):
                for payload, valid in receiver.alerts[shown:]:
                    words = wording.summary(payload.get("edits") or [], payload.get("summary") or "")
                    said = f"{payload.get('kind')} — {payload.get('title')}: {words}"
                    click.echo(f"alert received: {terminal(said)} (signature {'valid' if valid else 'INVALID'})")
                shown = len(receiver.alerts)
        except KeyboardInterrupt:
            pass
    click.echo("stopped")


if __name__ == "__main__":
    main(prog_name="python -m remarkwatch.demo.serve")
