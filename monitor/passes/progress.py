"""Progress on a terminal (pages, rate, errors); under cron only problems and the summary."""
from __future__ import annotations

import sys
import time

from remarkwatch.clock import stamp


# Problem lines printed per run: a host that is down fails every one of its pages, and cron would
# mail ten thousand lines. Each page keeps its outcome and error in the archive (`captures`).
MAX_PROBLEM_LINES = 100


class Progress:
    def __init__(self, stream=None, enabled: bool | None = None, clock=time.monotonic,
                 max_problems: int = MAX_PROBLEM_LINES):
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.clock = clock
        self.started = clock()
        self._last = 0.0
        self._shown = False
        self.max_problems = max_problems
        self.problems = 0

    def update(self, label: str, counts: dict[str, int]) -> None:
        if not self.enabled:
            return
        now = self.clock()
        if now - self._last < 0.2:
            return
        self._last = now
        pages = counts.get("pages", 0)
        rate = pages / max(now - self.started, 1e-6)
        line = (f"{label}: {pages} pages, {rate:.1f}/s, {counts.get('new', 0)} new, "
                f"{counts.get('edited', 0)} edited, {counts.get('failed', 0)} errors")
        self.stream.write("\r\x1b[2K" + line)
        self.stream.flush()
        self._shown = True

    def problem(self, message: str) -> None:
        self.problems += 1
        if self.problems > self.max_problems:
            return
        self.clear()
        self.stream.write(f"{stamp(self.stream)}problem: {message}\n")
        if self.problems == self.max_problems:
            self.stream.write(f"{stamp(self.stream)}problem: further problems are counted, not printed; every page keeps its outcome "
                              "and error in the archive's captures\n")
        self.stream.flush()

    def finish(self) -> None:
        """The end of the run: the live line goes, and the problems not printed are counted."""
        self.clear()
        if self.problems > self.max_problems:
            self.stream.write(f"{stamp(self.stream)}problem: {self.problems - self.max_problems} more problems not printed\n")
            self.stream.flush()

    def clear(self) -> None:
        if self._shown:
            self.stream.write("\r\x1b[2K")
            self.stream.flush()
            self._shown = False
