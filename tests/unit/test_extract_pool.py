"""The extraction pool's decisions, in process: when helpers start ("auto" waits for INLINE_FIRST
pages, a first pass starts them at once, 0 never), which helper takes a page, when one fused helper
is left the judging or the reactor takes a page back, and what a helper dying costs. The helpers
here run each job in this process, on a pickled copy as a helper process would see it; spawned
helpers are tests/integration/test_pool.py's."""
from __future__ import annotations

import asyncio
import pickle

import pytest

from remarkwatch.crawler import items
from remarkwatch.crawler.items import Capture
from remarkwatch.crawler.profiles import get_profile
from remarkwatch.parallel import writer
from remarkwatch.parallel.helper import HelperDied
from remarkwatch.parallel.pool import INLINE_FIRST, STEAL_AT, ExtractPool
from remarkwatch.parallel.prepare import judge_and_prepare
from remarkwatch.record.record import Rules
from remarkwatch.storage import runs
from remarkwatch.storage.db import open_db
from tests.unit.conftest import URL, release_page

PROFILE = get_profile("state.gov")
NOW = "2026-01-10T00:00:00+00:00"


class InlineHelper:
    """parallel/helper.py's Helper as the pool uses it, each job run here on a pickled copy."""

    def __init__(self, name: str, init=None, initargs: tuple = ()):
        self.name, self.busy, self.dead, self.jobs = name, 0, False, []
        if init is not None:
            init(*initargs)

    def call(self, func, *args) -> asyncio.Future:
        future = asyncio.get_event_loop().create_future()
        self.jobs.append(getattr(func, "__name__", func))
        try:
            answer = pickle.loads(pickle.dumps(func(*pickle.loads(pickle.dumps(args)))))
        except HelperDied as exc:
            self.dead = True
            future.set_exception(exc)
        else:
            future.set_result(answer)
        return future

    def shutdown(self) -> None:
        self.dead = True


class InlinePool(ExtractPool):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.made: list[InlineHelper] = []

    def _new_extractor(self):
        self.made.append(InlineHelper("remarkwatch-extract"))
        return self.made[-1]

    def _new_writer(self):
        self.made.append(InlineHelper("remarkwatch-writer", writer.init_process, (self.db_path,)))
        return self.made[-1]


def page() -> Capture:
    return Capture(source="state", url=URL, final_url=URL, status=200, fetched_at=NOW, outcome=items.OK,
                   body=release_page(), content_type="text/html; charset=utf-8")


async def judge(pool: ExtractPool, capture: Capture) -> Capture:
    body = capture.body
    return await pool.judge(capture, text=lambda: body.decode(), profile=PROFILE, fallback=None, is_landing=False,
                            accepts_json=False)


def judge_pages(pool: ExtractPool, count: int, baseline: bool = False) -> list[Capture]:
    async def go():
        pool.start_for(baseline)
        done = []
        for _ in range(count):
            done.append(await judge(pool, page()))
            await asyncio.sleep(0)      # the reactor's loop turns between pages
        return done
    return asyncio.run(go())


# "auto" waits for INLINE_FIRST pages; judged here with a threshold of 3 (each page costs a judging).
FIRST = 3


@pytest.mark.parametrize("workers, pages, baseline, pooled, helpers", [
    (0, 3, True, 0, 0),                               # 0: everything in process
    ("auto", FIRST, False, 0, 0),                     # a small re-check never starts a process
    ("auto", FIRST + 3, False, 2, None),              # started after FIRST pages; in process while they warm
    ("auto", 3, True, 2, None),                       # a first pass starts them before its first page
    (2, 3, False, 3, 2),                              # a number: helpers from the first page
])
def test_when_pages_go_to_helpers(workers, pages, baseline, pooled, helpers):
    pool = InlinePool(workers)
    assert pool.inline_first == (INLINE_FIRST if workers == "auto" else 0)
    pool.inline_first = min(pool.inline_first, FIRST)
    done = judge_pages(pool, pages, baseline)
    assert (pool.extracted, pool.pooled) == (pages, pooled)
    assert len(pool.made) == (pool.workers if helpers is None else helpers)
    assert {c.outcome for c in done} == {items.OK} and all(c.body == release_page() for c in done)
    assert all(c.prepared is not None for c in done[pages - pooled:])    # a helper prepares what it judges


