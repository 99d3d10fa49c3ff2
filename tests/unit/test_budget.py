"""monitor/core/editmodel.py and monitor/core/budget.py: the edit model against the research's
figures, what `recheck = "auto"` learns from a source's edits, and that its plan fits the budget."""
from __future__ import annotations

import dataclasses
import math
import random

import pytest

from remarkwatch.core import budget
from remarkwatch.core.budget import Site, evaluate, plan
from remarkwatch.core.editmodel import DAY, HOUR, MINUTE, PRIOR, learn
from remarkwatch.core.recheck import DEFAULT, Recheck

STATE_GOV = Site(budget_per_day=17280, pass_s=900, per_pass=8, documents=10000, arrivals_per_day=27.4)


@pytest.mark.parametrize("age_s, share, within", [
    # research §5.1: feeds hold an item ~4 days; of the edits seen there, 30 % came within an hour,
    # half by 2.2-2.3 h and 94-96 % within a day
    (HOUR, 0.30, 0.04),
    (2.2 * HOUR, 0.50, 0.04),
    (DAY, 0.95, 0.025),
])
def test_the_prior_matches_the_edits_seen_in_the_feeds(age_s, share, within):
    assert PRIOR.cdf(age_s) / PRIOR.cdf(4 * DAY) == pytest.approx(share, abs=within)


def test_sampled_ages_follow_the_model():
    rng = random.Random(1)
    ages = [PRIOR.sample_age(rng) for _ in range(20000)]
    assert sum(a < DAY for a in ages) / len(ages) == pytest.approx(PRIOR.cdf(DAY), abs=0.01)
    assert sum(PRIOR.masses()) == pytest.approx(PRIOR.edited_share * (1 + PRIOR.second_share))


def ages(*days):
    return [d * DAY for d in days]


_rng = random.Random(7)
LIKE_THE_PRIOR = [PRIOR.sample_age(_rng) for _ in range(300)]     # 300 edited of 5,000 documents
LATE = ages(*[8, 10, 12, 15, 20, 25] * 50)                        # weeks after publication
EARLY = [m * MINUTE for m in [10, 30, 60, 90, 120, 180] * 50]      # within hours


@pytest.mark.parametrize("observed, age_s, compare", [
    (LATE, 14 * DAY, "shorter"),    # late edits keep documents re-checked often for longer: a longer tail
    (LATE, 20 * DAY, "shorter"),
    (LATE, 3 * HOUR, "longer"),     # ... paid for by the first hours, where this source's edits are not
    (EARLY, 3 * DAY, "longer"),     # edits within hours: the days after get less ...
    (EARLY, 14 * DAY, "longer"),
    (EARLY, 10 * HOUR, "shorter"),  # ... and the first hours more
])
def test_the_schedule_follows_the_sources_own_edits(observed, age_s, compare):
    site = dataclasses.replace(STATE_GOV, documents=5000)
    learned = plan(learn(observed, 5000).masses, site).recheck.interval_s(age_s)
    usual = plan(learn(LIKE_THE_PRIOR, 5000).masses, site).recheck.interval_s(age_s)
    assert (learned < usual) if compare == "shorter" else (learned > usual), (learned, usual)


def test_a_source_that_never_edits_leaves_its_budget_to_new_releases():
    site = Site(17280, 900, 8, 5000, 27.4)
    editing = plan(learn(ages(*[0.05, 0.1, 0.2, 1, 3] * 60), 5000).masses, site)
    silent = plan(learn([], 5000).masses, site)
    assert learn([], 5000).edited_share < 0.01
    assert silent.requests_per_day["rechecks"] < editing.requests_per_day["rechecks"] / 3
    assert silent.spare_per_day > 10000        # left for listings and new releases
    # what it still spends goes to the first hours, where a new release's edits would be
    assert silent.recheck.interval_s(HOUR) < silent.recheck.interval_s(10 * DAY)


@pytest.mark.parametrize("delay_s, documents, pass_s, per_pass, sweep_days", [
    (5, 10000, 900, 8, 7),
    (5, 100000, 900, 8, 30),
    (1, 2000, 300, 8, 7),
    (10, 500, 3600, 3, None),
    (30, 5000, 900, 8, 14),
])
def test_the_plan_fits_the_budget(delay_s, documents, pass_s, per_pass, sweep_days):
    site = Site(DAY / delay_s, pass_s, per_pass, documents, 27.4, sweep_days)
    planned = plan(PRIOR.masses(), site)
    assert planned.requests_per_day["total"] <= site.budget_per_day * budget.FILL + 1
    again = evaluate(PRIOR.masses(), site, planned.recheck)      # the same tiers, costed as configured ones
    assert again.fits and again.requests_per_day == planned.requests_per_day
    assert planned.recheck.tiers[-1][0] == math.inf
    assert all(every >= pass_s / 2 for _, every in planned.recheck.tiers)


@pytest.mark.parametrize("delay_s, documents, recheck, fits", [
    (5, 10000, DEFAULT, True),
    (60, 10000, DEFAULT, False),                           # 1,440 requests a day cannot do it
    (5, 10000, Recheck.parse([["*", "1h"]]), False),        # every document hourly: 240,000 a day
])
def test_configured_tiers_are_costed(delay_s, documents, recheck, fits):
    assert evaluate(PRIOR.masses(), Site(DAY / delay_s, 900, 8, documents, 27.4), recheck).fits is fits


def test_fixed_costs_over_the_budget_leave_no_room():
    site = Site(DAY / 60, 60, 8, 10000, 27.4)     # 11,520 requests a day of passes against 1,440
    planned = plan(PRIOR.masses(), site)
    assert not planned.fits
    assert all(every == 7 * DAY for _, every in planned.recheck.tiers)


def test_more_budget_means_shorter_delays():
    slow = plan(PRIOR.masses(), Site(DAY / 10, 900, 8, 10000, 27.4))
    fast = plan(PRIOR.masses(), Site(DAY / 2, 900, 8, 10000, 27.4))
    assert fast.mean_latency_s < slow.mean_latency_s
    assert fast.first_day_latency_s <= slow.first_day_latency_s


@pytest.mark.parametrize("new, days, expected", [
    (0, 0.0, budget.PRIOR_ARRIVALS),     # nothing seen yet: the prior
    (810, 30.0, 27.0),                   # a month of state.gov: its own rate, nearly
    (0, 30.0, 0.0),                      # a source that stopped publishing
])
def test_arrivals_blend_the_prior_with_what_was_seen(new, days, expected):
    assert budget.arrivals_per_day(new, days) == pytest.approx(expected, abs=2.0)
