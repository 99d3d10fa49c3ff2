"""The remarkwatch command line: the one place that wires the rooms together and sets exit codes."""
from __future__ import annotations

import functools
import logging
import sys
from pathlib import Path

import click

from crawler.errors import ProfileError
from monitor import __version__, render
from monitor.config import bundled_config, load_config
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


def with_config(func):
    """Add --config and --db to a command and pass the loaded Config as `config`."""
    @click.option("--config", "config_path", type=click.Path(dir_okay=False),
                  help="Config file (default: ./remarkwatch.toml, else the bundled default).")
    @click.option("--db", "db_flag", help="Database file; overrides `db` in the config and $REMARKWATCH_DB.")
    @functools.wraps(func)
    def wrapper(config_path, db_flag, **kwargs):
        return func(config=load_config(config_path, db_flag=db_flag), **kwargs)
    return wrapper


def _setup_logging(verbose: int) -> None:
    level = logging.DEBUG if verbose > 1 else logging.INFO if verbose else logging.WARNING
    logging.basicConfig(level=level, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    # Scrapy re-levels its own loggers when a crawl starts; the handler keeps the level asked for.
    for handler in logging.getLogger().handlers:
        handler.setLevel(logging.DEBUG if verbose > 1 else level)
    logging.getLogger("scrapy").setLevel(logging.INFO if verbose > 1 else logging.ERROR)
    logging.getLogger("twisted").setLevel(logging.ERROR)


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
def crawl(config, source_names):
    """Run one pass: fetch listings and articles, record new versions and changes.

    Example: remarkwatch crawl --source state-press-releases
    """
    from monitor.passes import CrawlPass, run_steps

    sources = [config.source(n) for n in source_names] if source_names else list(config.sources)
    if not sources:
        raise ConfigError(f"{config.path}: no [[sources]] to crawl; add one (see `remarkwatch init`)")
    db = open_db(config.db_path)
    step = CrawlPass(config, db, sources, Progress())
    run_steps(config, [step], log_level=click.get_current_context().obj["scrapy_log_level"])
    click.echo(step.result.summary())


@cli.command()
@with_config
@click.option("--limit", default=20, show_default=True, help="How many changes, newest first.")
@click.option("--kind", "kinds", multiple=True, help="Only changes of this kind (new, edited; repeatable).")
@click.option("--source", default=None, help="Only changes of this source.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def changes(config, limit, kinds, source, as_json):
    """List recent changes (new releases and edits).

    Example: remarkwatch changes --kind edited --json
    """
    db = open_db(config.db_path)
    rows = archive.recent_changes(db, limit=limit, kinds=kinds, source=source)
    if as_json:
        click.echo(render.changes_json(rows))
        return
    if not rows:
        click.echo("no changes recorded yet")
    for row in rows:
        click.echo(render.change_line(row))


@cli.command()
@with_config
@click.argument("change_id", type=int)
@click.option("--color/--no-color", default=None, help="Colour the diff (default: when on a terminal).")
def diff(config, change_id, color):
    """Show what one change changed: fields, word-level edits and the text diff.

    Example: remarkwatch diff 35
    """
    db = open_db(config.db_path)
    change = archive.get_change(db, change_id)
    if change is None:
        raise NotFound(f"{config.db_path}: no change #{change_id} (see `remarkwatch changes`)")
    color = sys.stdout.isatty() if color is None else color
    click.echo(render.change_detail(change, color))
    if change["kind"] != "new" and "body" in change["changed_fields"]:
        old = archive.get_version(db, change["from_version_id"])
        new = archive.get_version(db, change["to_version_id"])
        click.echo("word-level:")
        click.echo(render.word_diff(old["body_text"], new["body_text"], color))
        click.echo("text diff:")
        click.echo(render.unified(change["diff"], color))


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
    """Offline demo: crawl a bundled replica of state.gov, edit a transcript, crawl again.

    Example: remarkwatch demo --dir /tmp/rw-demo
    """
    from monitor.demo import run_demo

    color = sys.stdout.isatty()
    log_level = click.get_current_context().obj["scrapy_log_level"]
    result = run_demo(Path(directory).resolve(), Progress(), log_level=log_level)
    db = open_db(result.db_path)
    click.echo("\nchanges detected by pass 2:")
    for change in archive.recent_changes(db, limit=50):
        if change["run_id"] != result.passes[1].run_id:
            continue
        click.echo(render.change_detail(change, color))
        if change["kind"] == "edited":
            old = archive.get_version(db, change["from_version_id"])
            new = archive.get_version(db, change["to_version_id"])
            click.echo(render.word_diff(old["body_text"], new["body_text"], color))
            click.echo(render.unified(change["diff"], color))
        click.echo("")
    click.echo(f"database: {result.db_path}")
    click.echo(f"explore it: remarkwatch changes --config {result.config_path}")
