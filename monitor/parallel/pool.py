"""Helper processes of a crawl, so that it uses every core: pages judged and extracted, and a
large pass written, outside the reactor's process.

The reactor fetches. With `extract_workers = N` (default "auto": one per core but one, at most 4):

- N >= 2: N helpers judge each page and do the CPU side of recording it (`remarkwatch.parallel.prepare`), and
  one more helper, the archive writer (`remarkwatch.parallel.writer`), writes the pass's captures.
- N == 1: one helper does both for each page: judges it, prepares it and writes it. On two cores
  this is the fastest: a page crosses one process boundary once, and there are two busy
  processes for two cores (docs/performance.md compares one helper with two).
- 0: everything in process, written by the pass's writer thread.

Under "auto" the helpers start when a source's first pass begins (every page is new:
`start_for`), or else once a run has extracted `INLINE_FIRST` pages itself, so a small pass never
starts a process; pages are extracted in process until the helpers
are ready. A number asks for them from the first page.

A helper that dies (a page that crashes the parser, the kernel's OOM killer) costs the page it
was working on: it is recorded as `extract_error` with the reason, a new helper takes over, and
the pages queued behind it are sent again.
"""
from __future__ import annotations

import asyncio
import logging
import os

from remarkwatch.crawler import items
from remarkwatch.crawler.judge import judge
from remarkwatch.crawler.items import Capture
from remarkwatch.crawler.profiles import Profile
from remarkwatch.parallel.helper import Helper, HelperDied
from remarkwatch.record.record import Rules

logger = logging.getLogger(__name__)
INLINE_FIRST = 40     # "auto": pages a run extracts in process before it starts the helpers
MAX_AUTO_WORKERS = 4
# One helper judges and writes: when this many pages wait for it, the reactor judges the next
# page itself (the helper then only writes it). On two cores the helper is the slower side, so
# sharing its work shortens a first crawl (docs/performance.md, bench/throughput_bench.py).
STEAL_AT = 12
# The same for every page of a source: sent to each helper once (parallel/helper.py).
SHARED = (Profile, Rules)


