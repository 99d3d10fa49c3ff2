"""Progress on a terminal (pages, rate, errors); under cron only problems and the summary."""
from __future__ import annotations

import sys
import time


class Progress:
    def __init__(self, stream=None, enabled: bool | None = None, clock=time.monotonic):
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.clock = clock
        self.started = clock()
        self._last = 0.0
        self._shown = False

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
        self.clear()
        self.stream.write(f"problem: {message}\n")
        self.stream.flush()

    def clear(self) -> None:
        if self._shown:
            self.stream.write("\r\x1b[2K")
            self.stream.flush()
            self._shown = False
