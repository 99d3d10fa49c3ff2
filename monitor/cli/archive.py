"""The commands that read the archive: `changes`, `diff`, `history` and `export`. They open it
read-only and never create it."""
from __future__ import annotations

import json
import sys

import click

from remarkwatch.core import detect

from remarkwatch.cli import render
from remarkwatch.cli.options import open_archive, with_config
from remarkwatch.errors import ConfigError, NotFound
from remarkwatch.storage import captures, changes as changes_table, documents, versions as versions_table


@click.command()
@with_config
@click.option("--limit", default=None, type=int, help="How many changes (default 20; with --since, 1000).")
@click.option("--since", default=None, metavar="ID|TIME",
              help="Only changes after this change id or ISO time, oldest first: for scripts that poll.")
@click.option("--kind", "kinds", multiple=True, type=click.Choice(detect.KINDS),
              help="Only changes of this kind (repeatable).")
@click.option("--class", "classes", multiple=True, type=click.Choice(detect.CLASSES),
              help="Only changes with this edit class (repeatable).")
@click.option("--min-significance", default=0, show_default=True, type=click.IntRange(0, 100),
              help=f"Only changes at least this significant ({detect.ALERT_THRESHOLD} is the alerting default).")
@click.option("--source", default=None, help="Only changes of this source.")
@click.option("--silent", is_flag=True, help="Only silent edits: the page's own modified time did not change.")
@click.option("--baseline", is_flag=True,
              help="Also list the baseline: releases a source's first crawl found already published.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def changes(config, limit, since, kinds, classes, min_significance, source, silent, baseline, as_json):
    """List recent changes: new releases, edits, reverts, moves, removals, blocks.

    Columns: id, when (UTC), kind, significance (0-100), source, title, classes (and
    `silent`, `web-archive`, or `baseline` with --baseline). With --since, only later changes,
    oldest first. The baseline (what a source's first crawl found already published) is left out
    unless --baseline: it is recorded as `new` but is not news. A change found late in a web
    archive's captures (by `backfill`) is dated by when it was made and marked `web-archive`.

    Example: remarkwatch changes --silent --min-significance 60 --json
    """
    since_id, since_time = _since(since)
    db = open_archive(config)
    rows = changes_table.recent_changes(db, limit=limit or (1000 if since else 20), kinds=kinds, source=source,
                                  classes=classes, min_significance=min_significance,
                                  since_id=since_id, since_time=since_time, silent=silent, baseline=baseline)
    if as_json:
        click.echo(render.changes_json(rows))
        return
    if not rows:
        narrowed = kinds or classes or min_significance or source or since or silent
        click.echo("no changes match" if narrowed else "no changes recorded yet" if baseline
                   else "no changes yet besides the baseline (see --baseline)")
        return
    click.echo(render.changes_table(rows))


def _since(value: str | None) -> tuple[int | None, str | None]:
    """--since: a change id, or an ISO 8601 time (UTC when it names no offset)."""
    from datetime import datetime, timezone

    if value is None:
        return None, None
    if value.strip().isdigit():
        return int(value), None
    try:
        when = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter(f"{value!r} is neither a change id nor an ISO time such as 2026-11-27T10:00",
                                 param_hint="--since") from None
    when = when if when.tzinfo else when.replace(tzinfo=timezone.utc)
    return None, when.astimezone(timezone.utc).isoformat(timespec="seconds")


@click.command()
@with_config
@click.argument("change_id", type=int)
@click.option("--color/--no-color", default=None, help="Colour the diff (default: on a terminal, unless $NO_COLOR is set).")
def diff(config, change_id, color):
    """Show what one change changed: fields, located word-level edits, classes and the text diff.

    Example: remarkwatch diff 35
    """
    from remarkwatch.publish.edit import change_rows     # the rows the change page and the card show too

    db = open_archive(config)
    change = changes_table.get_change(db, change_id)
    if change is None:
        raise NotFound(f"{config.db_path}: no change #{change_id} (see `remarkwatch changes`)")
    rows = change_rows(db, change) or None
    color = render.use_color(color)
    click.echo(render.full_change(change, color, rows), color=color)


@click.command()
@with_config
@click.argument("ref")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@click.option("--color/--no-color", default=None, help="Colour the output (default: when on a terminal).")
def history(config, ref, as_json, color):
    """List one document's URLs, versions and changes. REF: a URL it was seen at, or its id.

    Example: remarkwatch history https://www.state.gov/department-press-briefing-july-27-2021/
    """
    db = open_archive(config)
    document = documents.resolve_document(db, ref)
    if document is None:
        raise NotFound(f"{config.db_path}: no document with id, URL or key {ref!r}")
    urls = documents.document_urls(db, document["id"])
    versions = versions_table.document_versions(db, document["id"])
    rows = changes_table.recent_changes(db, limit=10_000, document_id=document["id"])
    if as_json:
        click.echo(json.dumps({"document": document, "urls": urls, "versions": versions,
                               "changes": json.loads(render.changes_json(rows))},
                              indent=2, ensure_ascii=False))
        return
    color = render.use_color(color)
    click.echo(render.history(document, urls, versions, rows, color), color=color)


@click.command()
@with_config
@click.argument("table", type=click.Choice(["documents", "versions", "changes", "warc"]))
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="Write here instead of stdout (warc: required).")
@click.option("--source", default=None, help="Only this source's rows.")
@click.option("--document", "document_id", type=int, default=None, help="warc: only this document's captures.")
@click.option("--change", "change_id", type=int, default=None,
              help="changes: only this change; warc: only its two captures (its evidence).")
