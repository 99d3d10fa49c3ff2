"""The remarkwatch command line: the one place that wires the rooms together and sets exit codes."""
from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

import click

from crawler.errors import ProfileError
from monitor import __version__, detect, render
from monitor.cli_alerts import alerts, deliver_outbox, test_alert
from monitor.cli_options import with_config
from monitor.config import bundled_config
from monitor.errors import ConfigError, NotFound, RemarkwatchError
from monitor.progress import Progress
from storage import archive
from storage.db import StorageError, open_db

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
            sys.exit(1)


def _setup_logging(verbose: int) -> None:
    level = logging.DEBUG if verbose > 1 else logging.INFO if verbose else logging.WARNING
    logging.basicConfig(level=level, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    # Scrapy re-levels its own loggers when a crawl starts; the handler keeps the level asked for.
    for handler in logging.getLogger().handlers:
        handler.setLevel(logging.DEBUG if verbose > 1 else level)
    logging.getLogger("scrapy").setLevel(logging.INFO if verbose > 1 else logging.ERROR)
    logging.getLogger("twisted").setLevel(logging.ERROR)
    # Apprise logs notification URLs, which hold tokens: only its errors, unless -vv.
    logging.getLogger("apprise").setLevel(logging.INFO if verbose > 1 else logging.ERROR)


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="remarkwatch")
@click.option("-v", "--verbose", count=True, help="More log output (-vv for Scrapy's own).")
@click.pass_context
def cli(ctx, verbose):
    """Watch government remarks and transcripts: new releases and silent edits, every version kept."""
    _setup_logging(verbose)
    ctx.obj = {"scrapy_log_level": "DEBUG" if verbose > 1 else "INFO" if verbose else "ERROR"}


@cli.command()
@with_config
@click.option("--source", "source_names", multiple=True, help="Crawl only this source (repeatable).")
@click.option("--full", is_flag=True, help="Ignore every schedule: crawl all sources and re-check every document now.")
@click.option("--now", "ignore_schedule", is_flag=True,
              help="Crawl the sources now even if not due (documents keep their re-check schedule).")
def crawl(config, source_names, full, ignore_schedule):
    """Run one pass over the sources that are due: listings, new releases, due re-checks.

    Run it from cron as often as the most frequent source (every 15 minutes by default); a
    source that is not due is skipped, and a pass already running on the database makes this
    one exit quietly.

    Example: remarkwatch crawl --source state-press-releases
    """
    from monitor.passes import CrawlPass, plan, run_steps, utcnow
    from storage import schedule as schedule_store

    sources = [config.source(n) for n in source_names] if source_names else list(config.sources)
    if not sources:
        raise ConfigError(f"{config.path}: no [[sources]] to crawl; add one (see `remarkwatch init`)")
    db = open_db(config.db_path)
    holder = schedule_store.acquire_lock(db, "pass", utcnow())
    if holder is not None:
        click.echo(f"another pass is running on {config.db_path} (pid {holder['pid']} on {holder['host']}, "
                   f"since {holder['acquired_at']}); not starting a second one")
        return
    try:
        if not (full or ignore_schedule):
            sources, waiting = plan(db, sources, utcnow())
            for name, when in waiting.items():
                click.echo(f"{name}: not due until {when}")
            if not sources:
                return
        step = CrawlPass(config, db, sources, Progress(), full=full)
        run_steps(config, [step], log_level=click.get_current_context().obj["scrapy_log_level"])
        click.echo(step.result.summary())
        if config.alerts:
            deliver_outbox(config, db, strict=False)
    finally:
        schedule_store.release_lock(db, "pass")


@cli.command()
@with_config
@click.option("--limit", default=20, show_default=True, help="How many changes, newest first.")
@click.option("--kind", "kinds", multiple=True, type=click.Choice(detect.KINDS),
              help="Only changes of this kind (repeatable).")
@click.option("--class", "classes", multiple=True, type=click.Choice(detect.CLASSES),
              help="Only changes with this edit class (repeatable).")
@click.option("--min-significance", default=0, show_default=True, type=click.IntRange(0, 100),
              help=f"Only changes at least this significant ({detect.ALERT_THRESHOLD} is the alerting default).")
