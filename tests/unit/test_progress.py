"""Progress: a live line on a terminal, nothing but problems elsewhere."""
from __future__ import annotations

import io

from remarkwatch.passes.progress import Progress


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
    assert stream.getvalue() == "problem: press: https://x/: http_error (HTTP 500)\n"


def test_problem_lines_are_capped_and_the_rest_counted():
    """A host that is down fails every page: cron gets the first lines and a count, not 10,000."""
    stream = io.StringIO()
    progress = Progress(stream, enabled=False, max_problems=3)
    for i in range(10):
        progress.problem(f"press: https://x/{i}: network_error")
    progress.finish()
    lines = stream.getvalue().splitlines()
    assert lines[:3] == [f"problem: press: https://x/{i}: network_error" for i in range(3)]
    assert "further problems are counted, not printed" in lines[3]
    assert lines[4:] == ["problem: 7 more problems not printed"]
