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
budget, every day re-planned with the true document count). With uniform and auto both run, uniform
runs again with I solved so that it spends as many requests as auto did (`uniform_interval`).
Edits made in the last 8 days are left out of the figures (some policies would not have
re-checked them yet). bench/latency_real.py runs the core (`Settings`, `Run`, `outcomes`) against
the real daemon on a compressed clock, with a fixed tier list (policy `fixed`).
"""
from __future__ import annotations

import argparse
import bisect
import heapq
import math
import random
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from typing import NamedTuple

from remarkwatch.core import budget, editmodel
from remarkwatch.core.editmodel import DAY, PRIOR
from remarkwatch.core.recheck import DEFAULT, DEFAULT_SCHEDULE, Recheck, SourceSchedule, duration_s, sweep_phase, sweep_window

EPOCH = datetime(2026, 1, 1, tzinfo=timezone.utc)
POLICIES = ("uniform", "default", "auto", "optimal")
SIGNALS = 6         # state.gov profile: sitemap index + ~2 child sitemaps, 2 REST queries, 1 feed
SETTLE_S = 8 * DAY  # edits this close to the end are left out of the year's figures


@dataclass(frozen=True)
class Settings:
    """What a simulated run is given: the site's size and span, the host's budget, the passes."""
    days: float = 365.0
    documents: int = 10000
    delay: float = 5.0                 # seconds between requests to the host
    schedule: str = DEFAULT_SCHEDULE   # the project's default passes
    listing_pages: int = 2
    signals: int = SIGNALS             # signal requests a pass makes (uniform polling makes none)
    sweep_days: float = 7.0
    seed: int = 25
    overhead_s: float = 0.0            # from a pass's tick to its first request (its process starting)
    tail_s: float = 0.0                # from a pass's last request to its alerts arriving
    overheads: tuple = ()              # if given, each pass draws its overhead_s from these ...
    tails: tuple = ()                  # ... and its tail_s from these (measured passes)
    first_pass_s: float = 0.0          # the first pass's tick
    tiers: tuple | None = None         # policy `fixed`: these Recheck tiers
    uniform_share: float | None = None     # policy `uniform`: re-fitted daily to this share of the budget


def when(seconds: float) -> datetime:
    return EPOCH + timedelta(seconds=seconds)


def build_site(documents: int, days: float, model: editmodel.EditModel, seed: int, *, published=None):
    """Publication times, and per edited document its events (time, version, declared, edit no.).
    `published` (sorted seconds) replaces the times drawn uniformly over `days`."""
    rng = random.Random(seed)
    if published is None:
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


def uniform_every(documents: int, spare_per_day: float, pass_s: float) -> float:
    """The interval at which polling `documents` every I spends `spare_per_day` re-checks a day: a
    due page waits for the next pass (half a pass on average), so each is fetched every I + pass / 2."""
    if spare_per_day <= 0:
        return math.inf
    return max(pass_s / 2, documents * DAY / spare_per_day - pass_s / 2)


class Run:
    """One policy over the model site."""

    def __init__(self, policy: str, settings: Settings, site):
        self.policy, self.s = policy, settings
        self.published, self.events, self.edits = site
        self.delay = settings.delay
        self.pass_s = duration_s(settings.schedule)
        self.schedule = SourceSchedule(settings.schedule)
        self.signals = policy != "uniform"
        self.per_pass = settings.listing_pages + (settings.signals if self.signals else 0)
        self.sweep_days = settings.sweep_days if policy in ("default", "auto", "fixed") else None
        self.rng = random.Random(settings.seed + 1)
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
        self.pass_ends: list[float] = []     # when each pass's alerts arrive
        self.recheck = self._initial_rule()
        declared = [(t, doc) for doc, tl in self.events.items() for t, _, d, _ in tl if d]
        self.declared = sorted(declared)

    def _initial_rule(self) -> Recheck:
        if self.policy == "default":
            return DEFAULT
        if self.policy == "fixed":
            return Recheck(self.s.tiers)
        if self.policy == "uniform":
            if self.s.uniform_share:
                return self._planned(0.0)
            spare = DAY / self.delay - self.per_pass * DAY / self.pass_s - len(self.published) / self.s.days
            return Recheck(((math.inf, len(self.published) * DAY / spare),))
        return self._planned(0.0)

    def _planned(self, now: float) -> Recheck:
        seen = sum(1 for f in self.first_seen if f is not None)
        recent = sum(1 for f in self.first_seen if f is not None and f >= now - 30 * DAY)
        if self.policy == "optimal":     # knows the model and the final size
            site = budget.Site(DAY / self.delay, self.pass_s, self.per_pass, len(self.published),
                               len(self.published) / self.s.days, None)
            return budget.plan(PRIOR.masses(), site, fill=1.0, min_yield=0.0).recheck
        arrivals = recent / max(1.0, min(30.0, now / DAY)) if seen else 20.0
        if self.policy == "uniform":     # re-fitted as the site grows
            spare = self.s.uniform_share * DAY / self.delay - self.per_pass * DAY / self.pass_s - arrivals
            return Recheck(((math.inf, uniform_every(seen, spare, self.pass_s)),))
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

    def _chosen(self, start: float, clock: float, sweep) -> list[int]:
        """What a pass fetches, in order: new releases on the listing, documents a signal flagged,
        the due ones (oldest first), the sweep's share."""
        fetch = []
        while self.listed < len(self.published) and self.published[self.listed] <= clock:
            fetch.append(self.listed)
            self.listed += 1
        chosen = set(fetch)
        if self.signals:              # modified since the last check: fetched this pass
            while self.signalled_upto < len(self.declared) and self.declared[self.signalled_upto][0] <= start:
                t, doc = self.declared[self.signalled_upto]
                self.signalled_upto += 1
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
        return fetch

    def run(self) -> None:
        end, start, pass_no = self.s.days * DAY, self.s.first_pass_s, 0
        self.listed, self.signalled_upto = 0, 0
        last_start, next_plan = None, start + DAY
        while start < end:
            if (self.policy in ("auto", "optimal") or self.s.uniform_share) and start >= next_plan:
                self.replan(start)
                next_plan += DAY
            overhead = self.rng.choice(self.s.overheads) if self.s.overheads else self.s.overhead_s
            begun = start + overhead     # the pass's process asks what is due and reads the signals then
            sweep = sweep_window(last_start, when(begun), self.sweep_days) if self.sweep_days else ()
            last_start = when(begun)
            clock = begun + self.per_pass * self.delay
            self.requests += self.per_pass
            for doc in self._chosen(begun, clock, sweep):
                self.fetch(doc, clock, pass_no)
                clock += self.delay
            self.pass_ends.append(clock + (self.rng.choice(self.s.tails) if self.s.tails else self.s.tail_s))
            pass_no += 1
            nominal = self.schedule.next_due(when(start), when(start))
            step = (nominal - when(start)).total_seconds()
            start = start + step * max(1, math.ceil((clock - start) / step))


