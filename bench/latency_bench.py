"""Benchmark: edit-to-alert latency under a per-host request budget, on a virtual clock.

Run by hand:  .venv/bin/python bench/latency_bench.py [--days 365] [--documents 10000] [--delay 5]

A model site publishes `--documents` releases over `--days` (10,000 in a year: 27 a day) and edits
them as remarkwatch.core.editmodel says (the research's figures). One host, one request every
`--delay` seconds, shared by each pass's listing pages and signals, the new releases, the sweep
and the re-checks. The passes run the project's own scheduling code: each document's next check
is `Recheck.next_check` (with its jitter), the sweep's share of a pass is `recheck.sweep_window`
and `sweep_phase`, the `auto` tiers are `budget.plan(editmodel.learn(...))` re-planned each
simulated day from the edits the passes saw (documents rescheduled when the tiers change, as
`passes/book.py` does). The due documents of a
pass are those whose next check is at or before the pass's start, oldest first: the clause of
`storage/schedule.due_documents`. A pass starts at its schedule's tick; a tick that comes while a
pass runs is skipped (the daemon's max_instances=1); alerts go out when the pass ends.

Policies at the same budget: `uniform` (every document every I, I chosen to fit the budget at the
final size, no signals: urlwatch and changedetection.io), `default` (the hand-set tiers),
`auto`, and `optimal` (the square-root allocation for the true edit model, no sweep, all of the
budget, every day re-planned with the true document count). Edits made in the last 8 days are
left out of the figures (some policies would not have re-checked them yet).
"""
from __future__ import annotations

import argparse
import bisect
import heapq
import math
import random
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime, timedelta, timezone

from remarkwatch.core import budget, editmodel
from remarkwatch.core.editmodel import DAY, PRIOR
from remarkwatch.core.recheck import DEFAULT, Recheck, SourceSchedule, duration_s, sweep_phase, sweep_window

EPOCH = datetime(2026, 1, 1, tzinfo=timezone.utc)
POLICIES = ("uniform", "default", "auto", "optimal")
SIGNALS = 6         # state.gov profile: sitemap index + ~2 child sitemaps, 2 REST queries, 1 feed


def when(seconds: float) -> datetime:
    return EPOCH + timedelta(seconds=seconds)


def build_site(documents: int, days: float, model: editmodel.EditModel, seed: int):
    """Publication times, and per edited document its events (time, version, declared, edit no.)."""
    rng = random.Random(seed)
    published = sorted(rng.uniform(0, days * DAY) for _ in range(documents))
    events, edits = {}, []          # edits: (time, doc, declared, flip_s or 0)
    for doc, pub in enumerate(published):
        if rng.random() >= model.edited_share:
            continue
        ages = [model.sample_age(rng)]
        if rng.random() < model.second_share:
            ages.append(ages[0] + model.sample_age(rng))
        timeline, version = [], 0
        for age in ages:
            declared = rng.random() < model.declared_share
            flip = rng.uniform(300, 3600) if rng.random() < model.flip_share else 0.0
            before, version = version, version + 1
            timeline.append((pub + age, version, declared, len(edits)))
            edits.append((pub + age, doc, declared, flip))
            if flip:
                timeline.append((pub + age + flip, before, declared, -1))
        timeline.sort()
        events[doc] = timeline
    return published, events, edits


