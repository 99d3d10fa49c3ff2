"""Backfill's progress line on a terminal (and its problems, logged when there is none)."""
from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from remarkwatch.config import Backfill

if TYPE_CHECKING:
    from remarkwatch.history.backfill import BackfillResult

logger = logging.getLogger("remarkwatch.history.backfill")


class BackfillProgress:
    """One line on a terminal: documents, captures, versions, and the time the rate limits need."""

    def __init__(self, settings: Backfill, stream, enabled: bool):
        self.settings, self.stream, self.enabled = settings, stream, enabled
        self.started = time.monotonic()
        self._shown = False

    def update(self, result: BackfillResult, *, done: int, total: int) -> None:
        if not self.enabled:
            return
        c = result.counts
        per_doc = (c["fetched"] + c["left"]) / max(done, 1)
        remaining = (total - done) * (1 / self.settings.search_per_second + per_doc / self.settings.memento_per_second)
        self.stream.write(f"\r\x1b[2Kbackfill: {done}/{total} documents, {c['listed']} captures listed, "
                          f"{c['fetched']} fetched, {c['versions']} versions, {c['edits']} edits, "
                          f"ETA {_duration(remaining)} at the archive's rate limits")
        self.stream.flush()
        self._shown = True

    def listing(self, query: str, pages: int, found: int) -> None:
        """Discovery reading the archive's index: pages so far and releases found."""
        if not self.enabled:
            return
        self.stream.write(f"\r\x1b[2Kdiscover: {query}: {pages} index pages, {found} release URLs found "
                          f"({1 / self.settings.search_per_second:.1f} s a page at the archive's rate limits)")
        self.stream.flush()
        self._shown = True

    def problem(self, message: str) -> None:
        if not self.enabled:
            logger.warning(message)
            return
        self.clear()
        self.stream.write(f"problem: {message}\n")

    def clear(self) -> None:
        if self._shown:
            self.stream.write("\r\x1b[2K")
            self.stream.flush()
            self._shown = False


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m" if seconds >= 3600 else \
        f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"