class Outcome(NamedTuple):
    """One edit as a run saw it (times in seconds; None when it was never seen)."""
    made: float
    declared: bool
    flip_s: float
    age: float               # of the release at the edit
    fetched: float | None    # the fetch that saw it
    alerted: float | None    # its alert's arrival (the end of that fetch's pass)


def outcomes(run: Run, upto_s: float) -> list[Outcome]:
    """Every edit made by `upto_s`, as the run saw it."""
    out = []
    for number, (t, doc, declared, flip) in enumerate(run.edits):
        if t > upto_s:
            continue
        seen = run.detected.get(number)
        fetched, alerted = (seen[0], run.pass_ends[seen[1]]) if seen else (None, None)
        out.append(Outcome(t, declared, flip, t - run.published[doc], fetched, alerted))
    return out


class Stats(NamedTuple):
    n: int
    p50: float
    p90: float
    p99: float
    mean: float


def stats(values: list[float]) -> Stats:
    """Percentiles (the value below which that share of the sorted values lies) and the mean."""
    if not values:
        return Stats(0, math.nan, math.nan, math.nan, math.nan)
    ordered = sorted(values)

    def pct(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]
    return Stats(len(ordered), pct(.5), pct(.9), pct(.99), sum(ordered) / len(ordered))


def minutes(values, q) -> str:
    return f"{getattr(stats(values), f'p{round(q * 100)}') / 60:.1f}"


def report(run: Run, settle_s: float, label: str | None = None) -> tuple[list[str], float]:
    rows = {"silent": [], "declared": []}
    by_age = {"first day": [], "1-7 days": [], "later": []}
    delivery, alerted, missed, flips, flips_caught, hour_flips, hour_caught = [], [], 0, 0, 0, 0, 0
    seen_all = outcomes(run, settle_s)
    for edit in seen_all:
        if edit.flip_s:
            flips += 1
            flips_caught += edit.fetched is not None
            if edit.flip_s >= 45 * 60:
                hour_flips += 1
                hour_caught += edit.fetched is not None
        if edit.fetched is None:
            missed += 1
            continue
        latency = edit.fetched - edit.made
        rows["declared" if edit.declared else "silent"].append(latency)
        delivery.append(edit.alerted - edit.fetched)
        if not edit.declared:
            alerted.append(edit.alerted - edit.made)
            by_age["first day" if edit.age < DAY else "1-7 days" if edit.age < 7 * DAY else "later"].append(latency)
    silent, declared = rows["silent"], rows["declared"]
    lines = [f"policy {label or run.policy}: silent p50 {minutes(silent, .5)} min, p90 {minutes(silent, .9)} min, "
             f"p99 {minutes(silent, .99)} min; declared p50 {minutes(declared, .5)} min, p90 "
             f"{minutes(declared, .9)} min, p99 {minutes(declared, .99)} min; missed {missed} of {len(seen_all)}; "
             f"requests {run.requests}"]
    mean = stats(silent).mean / 60
    ages = "; ".join(f"{k} p50 {minutes(v, .5)} p90 {minutes(v, .9)} min (n={len(v)})" for k, v in by_age.items())
    lines.append(f"  silent by age at edit: {ages}; silent mean {mean:.1f} min")
    lines.append(f"  flip-flops caught {flips_caught} of {flips} (lasting 45-60 min: {hour_caught} of {hour_flips}); "
                 f"alert delay added by delivery p50 {minutes(delivery, .5)} min, p90 {minutes(delivery, .9)} min "
                 f"(silent edit to alert p50 {minutes(alerted, .5)}, p90 {minutes(alerted, .9)} min)")
    lines.append(f"  tiers at the end: {run.recheck.spec()}")
    return lines, mean


