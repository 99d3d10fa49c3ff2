"""CPU-seconds of each test, subprocesses included: a pytest plugin that puts each xdist worker in a
cgroup of its own (cgroup v1 `cpuacct`, as root) and reads its usage around every test, so the
redis-servers, Chromiums, workers and forked crawls a test starts count for it. Run by hand:

    PYTHONPATH=bench python3 dev.py test -p suite_cpu      # writes /tmp/remarkwatch-suite-cpu.jsonl
    .venv/bin/python bench/suite_cpu.py                     # CPU and wall by file, heaviest first

Wall seconds of a suite run move with the host; CPU-seconds move less, so they say what a change
to the tests saved (docs/testing.md). Module fixtures count for the first test that uses them.
"""
from __future__ import annotations

import collections
import json
import os
import sys
import time

import pytest

BASE = "/sys/fs/cgroup/cpuacct"
OUT = os.environ.get("RW_SUITE_CPU", "/tmp/remarkwatch-suite-cpu.jsonl")
_group: str | None = None


def _usage() -> float:
    with open(os.path.join(_group, "cpuacct.usage")) as f:
        return int(f.read()) / 1e9


def pytest_configure(config):
    global _group
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker is None:
        if os.path.exists(OUT):
            os.remove(OUT)          # the controller starts the file afresh; workers append
        return
    try:
        group = os.path.join(BASE, f"remarkwatch-suite-{worker}")
        os.makedirs(group, exist_ok=True)
        with open(os.path.join(group, "cgroup.procs"), "w") as f:
            f.write(str(os.getpid()))
        _group = group
    except OSError as exc:
        print(f"suite_cpu: no cgroup for {worker} ({exc}): nothing measured", file=sys.stderr)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    if _group is None:
        yield
        return
    cpu, wall = _usage(), time.monotonic()
    yield
    row = {"test": item.nodeid, "cpu": _usage() - cpu, "wall": time.monotonic() - wall}
    with open(OUT, "a") as f:
        f.write(json.dumps(row) + "\n")


def report(path: str = OUT, top: int = 20) -> None:
    rows = [json.loads(line) for line in open(path)]
    files = collections.defaultdict(lambda: [0.0, 0.0, 0])
    for row in rows:
        totals = files[row["test"].split("::")[0]]
        totals[0] += row["cpu"]
        totals[1] += row["wall"]
        totals[2] += 1
    print(f"{len(rows)} tests: {sum(r['cpu'] for r in rows):.0f} CPU-seconds, {sum(r['wall'] for r in rows):.0f} "
          f"seconds of wall summed over the workers")
    for name, (cpu, wall, count) in sorted(files.items(), key=lambda kv: -kv[1][0])[:top]:
        print(f"{cpu:7.1f} cpu {wall:7.1f} wall {count:5d} tests  {name}")


if __name__ == "__main__":
    report(*sys.argv[1:2])
