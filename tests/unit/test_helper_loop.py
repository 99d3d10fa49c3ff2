"""A helper process's side of the socket pair, run in this process: `serve` answers its jobs in
the order sent, hands back a job's exception as the answer, turns an answer that cannot be
pickled into an error answer, and ends at the stop message or when the other end is gone.
A source's profile and rules are sent once and named by number after. Spawned helpers (and one
dying) are tests/integration/test_pool.py's."""
from __future__ import annotations

import multiprocessing
import operator
import os
import signal
import socket
import threading

import pytest

from remarkwatch.crawler.profiles import get_profile
from remarkwatch.parallel.helper import JobEncoder, serve
from remarkwatch.record.record import Rules

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


def test_a_shared_object_is_sent_once_and_the_same_object_serves_every_job(pipe):
    ours, theirs = pipe
    profile = get_profile("state.gov")
    encoder = JobEncoder(shared=(type(profile), Rules))
    # The rules are made anew for each page, as the pass makes them: equal, not the same object.
    jobs = [encoder.encode(remember, (profile, Rules(site="state.gov"), page)) for page in range(3)]
    assert [ahead for _, ahead in jobs] == [2, 0, 0]            # profile and rules, once
    assert all(len(data) < 200 for data, _ in jobs[1:]) and len(jobs[0][0]) > 1000
    wire = socket.socket(fileno=os.dup(ours.fileno()))
    wire.sendall(b"".join(data for data, _ in jobs))
    wire.close()
    ours.send(None)
    STARTED.clear()
    serve(theirs, None, ())
    assert answers(ours, 5) == [(True, True)] * 2 + [(True, None)] * 3
    assert [page for _, _, page in STARTED] == [0, 1, 2]
    first = STARTED[0]
    assert first[0] == profile and first[1] == Rules(site="state.gov")
    assert all(job[0] is first[0] and job[1] is first[1] for job in STARTED)