@click.option("--source", default=None, help="Only changes of this source.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def changes(config, limit, kinds, classes, min_significance, source, as_json):
    """List recent changes: new releases, edits, reverts, moves, removals, blocks.

    Columns: id, detected at, kind, significance (0-100), source, title, [classes].

    Example: remarkwatch changes --kind edited --min-significance 20 --json
    """
    db = open_db(config.db_path)
    rows = archive.recent_changes(db, limit=limit, kinds=kinds, source=source, classes=classes,
                                  min_significance=min_significance)
    if as_json:
        click.echo(render.changes_json(rows))
        return
    if not rows:
        click.echo("no changes recorded yet" if not (kinds or classes or min_significance or source)
                   else "no changes match")
    for row in rows:
        click.echo(render.change_line(row))


@cli.command()
@with_config
@click.argument("change_id", type=int)
@click.option("--color/--no-color", default=None, help="Colour the diff (default: when on a terminal).")
def diff(config, change_id, color):
    """Show what one change changed: fields, located word-level edits, classes and the text diff.

    Example: remarkwatch diff 35
    """
    db = open_db(config.db_path)
    change = archive.get_change(db, change_id)
    if change is None:
        raise NotFound(f"{config.db_path}: no change #{change_id} (see `remarkwatch changes`)")
    color = sys.stdout.isatty() if color is None else color
    click.echo(render.full_change(change, color), color=color)


@cli.command()
@with_config
@click.argument("ref")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@click.option("--color/--no-color", default=None, help="Colour the output (default: when on a terminal).")
def history(config, ref, as_json, color):
    """List one document's URLs, versions and changes. REF: a URL it was seen at, or its id.

    Example: remarkwatch history https://www.state.gov/department-press-briefing-july-27-2021/
    """
    db = open_db(config.db_path)
    document = archive.resolve_document(db, ref)
    if document is None:
        raise NotFound(f"{config.db_path}: no document with id, URL or key {ref!r}")
    urls = archive.document_urls(db, document["id"])
    versions = archive.document_versions(db, document["id"])
    rows = archive.recent_changes(db, limit=10_000, document_id=document["id"])
    if as_json:
        click.echo(json.dumps({"document": document, "urls": urls, "versions": versions,
                               "changes": json.loads(render.changes_json(rows))},
                              indent=2, ensure_ascii=False))
        return
    color = sys.stdout.isatty() if color is None else color
    click.echo(render.history(document, urls, versions, rows, color), color=color)


@cli.command()
@with_config
@click.option("--source", "source_names", multiple=True, help="Only this source's captures (repeatable).")
def reprocess(config, source_names):
    """Re-extract every stored page with the current profiles, without fetching.

    Differences are recorded as `reextracted` changes, never as edits by the site.

    Example: remarkwatch reprocess --source state-press-releases
    """
    from monitor.passes import utcnow
    from monitor.reprocess import reprocess as run_reprocess

    for name in source_names:
        config.source(name)
    db = open_db(config.db_path)
    result = run_reprocess(db, config, utcnow(), list(source_names) or None)
    for problem in result.problems:
        click.echo(f"problem: {problem}", err=True)
    click.echo(result.summary())


@cli.command()
@with_config
def run(config):
    """Run as a daemon: every source on its schedule, alerts sent between passes, until SIGTERM.

    Example: remarkwatch run --config /srv/remarkwatch/remarkwatch.toml
    """
    from monitor.daemon import Daemon

    if not config.sources:
        raise ConfigError(f"{config.path}: no [[sources]] to crawl; add one (see `remarkwatch init`)")
    sys.exit(Daemon(config, say=lambda line: click.echo(line)).start())


@cli.command()
@with_config
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
def status(config, as_json):
    """Show what ran, when, how long and with what outcome, and what is due next.

    Example: remarkwatch status --json
    """
    from monitor.status import collect

    report = collect(open_db(config.db_path), config)
    if as_json:
        click.echo(json.dumps(report, indent=2, ensure_ascii=False))
        return
    click.echo(render.status(report))


@cli.command()
@with_config
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8001, show_default=True, type=int, help="Port to listen on.")
def serve(config, host, port):
    """Serve the archive read-only in Datasette: search, canned queries, change pages, Atom feeds.

    Example: remarkwatch serve --port 8001
    """
    import uvicorn

    from monitor.web.server import build_datasette

    open_db(config.db_path).close()   # the schema (and its full-text index) is current
    datasette = build_datasette(config.db_path)
    click.echo(f"serving {config.db_path} at http://{host}:{port}/ (Ctrl-C stops)")
    uvicorn.run(datasette.app(), host=host, port=port, log_level="warning")


