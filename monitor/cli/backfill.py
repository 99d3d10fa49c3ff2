"""`remarkwatch backfill`: history from a web archive (see monitor/history/backfill.py)."""
from __future__ import annotations

import signal
import sys
from contextlib import contextmanager

import click

from remarkwatch.cli import logs
from remarkwatch.cli.options import with_config
from remarkwatch.errors import ConfigError


@click.command()
@with_config
@click.argument("urls", nargs=-1, metavar="[URL]...")
@click.option("--source", "source_names", multiple=True, help="Every document of this source (repeatable).")
@click.option("--from", "since", type=click.DateTime(["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"]), default=None,
              help="Only captures from this date (YYYY-MM-DD), UTC.")
@click.option("--to", "until", type=click.DateTime(["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"]), default=None,
              help="Only captures up to this date, UTC.")
@click.option("--max-captures", type=click.IntRange(min=1), default=None,
              help="Fetch at most N mementos per document, oldest first (the next run goes on from there).")
@click.option("--discover", is_flag=True,
              help="Find every release of the --source sites in the archive's index and backfill each.")
@click.option("--page-lines", type=click.IntRange(min=1, max=100_000), default=1000, show_default=True,
              help="With --discover: URLs per page of the archive's index (fewer pages, larger answers).")
@click.option("--plan", "plan_only", is_flag=True,
              help="With --discover: list the index and a sample of releases' captures, fetch no memento, "
                   "and print the requests and hours the backfill will take.")
def backfill(config, urls, source_names, since, until, max_captures, discover, page_lines, plan_only):
    """Find edits made before remarkwatch watched a page, in the Wayback Machine's captures.

    Lists each document's captures, fetches each distinct one once, extracts it with the site
    profile, and records each distinct content as a version observed at the capture's time; the
    edits between them are `historical` changes (not alerted unless a channel sets
    `historical = true`). Without URLs or --source: every document of every source. A killed
    backfill goes on where it stopped; a second run fetches nothing it already has. SIGTERM or
    Ctrl-C stops it after the memento in flight (exit 1); a second one stops it at once. The archive
    service is [backfill] wayback_url in the config.

    With --discover, the archive's index is asked for every URL of each --source site, and the
    ones its profile's [discover] table calls releases are backfilled, watched or not; a stopped
    run goes on where it stopped (see docs/history.md for how long a whole site takes).

    Example: remarkwatch backfill --source state-press-briefings --from 2021-01-01

    Example: remarkwatch backfill --discover --source state-press-releases --from 2019-01-01
    """
    from remarkwatch.history import backfill as bf
    from remarkwatch.history.progress import BackfillProgress
    from remarkwatch.history.targets import targets
    from remarkwatch.history.wayback import wayback_client
    from remarkwatch.clock import utcnow
    from remarkwatch.storage import schedule as schedule_store
    from remarkwatch.storage.db import open_db

    if since and until and since > until:
        raise ConfigError(f"--from {since:%Y-%m-%d} is after --to {until:%Y-%m-%d}")
    if not config.sources:
        raise ConfigError(f"{config.path}: no [[sources]]; backfill reads documents of configured sources")
    if discover and (urls or not source_names):
        raise ConfigError("--discover reads whole sites: name them with --source, without URLs")
    if plan_only and not discover:
        raise ConfigError("--plan goes with --discover")
    db = open_db(config.db_path)
    work = [] if discover else targets(db, config, source_names, urls)
    if not work and not discover:
        click.echo("nothing to backfill: the sources have no documents yet (run `remarkwatch crawl` first, "
                   "or name URLs)")
        return
    holder = schedule_store.acquire_lock(db, "backfill", utcnow())
    if holder is not None:
        raise ConfigError(f"a backfill is already running on {config.db_path} (pid {holder['pid']} on "
                          f"{holder['host']}, since {holder['acquired_at']})")
    requests_sent = {"search": 0, "memento": 0}
    client = wayback_client(config.backfill, config.user_agent, requests_sent, config.max_page_bytes)
    progress = BackfillProgress(config.backfill, sys.stderr, sys.stderr.isatty())
    runner = bf.Backfiller(config, db, client, since=since, until=until, max_captures=max_captures,
                           progress=progress)
    try:
        with _stop_on_request(runner, progress):
            found = (_plan if plan_only else _discover)(config, runner, source_names, (since, until), page_lines,
                                                         progress) if discover else []
            result = runner.result if discover else runner.run(work)
    finally:
        progress.clear()
        schedule_store.release_lock(db, "backfill")
    result.requests = requests_sent
    for line in found:
        logs.echo(line)
    if not plan_only:
        logs.echo(result.summary())
    if any(channel.historical for channel in config.alerts):
        from remarkwatch.cli.alerts import deliver_outbox

        deliver_outbox(config, db, strict=False)
    if runner.stopping:
        click.echo("stopped on request: the next run goes on where this one stopped", err=True)
    if result.counts["errors"] or runner.stopping:
        sys.exit(1)


@contextmanager
def _stop_on_request(runner, progress):
    """SIGTERM or Ctrl-C ends the run after the memento in flight (stored, so never fetched again);
    a second one stops at once."""
    def stop(signum, frame):
        if runner.stopping:
            raise KeyboardInterrupt
        runner.stopping = True
        progress.problem("stopping after the capture in flight (again to stop at once)")

    previous = {number: signal.signal(number, stop) for number in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def _discover(config, runner, source_names, span, page_lines, progress) -> list[str]:
    """Each named source's discovery, one after another; their summary lines."""
    from remarkwatch.history.discover import Discoverer

    lines = []
    for name in source_names:
        found = Discoverer(runner, page_lines=page_lines, progress=progress).run(config.source(name), *span)
        lines.append(f"{name}: {found.summary()}")
    return lines


REAL_LIMITS = (30.0, 600.0)     # the Wayback Machine's, a minute (`wayback`'s _client.py)


def _plan(config, runner, source_names, span, page_lines, progress) -> list[str]:
    """Each named source's plan: what is left to backfill, and how long it takes at the limits."""
    from remarkwatch.history.discover import Discoverer

    settings = config.backfill
    limits = {f"the configured limits ({settings.search_per_second * 60:g}/min, {settings.memento_per_second * 60:g}/min)":
              (settings.search_per_second * 60, settings.memento_per_second * 60),
              "the Wayback Machine's limits (30/min, 600/min)": REAL_LIMITS}
    lines = []
    for name in source_names:
        found = Discoverer(runner, page_lines=page_lines, progress=progress)
        figures = found.estimate(config.source(name), *span, limits=limits)
        lines.append(f"{name}: {found.result.found} release URLs found, {figures['pending']} to backfill; "
                     f"{figures['sampled']} sampled: {figures['captures']:g} captures, {figures['mementos']:g} "
                     f"distinct a release")
        for label, plan in figures["plans"].items():
            lines.append(f"  at {label}: {plan['searches']:,} searches + {plan['mementos']:,} mementos = "
                         f"{plan['requests']:,} requests, "
                         + (f"{plan['hours']:g} h" if plan["hours"] >= 1 else f"{plan['minutes']:g} min"))
    return lines
