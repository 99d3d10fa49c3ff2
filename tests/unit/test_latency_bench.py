"""The latency benches' pure parts: the simulation's pass timing, uniform polling re-fitted to a
budget share, the statistics, and how the real-clock check reads the replica's log and the alerts."""
from __future__ import annotations

import math
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from latency_bench import DAY, Run, Settings, equal_requests, outcomes, stats, uniform_every  # noqa: E402
from latency_real import measured, passes_of, real_outcomes  # noqa: E402


@pytest.mark.parametrize("documents, spare, pass_s, expected", [
    (1000, 10_000, 900, 1000 * DAY / 10_000 - 450),    # each fetched every I + half a pass
    (10, 10_000, 900, 450),                            # never under half a pass: due at every pass
    (1000, 0, 900, math.inf),                          # no spare requests: never re-checked
    (1000, -5, 900, math.inf),
])
def test_uniform_every_spends_the_spare_requests(documents, spare, pass_s, expected):
    assert uniform_every(documents, spare, pass_s) == pytest.approx(expected)


def test_equal_requests_starts_at_the_share_and_corrects_by_the_miss():
    settings = Settings(days=10, delay=5)
    budget_total = 10 * DAY / 5
    first = equal_requests(settings, ([], {}, []), 86_400)
    assert first.uniform_share == pytest.approx(86_400 / budget_total)
    again = equal_requests(settings, ([], {}, []), 86_400, (first.uniform_share, 80_000))
    assert again.uniform_share == pytest.approx(first.uniform_share * 86_400 / 80_000)


@pytest.mark.parametrize("values, p50, p90, mean", [
    ([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 6, 10, 5.5),
    ([7], 7, 7, 7),
    ([3, 1, 2], 2, 3, 2),
])
def test_stats(values, p50, p90, mean):
    got = stats(values)
    assert (got.n, got.p50, got.p90, got.mean) == (len(values), p50, p90, mean)


def test_stats_of_nothing_is_nan():
    assert math.isnan(stats([]).mean) and stats([]).n == 0


@pytest.mark.parametrize("overhead, tail, fetched, alerted", [
    (0, 0, 905, 910),          # pass at 900: one listing request (5 s), then the due document
    (30, 12, 935, 952),        # its process starts 30 s late; its alerts arrive 12 s after it ends
])
def test_a_pass_fetches_after_its_start_and_alerts_after_its_end(overhead, tail, fetched, alerted):
    # One release there before the first pass, silently edited at 100 s; re-checked every minute.
    site = ([-10.0], {0: [(100.0, 1, False, 0)]}, [(100.0, 0, False, 0.0)])
    settings = Settings(days=1000 / DAY, delay=5, schedule="15m", listing_pages=1, signals=0,
                        tiers=((math.inf, 60.0),), overhead_s=overhead, tail_s=tail)
    run = Run("fixed", settings, site)
    run.run()
    [edit] = outcomes(run, 1000)
    assert (edit.fetched, edit.alerted) == (fetched, alerted)


def test_the_replica_log_splits_into_passes_at_robots_txt():
    log = [("/robots.txt", 100.0), ("/press-releases/", 100.5), ("/release-1/", 101.0),
           ("/robots.txt", 115.0), ("/press-releases/", 115.5)]
    passes = passes_of(log, speedup=60, zero=100.0)
    assert [[path for path, _ in p] for p in passes] == [["/robots.txt", "/press-releases/", "/release-1/"],
                                                         ["/robots.txt", "/press-releases/"]]
    assert passes[1][1][1] == pytest.approx(15.5 * 60)


@pytest.mark.parametrize("first_of_second, overhead", [
    (1020.0, 120.0),     # the previous pass ended at 210: the tick at 900 starts this one
    (2750.0, 1850.0),    # a stalled start: still from that tick, not the last one before it (1800)
])
def test_a_pass_start_up_counts_from_the_first_tick_after_the_previous_pass(first_of_second, overhead):
    passes = [[("/robots.txt", 150.0), ("/release-1/", 210.0)], [("/robots.txt", first_of_second)]]
    cost = measured(passes, arrivals=[], first_pass_s=0.0, pass_s=900.0)
    assert cost["overheads"] == (150.0, overhead)


def test_a_pass_cost_is_read_from_its_requests_and_the_alerts():
    # Ticks every 900 s from 0. Pass 1 starts 120 s after its tick, its alert comes 30 s after it ends.
    passes = [[("/robots.txt", 150.0), ("/press-releases/", 180.0), ("/release-1/", 210.0)],
              [("/robots.txt", 1020.0), ("/sitemap_index.xml", 1050.0), ("/release-2/", 1080.0)]]
    cost = measured(passes, arrivals=[1110.0], first_pass_s=0.0, pass_s=900.0)
    assert cost["overhead"] == 150.0 and cost["tail"] == 30.0      # the upper median of 150 and 120
    assert cost["fixed"] == 2 and cost["gap"] == pytest.approx(30.0) and cost["passes"] == 2


def test_alerts_are_matched_to_the_edit_whose_text_they_show():
    # Release 3: edited to V1 (edit 0), reverted, edited to V2 (edit 1). Release 4's edit 2 unseen.
    timelines = {3: [(60.0, 1, False, 0), (120.0, 0, False, -1), (300.0, 2, True, 1)], 4: [(90.0, 1, False, 2)]}
    edits = [(60.0, 3, False, 60.0), (300.0, 3, True, 0.0), (90.0, 4, False, 0.0)]
    applied = [(60.0, "edit", 3, 1, 1001.0), (120.0, "edit", 3, 0, 1002.0), (300.0, "edit", 3, 2, 1005.0),
               (90.0, "edit", 4, 1, 1001.5)]
    arrivals = [(1003.0, {"kind": "edited", "edits": [{"new": "filed as RW3V1 in"}]}, True),
                (1004.0, {"kind": "reverted", "edits": [{"new": "filed as RW3V0 in"}]}, True),
                (1007.0, {"kind": "edited", "edits": [{"new": "RW3V2"}]}, True)]
    got = real_outcomes((None, timelines, edits), applied, arrivals, speedup=60, zero=1000.0, window=400)
    assert got == {0: (False, 60.0, 180.0), 1: (True, 300.0, 420.0), 2: (False, 90.0, None)}