class Run:
    """One policy over the model site."""

    def __init__(self, policy: str, args, site):
        self.policy, self.args = policy, args
        self.published, self.events, self.edits = site
        self.delay = args.delay
        self.pass_s = duration_s(args.schedule)
        self.schedule = SourceSchedule(args.schedule)
        self.signals = policy != "uniform"
        self.per_pass = args.listing_pages + (SIGNALS if self.signals else 0)
        self.sweep_days = args.sweep_days if policy in ("default", "auto") else None
        self.rng = random.Random(args.seed + 1)
        n = len(self.published)
        self.first_seen = [None] * n
        self.first_seen_at = [None] * n      # the same as datetimes, for Recheck.next_check
        self.last_checked = [0.0] * n
        self.seen_version = [0] * n
        self.event_at = [0] * n
        self.stamp = [0] * n
        self.heap: list = []
        self.by_phase = sorted((sweep_phase(doc + 1), doc) for doc in range(n))   # archive ids start at 1
        self.detected = {}             # edit no. -> (fetch time, pass no.)
        self.first_edit_age = {}       # doc -> age at its first detected edit (what `auto` learns)
        self.requests = 0
        self.pass_ends: list[float] = []
        self.recheck = self._initial_rule()
        declared = [(t, doc) for doc, tl in self.events.items() for t, _, d, _ in tl if d]
        self.declared = sorted(declared)

    def _initial_rule(self) -> Recheck:
        if self.policy == "default":
            return DEFAULT
        if self.policy == "uniform":
            spare = DAY / self.delay - self.per_pass * DAY / self.pass_s - len(self.published) / self.args.days
            return Recheck(((math.inf, len(self.published) * DAY / spare),))
        return self._planned(0.0)

    def _planned(self, now: float) -> Recheck:
        seen = sum(1 for f in self.first_seen if f is not None)
        recent = sum(1 for f in self.first_seen if f is not None and f >= now - 30 * DAY)
        if self.policy == "optimal":     # knows the model and the final size
            site = budget.Site(DAY / self.delay, self.pass_s, self.per_pass, len(self.published),
                               len(self.published) / self.args.days, None)
            return budget.plan(PRIOR.masses(), site, fill=1.0, min_yield=0.0).recheck
        arrivals = recent / max(1.0, min(30.0, now / DAY)) if seen else 20.0
        site = budget.Site(DAY / self.delay, self.pass_s, self.per_pass, seen, arrivals, self.sweep_days)
        learned = editmodel.learn(list(self.first_edit_age.values()), seen)
        return budget.plan(learned.masses, site).recheck

    def _schedule_doc(self, doc: int, now: float) -> None:
        nxt = (self.recheck.next_check(self.first_seen_at[doc], when(now), self.rng) - EPOCH).total_seconds()
        if self.policy == "uniform" and self.first_seen[doc] == now:
            # A cron run of every watched page meets a new page at a random point of its cycle.
            nxt = now + self.rng.uniform(0, self.recheck.tiers[0][1])
        self.stamp[doc] += 1
        heapq.heappush(self.heap, (nxt, doc, self.stamp[doc]))

    def fetch(self, doc: int, now: float, pass_no: int) -> None:
        self.requests += 1
        timeline = self.events.get(doc)
        if timeline is not None:
            i, version, fresh = self.event_at[doc], self.seen_version[doc], []
            while i < len(timeline) and timeline[i][0] <= now:
                fresh.append(timeline[i])
                version = timeline[i][1]
                i += 1
            self.event_at[doc] = i
            if self.first_seen[doc] is not None and version != self.seen_version[doc]:
                made = [e for e in fresh if e[3] >= 0 and e[1] == version]
                if made:
                    self.detected[made[-1][3]] = (now, pass_no)
                    self.first_edit_age.setdefault(doc, now - self.first_seen[doc])
            self.seen_version[doc] = version
        if self.first_seen[doc] is None:
            self.first_seen[doc] = now
            self.first_seen_at[doc] = when(now)
        self.last_checked[doc] = now
        self._schedule_doc(doc, now)

    def replan(self, now: float) -> None:
        rule = self._planned(now)
        if rule.spec() == self.recheck.spec():
            return
        self.recheck, self.heap = rule, []
        for doc, first in enumerate(self.first_seen):
            if first is not None:      # book.py: next_check(first_seen, last_checked or now)
                nxt = rule.next_check(self.first_seen_at[doc], when(self.last_checked[doc]), self.rng)
                self.stamp[doc] += 1
                self.heap.append(((nxt - EPOCH).total_seconds(), doc, self.stamp[doc]))
        heapq.heapify(self.heap)

    def run(self) -> None:
        end, start, pass_no, listed, signalled_upto = self.args.days * DAY, 0.0, 0, 0, 0
        last_start, next_plan = None, DAY
        while start < end:
            if self.policy in ("auto", "optimal") and start >= next_plan:
                self.replan(start)
                next_plan += DAY
            clock, fetch = start, []
            sweep = sweep_window(last_start, when(start), self.sweep_days) if self.sweep_days else ()
            last_start = when(start)
            clock += self.per_pass * self.delay
            self.requests += self.per_pass
            while listed < len(self.published) and self.published[listed] <= clock:
                fetch.append(listed)      # new releases on the listing pages
                listed += 1
            chosen = set(fetch)
            if self.signals:              # modified since the last check: fetched this pass
                while signalled_upto < len(self.declared) and self.declared[signalled_upto][0] <= start:
                    t, doc = self.declared[signalled_upto]
                    signalled_upto += 1
                    if self.first_seen[doc] is not None and t > self.last_checked[doc] and doc not in chosen:
                        fetch.append(doc)
                        chosen.add(doc)
            while self.heap and self.heap[0][0] <= start:
                _, doc, stamp = heapq.heappop(self.heap)
                if stamp == self.stamp[doc] and doc not in chosen:
                    fetch.append(doc)
                    chosen.add(doc)
            for low, high in sweep:       # the sweep's share: documents whose phase has come
                first, last = bisect.bisect_left(self.by_phase, (low, -1)), bisect.bisect_left(self.by_phase, (high, -1))
                fetch.extend(d for _, d in self.by_phase[first:last] if d not in chosen and self.first_seen[d] is not None)
            for doc in fetch:
                self.fetch(doc, clock, pass_no)
                clock += self.delay
            self.pass_ends.append(clock)
            pass_no += 1
            nominal = self.schedule.next_due(when(start), when(start))
            step = (nominal - when(start)).total_seconds()
            start = start + step * max(1, math.ceil((clock - start) / step))


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def minutes(values, q) -> str:
    return f"{pct(values, q) / 60:.1f}"


