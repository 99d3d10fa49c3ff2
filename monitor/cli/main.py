"""The remarkwatch command line: the one place that wires the rooms together and sets exit codes."""
from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path

import click

from remarkwatch.crawler.errors import ProfileError
from remarkwatch import __version__
from remarkwatch.cli import logs, render
from remarkwatch.core import wording
from remarkwatch.cli.logs import setup_logging
from remarkwatch.cli.alerts import alerts, show_delivery, test_alert
from remarkwatch.cli.archive import changes, diff, export, history
from remarkwatch.cli.backfill import backfill
from remarkwatch.cli.report import report
from remarkwatch.cli.publish import card
from remarkwatch.cli.start import init, profiles
from remarkwatch.cli.evidence import show_evidence, spn
from remarkwatch.cli.options import CONFIG_HELP, DB_HELP, open_archive, with_config
from remarkwatch.errors import EXIT_SOURCE_FAILING, ConfigError, RemarkwatchError
from remarkwatch.passes.progress import Progress
from remarkwatch.storage import changes as changes_table
from remarkwatch.storage.db import OldSchema, StorageError, open_db

logger = logging.getLogger(__name__)


class Group(click.Group):
    """Turns domain errors into one line on stderr and an exit code (1 runtime, 2 usage/config)."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except RemarkwatchError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(exc.exit_code)
        except ProfileError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(2)
        except StorageError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(2 if isinstance(exc, OldSchema) else 1)


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="remarkwatch")
@click.option("-v", "--verbose", count=True, help="More log output (-vv for Scrapy's own).")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help=CONFIG_HELP)
@click.option("--db", "db_flag", help=DB_HELP)
@click.pass_context
def cli(ctx, verbose, config_path, db_flag):
    """Watch government remarks and transcripts: new releases and silent edits, every version kept."""
    setup_logging(verbose)
    ctx.obj = {"scrapy_log_level": "DEBUG" if verbose > 1 else "WARNING" if verbose else "CRITICAL",
               "config_path": config_path, "db_flag": db_flag}


@cli.command()
@with_config
@click.option("--source", "source_names", multiple=True, help="Crawl only this source (repeatable).")
@click.option("--full", is_flag=True, help="Ignore every schedule: crawl all sources and re-check every document now.")
@click.option("--now", "ignore_schedule", is_flag=True,
              help="Crawl the sources now even if not due (documents keep their re-check schedule).")
def crawl(config, source_names, full, ignore_schedule):
    """Run one pass over the sources that are due: listings, new releases, due re-checks.

    Run it from cron as often as the most frequent source (every 5 minutes by default); a
    source that is not due is skipped, and a pass already running on the database makes this
    one exit quietly.

    Example: remarkwatch crawl --source state-press-releases
    """
    from remarkwatch.passes.run import pick_sources, run_pass

    outcome = run_pass(config, pick_sources(config, source_names), full=full, ignore_schedule=ignore_schedule,
                       log_level=click.get_current_context().obj["scrapy_log_level"], echo=logs.echo)
    if outcome.busy is not None:
        return
    if outcome.delivery is not None:
        show_delivery(outcome.delivery, strict=False)
    if outcome.evidence is not None:
        show_evidence(outcome.evidence, strict=False)
    if outcome.cluster_failed:
        sys.exit(1)
    if outcome.result is not None and outcome.result.failed_sources:
        logs.echo(f"failing: {', '.join(outcome.result.failed_sources)} (see the problems above)", err=True)
        sys.exit(EXIT_SOURCE_FAILING)
    if outcome.result is not None and outcome.result.outcome == "partial":
        sys.exit(EXIT_SOURCE_FAILING)       # e.g. a Redis restart lost requests: said in the problems above


@cli.command()
@with_config
@click.option("--id", "worker_id", default=None, help="This worker's name (default: HOST-PID).")
def worker(config, worker_id):
    """Run a crawl worker of the clustered mode ([cluster] in the config, or $REMARKWATCH_REDIS_URL).

    It fetches what the shared Redis frontier holds (any number of workers, on any machines, with
    the same config and profiles as the coordinator), extracts each page with the profiles and
    pushes every capture to the Redis stream the coordinator's `crawl`/`run` writes to the archive.
    It never opens the archive. Politeness is shared: all workers together wait each host's delay.
    Stops cleanly on SIGTERM or Ctrl-C.

    Example: remarkwatch worker --config remarkwatch.toml
    """
    from remarkwatch.cluster.worker_process import run_worker

    if config.cluster is None:
        raise ConfigError(f"{config.path}: no [cluster] redis_url and no $REMARKWATCH_REDIS_URL: a worker needs "
                          f"the Redis its coordinator uses")
    if not config.sources:
        raise ConfigError(f"{config.path}: no [[sources]]; a worker reads the pages of configured sources")
    click.echo(f"remarkwatch worker {worker_id or ''} on {len(config.sources)} source(s); SIGTERM or Ctrl-C stops it",
               err=True)
    sys.exit(run_worker(config, log_level=click.get_current_context().obj["scrapy_log_level"], worker_id=worker_id))


@cli.command()
@with_config
@click.option("--source", "source_names", multiple=True, help="Only this source's captures (repeatable).")
def reprocess(config, source_names):
    """Re-extract every stored page with the current profiles, without fetching.

    Differences are recorded as `reextracted` changes, never as edits by the site.

    Example: remarkwatch reprocess --source state-press-releases
    """
    from remarkwatch.clock import utcnow
    from remarkwatch.passes.reprocess import reprocess as run_reprocess

    for name in source_names:
        config.source(name)
    db = open_db(config.db_path)
    result = run_reprocess(db, config, utcnow(), list(source_names) or None)
    for problem in result.problems:
        logs.echo(f"problem: {problem}", err=True)
    logs.echo(result.summary())


@cli.command()
@with_config
def run(config):
    """Run as a daemon: every source on its schedule, alerts sent between passes, until SIGTERM.

    Example: remarkwatch run --config /srv/remarkwatch/remarkwatch.toml
    """
    from remarkwatch.passes.daemon import Daemon

    if not config.sources:
        raise ConfigError(f"{config.path}: no [[sources]] to crawl; add one (see `remarkwatch init`)")
    sys.exit(Daemon(config, say=logs.echo).start())


@cli.command()
@with_config
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
def status(config, as_json):
    """Show what ran, when, how long and with what outcome, and what is due next.

    Example: remarkwatch status --json
    """
    from remarkwatch.passes.status import collect

    report = collect(open_archive(config), config)
    if config.cluster is not None:
        from remarkwatch.cluster.connection import status as cluster_status

        try:
            report["cluster"] = cluster_status(config)
        except ConfigError as exc:
            report["cluster"] = {"error": str(exc)}
    if as_json:
        click.echo(json.dumps(report, indent=2, ensure_ascii=False))
        return
    click.echo(render.status(report))


@cli.command()
@with_config
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8001, show_default=True, type=int, help="Port to listen on.")
@click.option("--no-sql", is_flag=True,
              help="Turn arbitrary SQL off (a public instance); pages, tables, search and canned queries stay.")
def serve(config, host, port, no_sql):
    """Serve the archive read-only in Datasette: search, canned queries, change pages, Atom feeds.

    Example: remarkwatch serve --port 8001
    """
    import uvicorn

    from remarkwatch.web.limits import answer_budget
    from remarkwatch.web.server import build_datasette

    open_archive(config).close()   # it exists; a writable one is upgraded (schema, full-text index)
    _check_port(host, port)
    datasette = build_datasette(config.db_path, public_url=config.public_url, allow_sql=not no_sql,
                                answer_bytes=answer_budget(config.max_page_bytes))
    click.echo(f"serving {config.db_path} at http://{host}:{port}/ (Ctrl-C stops)")
    uvicorn.run(datasette.app(), host=host, port=port, log_level="warning")


def _check_port(host: str, port: int) -> None:
    """Fail before saying "serving at" when the address cannot be listened on (a busy port)."""
    import socket

    try:
        with socket.create_server((host, port)):
            pass
    except OSError as exc:
        raise RemarkwatchError(f"cannot serve on {host}:{port}: {exc.strerror or exc}; "
                               f"pick another with --port") from None


@cli.command()
@with_config
@click.argument("url")
@click.option("--file", "html_file", type=click.Path(exists=True, dir_okay=False),
              help="Read the page from this file instead of fetching URL (offline).")
@click.option("--profile", "profile_name", help="Profile to use (default: the one whose site matches URL).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
def check(config, url, html_file, profile_name, as_json):
    """Show what a profile extracts from one page: fields, body, speaker turns, outcome.

    Example: remarkwatch check https://www.state.gov/briefings/department-press-briefing/ --file page.html
    """
    from remarkwatch.crawler.profiles import load_profiles
    from remarkwatch.passes import check as checking

    profile = checking.pick_profile(load_profiles(), url, profile_name)
    html = Path(html_file).read_text(encoding="utf-8", errors="replace") if html_file else \
        checking.fetch(url, config.user_agent, max_bytes=config.max_page_bytes)
    report = checking.check(html, url, profile)
    click.echo(json.dumps(report, indent=2, ensure_ascii=False) if as_json else render.safe_lines(checking.render(report)))


@cli.command("check-config")
@with_config
def check_config(config):
    """Validate the configuration and print what it resolves to.

    Example: remarkwatch check-config --config ./remarkwatch.toml
    """
    origin = " (bundled default)" if config.bundled else ""
    click.echo(f"config: {config.path}{origin}")
    click.echo(f"db:     {config.db_path}")
    if not config.sources:
        click.echo("warning: no [[sources]]: `crawl` and `run` have nothing to watch (`remarkwatch init` "
                   "writes a file with sources for each bundled site)", err=True)
    from remarkwatch.crawler.listings import unannounced

    for s in config.sources:
        click.echo(f"source {s.name}: profile {s.profile.name}, {len(s.start_urls)} start URL(s), "
                   f"up to {s.max_listing_pages} listing pages, delay {s.delay_s:g} s, "
                   f"domains {', '.join(s.allowed_domains)}")
        if named := unannounced(s.profile, s.start_urls):
            click.echo(f"note: source {s.name} reads none of the listings {s.profile.name}'s feeds and REST "
                       f"queries announce ({', '.join(named)}): they bring it only releases under its own "
                       f"listing, the rest wait for its listing pages at each pass", err=True)
    budget_warnings(config)
    from remarkwatch.alerts.channels.base import missing_secrets

    unset = 0
    for channel in config.alerts:
        missing = missing_secrets(channel)
        unset += len(missing)
        secrets = ", ".join(f"${name} {'NOT SET' if name in missing else 'set'}" for name in channel.secret_names())
        click.echo(f"alert channel {channel.name}: {channel.kind}, min significance {channel.min_significance}, "
                   f"{channel.mode}" + (f"; secrets: {secrets}" if secrets else ""))
    if unset:
        click.echo(f"warning: {unset} secret(s) not set in this environment: those channels' alerts would wait "
                   f"(set them where remarkwatch runs: the cron line's env file, the systemd EnvironmentFile)")
    spn = config.save_page_now
    if spn.enabled:
        keys = ", ".join(f"${name} {'set' if os.environ.get(name) else 'NOT SET'}" for name in (spn.access_env, spn.secret_env))
        click.echo(f"save page now: {spn.endpoint}, for {', '.join(spn.kinds)} of significance {spn.min_significance}+; "
                   f"keys: {keys}")
    if config.backfill.wayback_url != "https://web.archive.org":
        click.echo(f"backfill: reads {config.backfill.wayback_url}")
    if config.cluster is not None:
        from remarkwatch.cluster.connection import connect, safe_url

        connect(config)     # exit 2 with the reason when it cannot be reached
        click.echo(f"cluster: Redis at {safe_url(config.cluster.redis_url)} reachable, key prefix "
                   f"{config.cluster.key_prefix!r}; passes run on `remarkwatch worker` processes")
    click.echo("ok" if config.sources else "valid, but watches nothing")


def budget_warnings(config) -> None:
    """Each source's request budget against its archive; a warning where the documents it holds
    cannot be re-checked within it. Without an archive yet there is nothing to hold."""
    if not config.db_path.exists():
        click.echo("budget: no archive yet; `remarkwatch status` shows each source's budget once it has one")
        return
    from datetime import datetime, timezone

    from remarkwatch.passes import autorecheck

    db = open_archive(config)
    now = datetime.now(timezone.utc)
    for source in config.sources:
        report = autorecheck.report(db, config, source, now)
        click.echo(f"source {source.name}:")
        for line in render.budget_lines(report):
            click.echo(line)
        if not report["fits"]:
            click.echo(autorecheck.over_budget(source, report), err=True)


@cli.command()
@click.option("--dir", "directory", type=click.Path(file_okay=False), default="remarkwatch-demo",
              show_default=True, help="Where the demo writes its config and database.")
@click.option("--force", is_flag=True, help="Use DIR even if it holds files the demo did not write.")
def demo(directory, force):
    """Offline demo: crawl a bundled replica of state.gov; it edits a transcript, then reverts it.

    Example: remarkwatch demo --dir /tmp/rw-demo
    """
    from remarkwatch.demo.run import run_demo

    color = sys.stdout.isatty()
    log_level = click.get_current_context().obj["scrapy_log_level"]
    result = run_demo(Path(directory).resolve(), Progress(), log_level=log_level, force=force)
    db = open_db(result.db_path)
    for number, result_pass in enumerate(result.passes[1:], start=2):
        click.echo(f"\nchanges detected by pass {number}:")
        for change in reversed(changes_table.recent_changes(db, limit=50)):
            if change["run_id"] == result_pass.run_id:
                click.echo(render.full_change(change, color) + "\n", color=color)
    for payload, valid in result.alerts:
        said = wording.summary(payload.get("edits") or [], payload.get("summary") or "")   # in words, as the pages say it
        click.echo(f"alert received by the demo webhook: {payload['kind']} — {render.safe(payload['title'])}: "
                   f"{render.safe(said)} (signature {'valid' if valid else 'INVALID'})")
    click.echo(f"database: {result.db_path}")
    # The hints name a command that works from where the demo was started: under dev.py the
    # `remarkwatch` script is inside .venv, so dev.py says how to reach it.
    prog = os.environ.get("REMARKWATCH_PROG") or "remarkwatch"
    click.echo(f"explore it: {prog} changes --config {result.config_path}")
    click.echo(f"            {prog} alerts --config {result.config_path}")
    click.echo(f"            {prog} history --config {result.config_path} {result.edited_url}")


for command in (alerts, test_alert, changes, diff, history, export, backfill, report, card, init, profiles, spn):
    cli.add_command(command)
