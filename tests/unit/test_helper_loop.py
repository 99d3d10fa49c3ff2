"""A helper process's side of the socket pair, run in this process: `serve` answers its jobs in
the order sent, hands back a job's exception as the answer, turns an answer that cannot be
pickled into an error answer, and ends at the stop message or when the other end is gone.
Spawned helpers (and one dying) are tests/integration/test_pool.py's."""
from __future__ import annotations

import multiprocessing
import operator
import signal
import threading

import pytest

from remarkwatch.parallel.helper import serve

STARTED = []


def remember(*args) -> None:
    STARTED.append(args)


@pytest.fixture
def pipe():
    """Both ends of the socket pair; the signal dispositions `serve` changes are put back after."""
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    ours, theirs = multiprocessing.Pipe(duplex=True)
    yield ours, theirs
    for sig, handler in saved.items():
        signal.signal(sig, handler)
    ours.close()
    theirs.close()


def answers(conn, count: int) -> list:
    return [conn.recv() for _ in range(count)]


@pytest.mark.parametrize("jobs, expected", [
    ([(operator.add, (2, 3)), (operator.mul, (4, 5))], [(True, 5), (True, 20)]),
    ([(operator.truediv, (1, 0)), (len, ("abc",))], [(False, ZeroDivisionError), (True, 3)]),
    ([(threading.Lock, ())], [(False, RuntimeError)]),           # a lock cannot be pickled back
])
def test_jobs_are_answered_in_order_and_errors_are_answers(pipe, jobs, expected):
    ours, theirs = pipe
    for job in jobs:
        ours.send(job)
    ours.send(None)
    STARTED.clear()
    serve(theirs, remember, ("db.sqlite",))
    got = answers(ours, len(jobs))
    assert [(ok, value if ok else type(value)) for ok, value in got] == expected
    assert STARTED == [("db.sqlite",)]
    # SIGINT and SIGTERM are the crawling process's to handle: a helper finishes its pages.
    assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN and signal.getsignal(signal.SIGTERM) is signal.SIG_IGN


def test_a_helper_whose_crawling_process_is_gone_ends(pipe):
    ours, theirs = pipe
    ours.send((remember, ("last job",)))
    ours.close()          # the crawling process exits: the job already sent runs, its answer has nowhere to go
    STARTED.clear()
    serve(theirs, None, ())
    assert STARTED == [("last job",)]