def report(run: Run, settle_s: float) -> tuple[list[str], float]:
    rows = {"silent": [], "declared": []}
    by_age = {"first day": [], "1-7 days": [], "later": []}
    delivery, alerted, missed, counted, flips, flips_caught, hour_flips, hour_caught = [], [], 0, 0, 0, 0, 0, 0
    for number, (t, doc, declared, flip) in enumerate(run.edits):
        if t > settle_s:
            continue
        counted += 1
        seen = run.detected.get(number)
        if flip:
            flips += 1
            flips_caught += seen is not None
            if flip >= 45 * 60:
                hour_flips += 1
                hour_caught += seen is not None
        if seen is None:
            missed += 1
            continue
        latency = seen[0] - t
        rows["declared" if declared else "silent"].append(latency)
        delivery.append(run.pass_ends[seen[1]] - seen[0])
        if not declared:
            alerted.append(run.pass_ends[seen[1]] - t)
            age = t - run.published[doc]
            by_age["first day" if age < DAY else "1-7 days" if age < 7 * DAY else "later"].append(latency)
    silent, declared = rows["silent"], rows["declared"]
    lines = [f"policy {run.policy}: silent p50 {minutes(silent, .5)} min, p90 {minutes(silent, .9)} min, "
          f"p99 {minutes(silent, .99)} min; declared p50 {minutes(declared, .5)} min, p90 "
          f"{minutes(declared, .9)} min, p99 {minutes(declared, .99)} min; missed {missed} of {counted}; "
          f"requests {run.requests}"]
    mean = sum(silent) / len(silent) / 60 if silent else float("nan")
    ages = "; ".join(f"{k} p50 {minutes(v, .5)} p90 {minutes(v, .9)} min (n={len(v)})" for k, v in by_age.items())
    lines.append(f"  silent by age at edit: {ages}; silent mean {mean:.1f} min")
    lines.append(f"  flip-flops caught {flips_caught} of {flips} (lasting 45-60 min: {hour_caught} of {hour_flips}); "
          f"alert delay added by delivery p50 {minutes(delivery, .5)} min, p90 {minutes(delivery, .9)} min "
          f"(silent edit to alert p50 {minutes(alerted, .5)}, p90 {minutes(alerted, .9)} min)")
    lines.append(f"  tiers at the end: {run.recheck.spec()}")
    return lines, mean


def simulate(policy: str, args, site) -> tuple[list[str], float]:
    """One policy in its own process: its report lines and its mean silent latency."""
    began = time.perf_counter()
    run = Run(policy, args, site)
    run.run()
    lines, mean = report(run, args.days * DAY - 8 * DAY)
    return lines + [f"  ({time.perf_counter() - began:.0f} s)"], mean


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=float, default=365)
    parser.add_argument("--documents", type=int, default=10000)
    parser.add_argument("--delay", type=float, default=5.0, help="seconds between requests to the host")
    parser.add_argument("--schedule", default="15m", help="the pass interval")
    parser.add_argument("--listing-pages", type=int, default=2)
    parser.add_argument("--sweep-days", type=float, default=7.0)
    parser.add_argument("--seed", type=int, default=25)
    parser.add_argument("--policies", default=",".join(POLICIES))
    parser.add_argument("--jobs", type=int, default=2, help="policies simulated at a time (processes)")
    args = parser.parse_args()
    site = build_site(args.documents, args.days, PRIOR, args.seed)
    print(f"model site: {args.documents} releases over {args.days:g} days, {len(site[2])} edits; one request "
          f"every {args.delay:g} s ({DAY / args.delay:,.0f} a day); passes every {args.schedule}", flush=True)
    policies = args.policies.split(",")
    with ProcessPoolExecutor(max_workers=min(args.jobs, len(policies))) as pool:
        results = list(pool.map(simulate, policies, [args] * len(policies), [site] * len(policies)))
    means = {}
    for policy, (lines, mean) in zip(policies, results):
        print("\n".join(lines), flush=True)
        means[policy] = mean
    if {"uniform", "auto", "optimal"} <= means.keys():
        print(f"silent mean: uniform / auto {means['uniform'] / means['auto']:.1f}x; auto / optimal "
              f"{means['auto'] / means['optimal']:.2f}x")


if __name__ == "__main__":
    main()
