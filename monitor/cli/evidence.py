"""The Save Page Now commands: the queue (`spn`), `spn send` and `spn retry`."""
from __future__ import annotations

import json

import click

from remarkwatch.cli import render
from remarkwatch.cli.options import config_options, open_archive, with_config
from remarkwatch.config import load_config
from remarkwatch.errors import ConfigError
from remarkwatch.storage.db import open_db
from remarkwatch.storage.spn import STATES


def show_evidence(report, *, strict: bool) -> None:
    """The queue's report on the terminal; for `spn send` (strict) keys missing or refused exit 2."""
    if report.busy is not None:
        click.echo(f"save page now: another process (pid {report.busy['pid']}) is sending the queue; leaving it to that one")
        return
    for error in report.errors:
        click.echo(f"problem: save page now: {render.safe(error)}", err=True)
    if report.counts or report.paused_until or report.held or strict:
        click.echo(report.summary())
    if strict and report.held:
        raise ConfigError(f"save page now held back: {report.held}")


@click.group(invoke_without_command=True)
@config_options
@click.option("--state", "states", multiple=True, type=click.Choice(STATES), help="Only requests in this state (repeatable).")
@click.option("--limit", default=50, show_default=True, help="How many, newest first.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of lines.")
@click.pass_context
def spn(ctx, config_path, db_flag, states, limit, as_json):
    """List the Save Page Now queue: each change's third-party capture, pending, saved or failed.

    Example: remarkwatch spn --state failed
    """
    if ctx.invoked_subcommand is not None:
        return
    from remarkwatch.storage import spn as store

    db = open_archive(load_config(config_path, db_flag=db_flag))
    rows = store.listing(db, states=states, limit=limit)
    if as_json:
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    totals = store.counts(db)
    click.echo(", ".join(f"{totals.get(s, 0)} {s}" for s in STATES))
    for row in rows:
        what = row["memento_url"] or row["last_error"] or ""
        click.echo(render.safe(f"#{row['id']} change {row['change_id']} {row['state']} "
                               f"(attempts {row['attempts']}) {row['url']} {what}").strip())


@spn.command("send")
@with_config
@click.option("--budget", "budget_s", type=click.FloatRange(min=0.1), default=None,
              help="Seconds to spend at most (default: [save_page_now] budget_s).")
def spn_send(config, budget_s):
    """Send the Save Page Now queue now: poll running captures, submit the due requests.

    Example: remarkwatch spn send --budget 120
    """
    from remarkwatch.passes.run import send_evidence

    if not config.save_page_now.enabled:
        raise ConfigError(f"{config.path}: save_page_now: not enabled (set `enabled = true` in [save_page_now])")
    show_evidence(send_evidence(config, open_db(config.db_path), budget_s), strict=True)


@spn.command("retry")
@with_config
@click.argument("request_ids", nargs=-1, type=int)
def spn_retry(config, request_ids):
    """Re-queue failed Save Page Now requests (all, or the ids given) with a fresh attempt budget.

    Example: remarkwatch spn retry 4
    """
    from remarkwatch.clock import utcnow
    from remarkwatch.storage import spn as store

    db = open_db(config.db_path)
    with db.atomic():
        count = store.requeue_failed(db, request_ids, utcnow())
    click.echo(f"{count} failed request(s) re-queued; they go out with the next pass or `remarkwatch spn send`")