def auto_workers() -> int:
    """One worker per core but the one the reactor uses, at most MAX_AUTO_WORKERS."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(MAX_AUTO_WORKERS, cores - 1))


class ExtractPool:
    """One per crawl process, shared by its passes and sources; `shutdown()` when done.

    `db_path` (set by the pass) lets the pool write: without it the pool only judges pages."""

    def __init__(self, workers: int | str = "auto", job=None, db_path: str | None = None, write_job=None):
        self.job = job          # what an extraction helper runs (default monitor.prepare.judge_and_prepare)
        self.write_job = write_job  # what the writer helper runs (default monitor.writer.write)
        self.auto = workers == "auto"
        self.workers = auto_workers() if self.auto else int(workers)
        self.inline_first = INLINE_FIRST if self.auto else 0
        self.db_path = db_path
        self.extracted = 0                  # pages judged so far, in process or by helpers
        self.pooled = 0                     # of them, by helpers
        self._extractors: list[Helper] = []
        self._writer: Helper | None = None
        self._ready: asyncio.Future | None = None   # the helpers have imported everything

    @property
    def enabled(self) -> bool:
        return self.workers > 0

    @property
    def fused(self) -> bool:
        """One helper that judges and writes each page."""
        return self.workers == 1 and self.db_path is not None

    @property
    def writing(self) -> bool:
        """Whether the pass's captures go to the writer helper (`write`) from now on."""
        return self.db_path is not None and self._taking()

    def _taking(self) -> bool:
        """Whether helpers take pages: started, and ready unless pages wait for nothing ("auto")."""
        return self._ready is not None and (not self.inline_first or self._ready.done())

    def _new_extractor(self) -> Helper:
        return Helper("remarkwatch-extract", shared=SHARED)

    def _new_writer(self) -> Helper:
        from remarkwatch.parallel import writer
        return Helper("remarkwatch-writer", init=writer.init_process, initargs=(self.db_path,), shared=SHARED)

    def _start(self) -> None:
        from remarkwatch.parallel import prepare
        from remarkwatch.parallel import writer

        warming = []
        if not self.fused:
            self._extractors = [self._new_extractor() for _ in range(self.workers)]
            warming += [helper.call(prepare.warm) for helper in self._extractors]
        if self.db_path is not None:
            self._writer = self._new_writer()
            warming.append(self._writer.call(writer.warm))
        self._ready = asyncio.ensure_future(asyncio.gather(*warming, return_exceptions=True))

    def start_for(self, baseline: bool) -> None:
        """Start the helpers now, before a pass's first page, when it will need them anyway: a
        source's first pass, where every page is new. They import while the pass fetches its
        listing. A re-check is mostly answered 304 or with the same bytes, which need no judging,
        so it waits for INLINE_FIRST pages: a helper started early only adds its memory to a
        re-check (both measured in docs/performance.md)."""
        if self.enabled and self._ready is None and baseline:
            self._start()

    def _ready_now(self) -> bool:
        """Whether helpers take this page; starts them once the run has done enough itself."""
        if not self.enabled:
            return False
        if self._ready is None:
            if self.extracted <= self.inline_first:
                return False
            self._start()
        return self._taking()               # "auto": in process while the helpers start

    async def judge(self, capture: Capture, *, text, profile: Profile, fallback: Profile | None,
                    is_landing: bool, accepts_json: bool) -> Capture:
        """The capture judged and (by a helper) prepared; `text()` is only used in process. With
        one fused helper the judging is left to it (`judge_later`), done as the page is written."""
        self.extracted += 1
        if not self._ready_now():
            return judge(capture, text=text, profile=profile, fallback=fallback, is_landing=is_landing,
                         accepts_json=accepts_json)
        if self.fused:
            if self._writer.busy >= STEAL_AT:
                # The helper has pages waiting and the reactor has time: this one is judged here.
                from remarkwatch.parallel.prepare import prepare_capture
                return prepare_capture(judge(capture, text=text, profile=profile, fallback=fallback,
                                             is_landing=is_landing, accepts_json=accepts_json))
            self.pooled += 1
            capture.judge_later = (profile, fallback, is_landing, accepts_json)
            return capture
        self.pooled += 1
        from remarkwatch.parallel.prepare import judge_and_prepare

        body = capture.body
        while True:
            index = min(range(len(self._extractors)), key=lambda i: self._extractors[i].busy)
            helper = self._extractors[index]
            try:
                done = await helper.call(self.job or judge_and_prepare, capture, profile, fallback, is_landing,
                                         accepts_json)
                break
            except HelperDied as exc:
                self._replace_extractor(helper)
                if exc.started:
                    return died_on(capture, exc)
        done.body = body
        return done

    def _replace_extractor(self, helper: Helper) -> None:
        if helper in self._extractors:
            logger.warning("an extraction helper died; starting a new one")
            self._extractors[self._extractors.index(helper)] = self._new_extractor()

    async def record(self, capture: Capture, rules, run_id: int, now: str) -> tuple[str | None, str | None, Capture]:
        """Write one capture through the writer helper, judging it there first when that was left
        to it: (kind, None, capture as judged) or (None, the database error, capture). A helper
        that dies judging this page gets it recorded as `extract_error` by the next one; one that
        dies before starting it gets it again; one that dies writing an already judged capture is
        a database error."""
        from remarkwatch.parallel import writer

        while True:
            if self._writer is None or self._writer.dead:
                logger.warning("the archive writer helper ended; starting a new one")
                self._writer = self._new_writer()
            try:
                kind, error, judged = await self._writer.call(self.write_job or writer.write, capture, rules, run_id, now)
            except HelperDied as exc:
                if not exc.started:
                    continue
                if capture.judge_later is None:
                    return None, f"the archive writer process died ({exc})", capture
                capture = died_on(capture, exc)
                continue
            capture.outcome, capture.error, capture.missed = judged
            capture.judge_later = None
            return kind, error, capture

    async def flush(self) -> str | None:
        """Index the versions written since the last batch for search; None, or the error."""
        from remarkwatch.parallel import writer

        if self._writer is None or self._writer.dead:
            return None
        try:
            return await self._writer.call(writer.flush)
        except HelperDied as exc:
            return str(exc)

    def shutdown(self) -> None:
        for helper in [*self._extractors, *([self._writer] if self._writer else [])]:
            helper.shutdown()
        self._extractors, self._writer, self._ready = [], None, None


def died_on(capture: Capture, exc: Exception) -> Capture:
    """The capture of a page its helper died on: `extract_error`, with why."""
    capture.outcome, capture.error = items.EXTRACT_ERROR, f"the extraction worker died on this page ({exc})"
    capture.fields, capture.judge_later, capture.prepared = None, None, None
    return capture
