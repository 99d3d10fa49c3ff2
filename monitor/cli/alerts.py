"""The alert commands: the outbox (`alerts`, `alerts retry`, `alerts send`) and `test-alert`."""
from __future__ import annotations

import json
import uuid

import click

from remarkwatch.cli import logs, render
from remarkwatch.cli.options import config_options, open_archive, with_config
from remarkwatch.config import load_config
from remarkwatch.errors import ConfigError, RemarkwatchError
from remarkwatch.storage.db import open_db


def deliver_outbox(config, db, *, strict: bool) -> None:
    """Send what the outbox holds, channel by channel. A channel whose secrets are missing is held
    back (its alerts wait, nothing is lost) and named; the others are sent. For `alerts send`
    (strict) a held-back channel then makes the command exit 2."""
    from remarkwatch.passes.run import deliver_alerts

    show_delivery(deliver_alerts(config, db), strict=strict)


def show_delivery(report, *, strict: bool) -> None:
    """The sender's report on the terminal (see `deliver_outbox`)."""
    if report.busy is not None:
        click.echo(f"alerts: another process (pid {report.busy['pid']}) is delivering; leaving it to that one")
        return
    for error in report.errors:
        logs.echo(f"problem: alert channel {render.safe(error)}", err=True)
    if report.counts or strict:
        logs.echo(report.summary())
    if strict and report.held:
        raise ConfigError("alert channel(s) held back: " + "; ".join(
            f"{name}: {why}" for name, why in report.held.items()))


@click.group(invoke_without_command=True)
@config_options
@click.option("--state", "states", multiple=True, type=click.Choice(["pending", "delivered", "dead"]),
              help="Only alerts in this state (repeatable).")
@click.option("--limit", default=50, show_default=True, help="How many, newest first.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.pass_context
def alerts(ctx, config_path, db_flag, states, limit, as_json):
    """List the alert outbox: pending, delivered and dead alerts, with their attempts.

    Example: remarkwatch alerts --state dead
    """
    if ctx.invoked_subcommand is not None:
        return
    from remarkwatch.storage import outbox

    db = open_archive(load_config(config_path, db_flag=db_flag))
    rows = outbox.listing(db, states=states, limit=limit)
    if as_json:
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    totals = outbox.counts(db)
    click.echo(", ".join(f"{totals.get(s, 0)} {s}" for s in ("pending", "delivered", "dead")))
    for row in rows:
        click.echo(render.alert_line(row))


@alerts.command("retry")
@with_config
@click.argument("alert_ids", nargs=-1, type=int)
def alerts_retry(config, alert_ids):
    """Re-queue dead alerts (all of them, or the ids given) with a fresh attempt budget.

    Example: remarkwatch alerts retry 12 13
    """
    from remarkwatch.clock import utcnow
    from remarkwatch.storage import outbox

    db = open_db(config.db_path)
    with db.atomic():
        count = outbox.requeue_dead(db, alert_ids, utcnow())
    click.echo(f"{count} dead alert(s) re-queued; they go out with the next pass or `remarkwatch alerts send`")


@alerts.command("send")
@with_config
def alerts_send(config):
    """Deliver the pending alerts that are due now (a pass does this by itself).

    Example: remarkwatch alerts send
    """
    if not config.alerts:
        raise ConfigError(f"{config.path}: no [[alerts]] channels configured")
    deliver_outbox(config, open_db(config.db_path), strict=True)


@click.command("test-alert")
@with_config
@click.argument("channel_name")
def test_alert(config, channel_name):
    """Send a sample alert through one channel, now, outside the outbox.

    Example: remarkwatch test-alert newsroom-webhook
    """
    from remarkwatch.alerts.channels.base import check_secrets
    from remarkwatch.alerts.message import build, change_item
    from remarkwatch.alerts.sample import sample_change
    from remarkwatch.alerts.sender import send_within

    channel = config.channel(channel_name)
    check_secrets([channel])
    # The same payload schema as a real alert: the sample goes through the same item builder.
    message = build([change_item(sample_change())], [f"rw-test-{uuid.uuid4()}"])
    message.payload["test"] = True        # a receiver can tell it from a real alert without parsing the title
    if channel.spec.wants_card(channel):
        from remarkwatch.publish.card import sample_card

        message.card = sample_card(sample_change())
    result = send_within(channel.spec.send, channel, message)
    if not result.ok:
        raise RemarkwatchError(f"channel {channel.name}: not delivered: {render.safe(result.error)}")
    click.echo(f"channel {channel.name}: delivered ({message.subject})")