def test_the_least_busy_helper_takes_the_page():
    pool = InlinePool(3)
    judge_pages(pool, 1)
    pool.made[0].busy, pool.made[1].busy, pool.made[2].busy = 4, 1, 2
    judge_pages(pool, 1)
    # Each warmed once; the first page went to the first (all idle), the second to the least busy.
    assert [len(h.jobs) for h in pool.made] == [2, 2, 1]


@pytest.mark.parametrize("waiting, left_to_helper", [(0, True), (STEAL_AT - 1, True), (STEAL_AT, False)])
def test_one_fused_helper_is_left_the_judging_until_pages_wait_for_it(archive_path, waiting, left_to_helper):
    pool = InlinePool(1, db_path=str(archive_path))
    judge_pages(pool, 1, baseline=True)          # starts the writer helper
    pool._writer.busy = waiting
    capture, = judge_pages(pool, 1)
    assert pool.fused and pool.writing
    assert (capture.judge_later is not None) is left_to_helper
    assert (capture.fields is None) is left_to_helper and (capture.prepared is None) is left_to_helper


def dies(started: bool, times: int = 1):
    """A job whose helper dies under it `times` times, then judges as the real one."""
    left = [times]

    def job(capture, *args):
        if left[0]:
            left[0] -= 1
            raise HelperDied("the remarkwatch-extract process died (exit code -9)", started=started)
        return judge_and_prepare(capture, *args)
    return job


@pytest.mark.parametrize("started, outcome, error", [
    (True, items.EXTRACT_ERROR, "the extraction worker died on this page"),   # it may be what killed it
    (False, items.OK, None),                                                  # never started: sent again
])
def test_a_helper_dying_costs_at_most_its_page(started, outcome, error):
    pool = InlinePool(2, job=dies(started))
    capture, = judge_pages(pool, 1)
    assert capture.outcome == outcome and (error or "") in (capture.error or "")
    assert len(pool.made) == 3 and pool.made[0].dead     # the dead helper was replaced


@pytest.fixture
def writing(archive_path):
    db = open_db(archive_path)
    run_id = runs.start_run(db, ["state"], NOW)

    def record(capture: Capture, write_job=None):
        pool = InlinePool(2, db_path=str(archive_path), write_job=write_job)
        return asyncio.run(pool.record(capture, Rules(site="state.gov"), run_id, NOW)), pool
    record.db = db
    return record


def write_dies(started: bool, times: int = 1):
    left = [times]

    def job(*args):
        if left[0]:
            left[0] -= 1
            raise HelperDied("the remarkwatch-writer process died (exit code -9)", started=started)
        return writer.write(*args)
    return job


@pytest.mark.parametrize("judge_later, started, kind, outcome, error", [
    (True, False, "new", items.OK, None),                       # died before starting it: written by the next
    (True, True, "failed", items.EXTRACT_ERROR, None),          # died judging it: recorded as extract_error
    (False, True, None, items.OK, "the archive writer process died"),   # died writing it: a database error
])
def test_the_writer_helper_dying(writing, judge_later, started, kind, outcome, error):
    capture = page()
    if judge_later:
        capture.judge_later = (PROFILE, None, False, False)
    else:
        capture = judge_and_prepare(capture, PROFILE, None, False, False)
        capture.body = release_page()
    (got_kind, got_error, judged), pool = writing(capture, write_dies(started))
    assert (got_kind, judged.outcome) == (kind, outcome)
    assert (error or "") in (got_error or "") and (got_error is None) is (error is None)
    assert judged.judge_later is None
    written = writing.db.execute("SELECT outcome FROM captures").fetchall()
    assert written == ([] if error else [(outcome,)])