@click.option("--since", default=None, metavar="TIME",
              help="Only rows from this ISO time on (UTC): changes detected, versions and captures observed, "
                   "documents first seen.")
@click.option("--excel/--no-excel", "excel", default=None,
              help="csv: start with a byte-order mark, so Excel reads UTF-8 (default: on with -o, off on stdout).")
def export(config, table, fmt, output, source, document_id, change_id, since, excel):
    """Export documents, versions or changes as JSON lines or CSV, or the captures as WARC.

    A change row carries `change_url` (its page, with `public_url` configured), `historical`,
    and the window the edit was made in (`made_after`, `made_before`). `warc` writes WARC 1.1
    (gzip per record): for each stored capture its request and response (full headers, payload
    digest), and a metadata record per version naming the document, version and change ids and
    the Save Page Now capture. Check it with `warcio check FILE`; replay it with pywb. Files are
    written with your umask's permissions.

    Example: remarkwatch export changes --format csv --since 2026-11-01 -o changes.csv

    Example: remarkwatch export warc --change 35 -o evidence.warc.gz
    """
    from remarkwatch.history.export import export as run_export

    db = open_archive(config)
    since_time = _since_time(since)
    if table == "warc":
        _export_warc(config, db, output, source, document_id, change_id, since_time)
        return
    if document_id is not None or (change_id is not None and table != "changes"):
        raise ConfigError("--document applies to `export warc` only, --change to `export changes` and `export warc`")
    options = dict(since=since_time, public_url=config.public_url, change_id=change_id)
    if output is None:
        if fmt == "csv" and excel:
            sys.stdout.write("\ufeff")
        run_export(db, table, sys.stdout, fmt, source, **options)
        return
    bom = fmt == "csv" and excel is not False
    with open(output, "w", encoding="utf-8-sig" if bom else "utf-8", newline="") as out:
        count = run_export(db, table, out, fmt, source, **options)
    click.echo(f"wrote {count} {table} to {output}", err=True)


def _since_time(since: str | None) -> str | None:
    since_time = _since(since)[1] if since else None
    if since and since_time is None:
        raise ConfigError(f"--since {since!r}: an ISO time such as 2026-11-27T10:00")
    return since_time


def _export_warc(config, db, output, source, document_id, change_id, since_time) -> None:
    from remarkwatch.history import warc

    if not output:
        raise ConfigError("export warc needs -o FILE.warc.gz (WARC is binary; it is not written to a terminal)")
    if source is not None and not captures.source_seen(db, source):
        config.source(source)       # a name that is not configured either: say which ones are
    rows = warc.select(db, document_id=document_id, source=source, since=since_time, change_id=change_id)
    if not rows:
        raise ConfigError("nothing to export: no stored captures match "
                          + (", ".join(f for f in (f"document {document_id}" if document_id else "",
                                                   f"source {source}" if source else "",
                                                   f"change {change_id}" if change_id else "",
                                                   f"since {since_time}" if since_time else "") if f) or "(the archive is empty)"))
    result = warc.write_warc(db, rows, output, user_agent=config.user_agent)
    ratio = result.bytes_written / result.blob_bytes if result.blob_bytes else 0
    click.echo(f"wrote {result.captures} captures ({result.versions} versions) to {output}: "
               f"{result.bytes_written} bytes, {ratio:.2f}x their {result.blob_bytes} bytes of bodies", err=True)
    if result.missing:
        shown = ", ".join(f"#{i}" for i in result.missing[:20]) + (" ..." if len(result.missing) > 20 else "")
        click.echo(f"error: {len(result.missing)} captures have no body in the archive (blobs missing): {shown}; "
                   f"the rest were exported", err=True)
        sys.exit(1)
