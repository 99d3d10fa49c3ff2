"""`remarkwatch report`: how often and how soon releases are edited, per source and year."""
from __future__ import annotations

import json

import click
from tabulate import tabulate

from remarkwatch.cli import render
from remarkwatch.cli.options import open_archive, with_config

DATE = click.DateTime(["%Y-%m-%d"])


@click.command()
@with_config
@click.option("--source", default=None, help="Only this source.")
@click.option("--from", "since", type=DATE, default=None, help="Only releases published from this date (YYYY-MM-DD).")
@click.option("--to", "until", type=DATE, default=None, help="Only releases published up to this date (YYYY-MM-DD).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (one object per source and year).")
def report(config, source, since, until, as_json):
    """Edit statistics from the archive, per source and year of publication.

    Releases seen, the share edited after publication, hours from publication to the first edit
    (median, p90; an edit's time is the middle of the window it was made in, whose median width
    is shown), the share of silent edits, reverts and edit classes, and how much rests on
    web-archive captures: the share of edits found by backfill and the median gap between a
    release's archived captures.

    Example: remarkwatch report --source state-press-briefings --from 2021-01-01 --json
    """
    from remarkwatch.history.report import summarise
    from remarkwatch.storage.report import report_rows

    db = open_archive(config)
    rows = summarise(*report_rows(db, source), since=since and since.strftime("%Y-%m-%d"),
                     until=until and until.strftime("%Y-%m-%dT23:59:59"))
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        click.echo("no releases recorded" + (" in that range" if since or until or source else " yet"))
        return
    click.echo(tabulate([_line(row) for row in rows], headers=HEADERS, disable_numparse=True))


HEADERS = ["source", "year", "releases", "edited", "1st edit p50 h", "p90 h", "window h", "silent",
           "reverts", "from archive", "capture gap d", "classes"]


def _line(row: dict) -> list[str]:
    classes = ", ".join(f"{name} {n}" for name, n in list(row["classes"].items())[:3])
    return [render.safe(row["source"]), row["year"], str(row["releases"]),
            f"{row['edited']} ({_pct(row['edited_share'])})", _num(row["first_edit_median_h"]),
            _num(row["first_edit_p90_h"]), _num(row["window_median_h"]), _pct(row["silent_share"]),
            str(row["reverts"]), _pct(row["from_archive_share"]), _num(row["capture_gap_median_days"]),
            render.safe(classes) or "-"]


def _pct(share: float | None) -> str:
    return "-" if share is None else f"{share * 100:.0f}%"


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"