def simulate(policy: str, settings: Settings, site, label: str | None = None) -> tuple[list[str], float, int]:
    """One policy in its own process: its report lines, its mean silent latency, its requests."""
    began = time.perf_counter()
    run = Run(policy, settings, site)
    run.run()
    lines, mean = report(run, settings.days * DAY - SETTLE_S, label)
    return lines + [f"  ({time.perf_counter() - began:.0f} s)"], mean, run.requests


def equal_requests(settings: Settings, site, requests: int, spent: tuple[float, int] | None = None) -> Settings:
    """Uniform polling's settings for spending `requests` in all, its interval re-fitted every day
    to a share of the budget: first the share `requests` is of the whole budget; given what an
    earlier share spent, that share scaled by how far it missed."""
    budget_total = settings.days * DAY / settings.delay
    share = requests / budget_total if spent is None else spent[0] * requests / spent[1]
    return replace(settings, uniform_share=share)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=float, default=365)
    parser.add_argument("--documents", type=int, default=10000)
    parser.add_argument("--delay", type=float, default=5.0, help="seconds between requests to the host")
    parser.add_argument("--schedule", default=DEFAULT_SCHEDULE, help="the pass interval (default: the project's)")
    parser.add_argument("--listing-pages", type=int, default=2)
    parser.add_argument("--sweep-days", type=float, default=7.0)
    parser.add_argument("--seed", type=int, default=25)
    parser.add_argument("--policies", default=",".join(POLICIES))
    parser.add_argument("--jobs", type=int, default=2, help="policies simulated at a time (processes)")
    args = parser.parse_args()
    settings = Settings(days=args.days, documents=args.documents, delay=args.delay, schedule=args.schedule,
                        listing_pages=args.listing_pages, sweep_days=args.sweep_days, seed=args.seed)
    site = build_site(args.documents, args.days, PRIOR, args.seed)
    print(f"model site: {args.documents} releases over {args.days:g} days, {len(site[2])} edits; one request "
          f"every {args.delay:g} s ({DAY / args.delay:,.0f} a day); passes every {args.schedule}", flush=True)
    policies = args.policies.split(",")
    with ProcessPoolExecutor(max_workers=min(args.jobs, len(policies))) as pool:
        results = dict(zip(policies, pool.map(simulate, policies, [settings] * len(policies), [site] * len(policies))))
    for lines, _, _ in results.values():
        print("\n".join(lines), flush=True)
    means = {policy: mean for policy, (_, mean, _) in results.items()}
    if {"uniform", "auto"} <= means.keys():
        # Uniform polling at auto's requests, not at the budget at the final size (which it
        # under-spends while the site grows): its interval re-fitted each day, at the share of the
        # budget that spends as many requests as auto did over the run.
        target = results["auto"][2]
        equal = equal_requests(settings, site, target)
        lines, means["equal"], spent = simulate("uniform", equal, site, "uniform at auto's requests")
        for _ in range(2):
            if abs(spent / target - 1) <= 0.01:
                break
            equal = equal_requests(settings, site, target, (equal.uniform_share, spent))
            lines, means["equal"], spent = simulate("uniform", equal, site, "uniform at auto's requests")
        print("\n".join(lines) + f"\n  ({equal.uniform_share:.1%} of the budget, re-fitted daily: {spent} requests "
              f"against auto's {target})", flush=True)
    if {"uniform", "auto", "optimal"} <= means.keys():
        print(f"silent mean: uniform / auto {means['uniform'] / means['auto']:.1f}x (uniform at the budget); "
              f"uniform / auto {means['equal'] / means['auto']:.1f}x at equal requests; auto / optimal "
              f"{means['auto'] / means['optimal']:.2f}x")


if __name__ == "__main__":
    main()
