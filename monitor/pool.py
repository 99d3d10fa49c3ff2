"""Pages judged and extracted in worker processes, so a crawl uses every core.

The reactor fetches; a `ProcessPoolExecutor` of `extract_workers` processes judges each page and
does the CPU side of recording it (`monitor.prepare`); the archive writer only writes. With
`extract_workers = "auto"` (the default) the pool has one process per core but one (at most 4)
and starts only once a run has extracted `INLINE_FIRST` pages itself: a small pass never pays
for starting a process, and pages are extracted in process until the workers are ready. A
number asks for that many from the first page; 0 keeps everything in process.

A worker that dies (a page that crashes the parser, the kernel's OOM killer) costs that page
only: it is recorded as `extract_error` with the reason, and a new pool is started.
"""
from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from crawler import items
from crawler.classify import judge
from crawler.items import Capture
from crawler.profiles import Profile

logger = logging.getLogger(__name__)
INLINE_FIRST = 100     # "auto": pages a run extracts in process before it starts the workers
MAX_AUTO_WORKERS = 4


def auto_workers() -> int:
    """One worker per core but the one the reactor and the writer use, at most MAX_AUTO_WORKERS."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(MAX_AUTO_WORKERS, cores - 1))


class ExtractPool:
    """One per crawl process, shared by its passes and sources; `shutdown()` when done."""

    def __init__(self, workers: int | str = "auto", job=None):
        self.job = job          # the function a worker runs (default monitor.prepare.judge_and_prepare)
        self.auto = workers == "auto"
        self.workers = auto_workers() if self.auto else int(workers)
        self.inline_first = INLINE_FIRST if self.auto else 0
        self.extracted = 0                  # pages judged so far, in process or in the workers
        self.pooled = 0                     # of them, in the workers
        self._executor: ProcessPoolExecutor | None = None
        self._ready: Future | None = None   # the warm-up job: the workers have imported everything

    @property
    def started(self) -> bool:
        """Whether worker processes run (a pass this large also writes from a process)."""
        return self._executor is not None

    @property
    def enabled(self) -> bool:
        return self.workers > 0

    def _start(self) -> None:
        from monitor import prepare

        # spawn: a fresh interpreter, never a fork of a process that holds threads and a database.
        context = multiprocessing.get_context("spawn")
        self._executor = ProcessPoolExecutor(max_workers=self.workers, mp_context=context,
                                             initializer=prepare.init_worker)
        self._ready = self._executor.submit(prepare.warm)

    def _ready_now(self) -> bool:
        """Whether the workers take this page; starts them once the run has done enough itself."""
        if not self.enabled or self.extracted <= self.inline_first:
            return False
        if self._executor is None:
            self._start()
        if self.inline_first and not self._ready.done():
            return False                    # still starting: this page is extracted in process
        return True

    async def judge(self, capture: Capture, *, text, profile: Profile, fallback: Profile | None,
                    is_landing: bool, accepts_json: bool) -> Capture:
        """The capture judged and (in a worker) prepared; `text()` is only used in process."""
        self.extracted += 1
        if not self._ready_now():
            return judge(capture, text=text, profile=profile, fallback=fallback, is_landing=is_landing,
                         accepts_json=accepts_json)
        from monitor.prepare import judge_and_prepare

        body = capture.body
        self.pooled += 1
        try:
            future = self._executor.submit(self.job or judge_and_prepare, capture, profile, fallback, is_landing,
                                           accepts_json)
            done = await asyncio.wrap_future(future)
        except BrokenProcessPool as exc:
            self._restart()
            capture.outcome, capture.error = items.EXTRACT_ERROR, f"the extraction worker died on this page ({exc})"
            capture.fields = None
            return capture
        done.body = body
        return done

    def _restart(self) -> None:
        logger.warning("an extraction worker died; starting a new pool")
        executor, self._executor, self._ready = self._executor, None, None
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)

    def shutdown(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None