@cli.command()
@with_config
@click.argument("table", type=click.Choice(["documents", "versions", "changes"]))
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="Write here instead of stdout.")
@click.option("--source", default=None, help="Only this source's rows.")
def export(config, table, fmt, output, source):
    """Export documents, versions or changes as JSON lines or CSV.

    Example: remarkwatch export changes --format csv -o changes.csv
    """
    from monitor.export import export as run_export

    db = open_db(config.db_path)
    if output is None:
        run_export(db, table, sys.stdout, fmt, source)
        return
    with open(output, "w", encoding="utf-8", newline="") as out:
        count = run_export(db, table, out, fmt, source)
    click.echo(f"wrote {count} {table} to {output}", err=True)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def profiles(as_json):
    """List the site profiles, a line each: name, site, signals, description.

    Example: remarkwatch profiles
    """
    from crawler.profiles import load_profiles

    found = load_profiles()
    if as_json:
        click.echo(json.dumps([{"name": p.name, "site": p.site, "description": p.description,
                                "sitemaps": list(p.sitemaps), "feeds": list(p.feeds), "rest": list(p.rest)}
                               for p in found.values()], indent=2))
        return
    for p in sorted(found.values(), key=lambda p: p.name):
        signals = ", ".join(k for k, v in (("sitemaps", p.sitemaps), ("feeds", p.feeds), ("rest", p.rest)) if v)
        click.echo(f"{p.name:<16} {p.site:<20} signals: {signals or 'none':<24} {p.description}")


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
    from crawler.profiles import load_profiles
    from monitor import check as checking

    profile = checking.pick_profile(load_profiles(), url, profile_name)
    html = Path(html_file).read_text(encoding="utf-8", errors="replace") if html_file else \
        checking.fetch(url, config.user_agent)
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
    for s in config.sources:
        click.echo(f"source {s.name}: profile {s.profile.name}, {len(s.start_urls)} start URL(s), "
                   f"up to {s.max_listing_pages} listing pages, delay {s.delay_s:g} s, "
                   f"domains {', '.join(s.allowed_domains)}")
    click.echo("ok")


@cli.command()
@click.argument("path", type=click.Path(dir_okay=False), default="remarkwatch.toml")
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
def init(path, force):
    """Write a commented starter configuration (state.gov sources).

    Example: remarkwatch init ~/remarkwatch/remarkwatch.toml
    """
    target = Path(path)
    if target.exists() and not force:
        raise ConfigError(f"{target}: already exists; pass --force to overwrite it")
    target.write_text(bundled_config().read_text(encoding="utf-8"), encoding="utf-8")
    click.echo(f"wrote {target}; check it with: remarkwatch check-config --config {target}")


@cli.command()
@click.option("--dir", "directory", type=click.Path(file_okay=False), default="remarkwatch-demo",
              show_default=True, help="Where the demo writes its config and database.")
def demo(directory):
    """Offline demo: crawl a bundled replica of state.gov; it edits a transcript, then reverts it.

    Example: remarkwatch demo --dir /tmp/rw-demo
    """
    from monitor.demo import run_demo

    color = sys.stdout.isatty()
    log_level = click.get_current_context().obj["scrapy_log_level"]
    result = run_demo(Path(directory).resolve(), Progress(), log_level=log_level)
    db = open_db(result.db_path)
    for number, result_pass in enumerate(result.passes[1:], start=2):
        click.echo(f"\nchanges detected by pass {number}:")
        for change in reversed(archive.recent_changes(db, limit=50)):
            if change["run_id"] == result_pass.run_id:
                click.echo(render.full_change(change, color) + "\n", color=color)
    for payload, valid in result.alerts:
        click.echo(f"alert received by the demo webhook: {payload['kind']} — {render.safe(payload['title'])}: "
                   f"{render.safe(payload['summary'])} (signature {'valid' if valid else 'INVALID'})")
    click.echo(f"database: {result.db_path}")
    click.echo(f"explore it: remarkwatch changes --config {result.config_path}")
    click.echo(f"            remarkwatch alerts --config {result.config_path}")
    click.echo(f"            remarkwatch history --config {result.config_path} {result.edited_url}")


cli.add_command(alerts)
cli.add_command(test_alert)
