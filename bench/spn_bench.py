"""Benchmark: drain a Save Page Now queue of N edits against the loopback SPN2 replica.

Run by hand:  .venv/bin/python bench/spn_bench.py [--edits 200] [--max-active 4] [--pending-polls 2]

Records N releases and an edit of each (through the real record(), with Save Page Now routed,
so each edit's request is written in its change's transaction), then runs queue rounds until
every request is saved: the rounds it took, the wall time, the replica's POSTs and status polls.
The archive's own cost per request is what this measures; the real service takes seconds to a
minute per capture, which `budget_s` and `max_active` bound.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from remarkwatch.crawler.items import OK, Capture, Extracted  # noqa: E402
from remarkwatch.demo.replica.spn import SaveReplica, SaveService  # noqa: E402
from remarkwatch.evidence.queue import send_queue  # noqa: E402
from remarkwatch.evidence.settings import SavePageNow  # noqa: E402
from remarkwatch.record.record import Rules, record  # noqa: E402
from remarkwatch.storage import spn  # noqa: E402
from remarkwatch.storage.db import open_db  # noqa: E402

ENV = {"REMARKWATCH_SPN_ACCESS": "access-key", "REMARKWATCH_SPN_SECRET": "secret-key"}


def build(db, edits: int) -> None:
    routes = (SavePageNow(enabled=True),)
    for n in range(edits):
        url = f"https://www.state.gov/briefings/briefing-{n}/"
        for i, word in enumerate(("forces", "refugees")):
            now = f"2026-12-02T10:0{i}:00+00:00"
            record(db, Capture(source="state", url=url, final_url=url, status=200, fetched_at=now, outcome=OK,
                               fields=Extracted(title=f"Briefing {n}", body_text=f"MR PRICE: We will send {word} today.")),
                   Rules(site="state.gov", channels=routes), None, now)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edits", type=int, default=200)
    parser.add_argument("--max-active", type=int, default=4)
    parser.add_argument("--pending-polls", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        db = open_db(Path(folder) / "bench.db")
        started = time.perf_counter()
        build(db, args.edits)
        recorded = time.perf_counter() - started
        service = SaveService(pending_polls=args.pending_polls)
        with SaveReplica(service) as replica:
            settings = SavePageNow(enabled=True, endpoint=replica.url, poll_s=0.01, min_interval_s=0,
                                   max_active=args.max_active, budget_s=30)
            rounds, started = 0, time.perf_counter()
            while spn.counts(db).get("saved", 0) < args.edits and rounds < 1000:
                send_queue(db, settings, user_agent="bench", env=ENV)
                rounds += 1
            drained = time.perf_counter() - started
        print(f"{args.edits} edits recorded with their requests in {recorded:.2f} s; queue drained in {drained:.2f} s "
              f"({rounds} round(s), {len(service.submissions)} POSTs, {service.polls} status polls, "
              f"max_active {args.max_active}): {drained / args.edits * 1000:.1f} ms a request; {spn.counts(db)}")


if __name__ == "__main__":
    main()
