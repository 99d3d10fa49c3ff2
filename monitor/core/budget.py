"""Pure: `recheck = "auto"`, the re-check tiers that spend a host's request budget where a source's
edits are, and what they are expected to cost and find.

One request per `delay_s` is the budget (5 s: 17,280 a day), shared by each pass's listing pages and
signals, the new releases, the sweep and the re-checks. What is left goes to the re-checks by the
square-root rule: an age bin whose documents are edited at rate h per document is re-checked every
I = sqrt(2 mu / h), which minimises the mean edit-to-check delay (sum of h I / 2) for a given number
of checks (sum of 1 / I); mu is the one that spends the budget. Cho and Garcia-Molina's
freshness-optimal refresh ("Effective page refresh policies for web crawlers", 2003) solves the
same Lagrangian for freshness; for delay the square root is the optimum. A re-check is planned only
when it is expected to find an edit at least once in 1 / MIN_YIELD tries, so a source that never
edits leaves its budget to its listings and new releases instead of fetching the same pages.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from remarkwatch.core.editmodel import BOUNDS, DAY, MINUTE
from remarkwatch.core.recheck import Recheck

MIN_YIELD = 1e-5     # a planned re-check finds an edit at least once in 100,000 tries
FILL = 0.9           # the share of the budget planned; the rest absorbs retries, missing pages, jitter
MAX_INTERVAL_S = 30 * DAY
GRID = tuple(s * MINUTE for s in (5, 10, 12, 15, 20, 30, 45, 60, 90, 120, 180, 240, 360, 480, 720, 1080, 1440,
                                   2160, 2880, 4320, 5760, 7200, 10080, 14400, 20160, 30240, 43200))


@dataclass(frozen=True)
class Site:
    """What the plan must fit: the source's share of its host's budget and its fixed costs."""
    budget_per_day: float          # requests a day this source may make (86,400 / delay_s, shared)
    pass_s: float                  # seconds between passes (the schedule)
    per_pass: float                # listing pages, and its share of the site's signals, a pass reads
    documents: int                 # in the archive now
    arrivals_per_day: float        # new releases a day
    sweep_days: float | None = 7.0  # every document re-fetched this often (None: no sweep)


@dataclass(frozen=True)
class Plan:
    recheck: Recheck
    requests_per_day: dict = field(default_factory=dict)   # passes, new, sweep, rechecks, total
    budget_per_day: float = 0.0
    mean_latency_s: float = 0.0        # expected edit-to-check delay of an edit, over all ages
    first_day_latency_s: float = 0.0   # ... of an edit in a release's first day
    fits: bool = True                  # the planned (or configured) requests are within the budget

    @property
    def spare_per_day(self) -> float:
        return self.budget_per_day - self.requests_per_day.get("total", 0.0)


def effective_s(interval: float, pass_s: float) -> float:
    """How often a document with this interval is really fetched: only passes fetch, so a due
    document waits for the next one (half a pass on average). Its next check counts from its
    fetch, which comes after the pass's start, so only under half a pass is it every pass."""
    return pass_s if interval <= pass_s / 2 else interval + pass_s / 2


def population(site: Site) -> list[float]:
    """Documents in each age bin, for releases arriving steadily up to the archive's size."""
    rate = site.arrivals_per_day / DAY
    left, out = float(site.documents), []
    for lo, hi in zip(BOUNDS, BOUNDS[1:]):
        if math.isinf(hi):
            n = left
        else:
            n = min(left, rate * (hi - lo)) if rate > 0 else 0.0
        out.append(n)
        left -= n
    return out


def fixed_costs(site: Site) -> dict:
    costs = {"passes": site.per_pass * DAY / site.pass_s, "new": site.arrivals_per_day,
             "sweep": site.documents / site.sweep_days if site.sweep_days else 0.0}
    return costs


