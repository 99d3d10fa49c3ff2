"""Progress: a live line on a terminal, nothing but problems elsewhere."""
from __future__ import annotations

import io
import re

import click
import pytest
from click.testing import CliRunner

from remarkwatch import clock as clock_module
from remarkwatch.cli import logs
from remarkwatch.passes.progress import Progress

STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ ")     # as the log lines start off a terminal


def unstamped(text: str) -> list[str]:
    """The lines of `text`, each of which must start with a UTC time, without it."""
    lines = text.splitlines()
    assert all(STAMP.match(line) for line in lines), lines
    return [STAMP.sub("", line) for line in lines]


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_terminal_shows_pages_rate_and_errors():
    stream, clock = io.StringIO(), Clock()
    progress = Progress(stream, enabled=True, clock=clock)
    clock.now = 2.0
    progress.update("press", {"pages": 10, "new": 3, "failed": 1})
    assert "press: 10 pages, 5.0/s, 3 new, 0 edited, 1 errors" in stream.getvalue()
    clock.now = 2.1  # throttled: no second redraw within 0.2 s
    progress.update("press", {"pages": 11})
    assert "11 pages" not in stream.getvalue()


def test_cron_prints_only_problems():
    stream = io.StringIO()
    progress = Progress(stream, enabled=False)
    progress.update("press", {"pages": 10})
    progress.problem("press: https://x/: http_error (HTTP 500)")
    assert unstamped(stream.getvalue()) == ["problem: press: https://x/: http_error (HTTP 500)"]


def test_problem_lines_are_capped_and_the_rest_counted():
    """A host that is down fails every page: cron gets the first lines and a count, not 10,000."""
    stream = io.StringIO()
    progress = Progress(stream, enabled=False, max_problems=3)
    for i in range(10):
        progress.problem(f"press: https://x/{i}: network_error")
    progress.finish()
    lines = unstamped(stream.getvalue())
    assert lines[:3] == [f"problem: press: https://x/{i}: network_error" for i in range(3)]
    assert "further problems are counted, not printed" in lines[3]
    assert lines[4:] == ["problem: 7 more problems not printed"]


class Terminal(io.StringIO):
    def isatty(self):
        return True


@pytest.mark.parametrize("stream, stamped", [(Terminal(), False), (io.StringIO(), True)], ids=["terminal", "cron"])
def test_problem_lines_carry_the_time_only_off_a_terminal(stream, stamped):
    Progress(stream, enabled=False).problem("press: https://x/: network_error")
    assert bool(STAMP.match(stream.getvalue())) is stamped and stream.getvalue().endswith("problem: press: https://x/: network_error\n")
    assert bool(clock_module.stamp(stream)) is stamped


def test_summary_and_problem_lines_of_the_cli_carry_the_time_off_a_terminal():
    """cron appends `crawl` to crawl.log: each summary and problem line says when (issue 26, item 9)."""
    @click.command()
    def command():
        logs.echo("problem: alert channel hook: HTTP 500", err=True)
        logs.echo("run 7 (ok): 3 pages fetched\nsecond line")
    result = CliRunner().invoke(command, catch_exceptions=False)
    assert unstamped(result.stdout) == ["run 7 (ok): 3 pages fetched", "second line"]
    assert unstamped(result.stderr) == ["problem: alert channel hook: HTTP 500"]