def plan(masses, site: Site, *, fill: float = FILL, min_yield: float = MIN_YIELD, grid=GRID) -> Plan:
    """The tiers for expected edits per document `masses` (one per age bin) under `site`'s budget."""
    rates = [m / (hi - lo) if m > 0 and not math.isinf(hi) else 0.0
             for m, lo, hi in zip(masses, BOUNDS, BOUNDS[1:])]
    counts = population(site)
    costs = fixed_costs(site)
    spare = fill * site.budget_per_day - sum(costs.values())
    low = site.pass_s / 2       # due at every pass
    high = min(MAX_INTERVAL_S, site.sweep_days * DAY) if site.sweep_days else MAX_INTERVAL_S

    def intervals(mu: float) -> list[float]:
        return [min(high, max(low, math.sqrt(2 * mu / r), min_yield / r)) if r > 0 else high for r in rates]

    def cost(mu: float, snap: bool = False) -> float:
        chosen = intervals(mu)
        if snap:
            chosen = [_snap(i, grid, low, high) for i in chosen]
        return sum(n * DAY / effective_s(i, site.pass_s) for n, i in zip(counts, chosen))

    mu = _solve(lambda m: cost(m) - max(spare, 0.0))
    while cost(mu, snap=True) > max(spare, 0.0) and mu < 1e12:
        mu *= 1.25
    chosen = [_snap(i, grid, low, high) for i in intervals(mu)]
    return _outcome(masses, site, Recheck(_tiers(chosen)), chosen, fits=0 < spare and cost(mu, snap=True) <= spare)


def evaluate(masses, site: Site, recheck: Recheck) -> Plan:
    """What given tiers (a configured list) cost and find under `site`: `fits` when within budget."""
    ages = [hi / 2 if lo == 0 else lo if math.isinf(hi) else math.sqrt(lo * hi) for lo, hi in zip(BOUNDS, BOUNDS[1:])]
    chosen = [recheck.interval_s(age) for age in ages]
    outcome = _outcome(masses, site, recheck, chosen, fits=True)
    return Plan(recheck, outcome.requests_per_day, site.budget_per_day, outcome.mean_latency_s,
                outcome.first_day_latency_s, fits=outcome.requests_per_day["total"] <= site.budget_per_day)


def _outcome(masses, site: Site, recheck: Recheck, chosen: list[float], fits: bool) -> Plan:
    counts = population(site)
    costs = fixed_costs(site)
    costs["rechecks"] = sum(n * DAY / effective_s(i, site.pass_s) for n, i in zip(counts, chosen))
    costs["total"] = sum(costs.values())
    mean, first_day = _latency(masses, counts, chosen, site.pass_s)
    return Plan(recheck, {k: round(v) for k, v in costs.items()}, site.budget_per_day, mean, first_day, fits=fits)


def _solve(excess) -> float:
    """The smallest mu whose cost is within the budget (cost falls as mu grows)."""
    lo, hi = 1e-12, 1e12
    for _ in range(80):
        mid = math.sqrt(lo * hi)
        if excess(mid) > 0:
            lo = mid
        else:
            hi = mid
    return hi


def _snap(interval: float, grid, low: float, high: float) -> float:
    if interval <= low:
        return low
    if interval >= high:
        return high
    return min(grid, key=lambda g: abs(math.log(g / interval)))


def _tiers(chosen: list[float]) -> tuple[tuple[float, float], ...]:
    """Adjacent bins with the same interval make one tier; the last covers every age."""
    tiers: list[list[float]] = []
    for hi, every in zip(BOUNDS[1:], chosen):
        if tiers and tiers[-1][1] == every:
            tiers[-1][0] = hi
        else:
            tiers.append([hi, every])
    tiers[-1][0] = math.inf
    return tuple((age, every) for age, every in tiers)


def _latency(masses, counts, chosen, pass_s: float) -> tuple[float, float]:
    """Expected delay from an edit to the fetch that sees it: half the effective interval, weighed
    by the edits each bin holds (the bins the archive has documents in)."""
    weights = [m * (1.0 if n > 0 else 0.0) for m, n in zip(masses, counts)]
    if not any(weights):        # an empty archive: the delays its first documents will see
        weights = list(masses)
    delays = [effective_s(i, pass_s) / 2 for i in chosen]
    first = BOUNDS.index(DAY)

    def mean(w, d):
        total = sum(w)
        return sum(a * b for a, b in zip(w, d)) / total if total else 0.0
    return mean(weights, delays), mean(weights[:first], delays[:first])


PRIOR_ARRIVALS = 20.0     # new releases a day assumed before any are seen (state.gov: 15-30)
PRIOR_DAYS = 3.0          # ... weighed as this many days of observation


def arrivals_per_day(new: int, days_observed: float) -> float:
    """New releases a day: those seen in the last days, blended with the prior while they are few."""
    return (new + PRIOR_ARRIVALS * PRIOR_DAYS) / (max(days_observed, 0.0) + PRIOR_DAYS)
