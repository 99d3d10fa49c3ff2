"""monitor/passes/autorecheck.py: `recheck = "auto"` learning from a real archive's edits, the budget
its host's sources share, and what `status` and `check-config` say about it (real SQLite files)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from remarkwatch.config import load_config
from remarkwatch.passes import autorecheck
from remarkwatch.passes.status import collect
from remarkwatch.storage import documents, schedule
from remarkwatch.storage.db import open_db

NOW = datetime(2026, 6, 1, tzinfo=timezone.utc)
DAY = timedelta(days=1)
SOURCE = """
[[sources]]
name = "{name}"
profile = "state.gov"
start_urls = ["https://{host}/press-releases/"]
recheck = {recheck}
delay_s = {delay}
"""


def config_file(tmp_path, *sources, db="a.db"):
    path = tmp_path / "rw.toml"
    path.write_text(f'db = "{db}"\n' + "".join(SOURCE.format(**s) for s in sources), encoding="utf-8")
    return load_config(path, env={})


def source(name, host="www.state.gov", recheck='"auto"', delay=5):
    return {"name": name, "host": host, "recheck": recheck, "delay": delay}


def archive(path, name: str, documents_n: int, edit_ages: list[timedelta]):
    """`documents_n` documents first seen over the last 100 days, the first ones edited at these ages."""
    db = open_db(path)
    with db.atomic():
        _fill(db, name, documents_n, edit_ages)
    return db


def _fill(db, name, documents_n, edit_ages):
    schedule.save_source_state(db, name, baseline_done_at=(NOW - 100 * DAY).isoformat())
    for i in range(documents_n):
        first = NOW - 100 * DAY * (i + 1) / documents_n
        doc = documents.create_document(db, {"source": name, "key": f"{name}-{i}", "url": f"https://x/{name}/{i}/",
                                             "first_seen": first.isoformat(), "last_seen": NOW.isoformat()})
        if i < len(edit_ages):
            db["changes"].insert({"document_id": doc, "kind": "edited", "changed_fields": "[]",
                                  "detected_at": (first + edit_ages[i]).isoformat()})


@pytest.mark.parametrize("edits, age, compare", [
    ([timedelta(days=d) for d in (8, 10, 12, 15, 20) * 40], 12 * DAY, "shorter"),   # late edits: a longer tail
    ([timedelta(minutes=m) for m in (10, 40, 90, 150) * 50], 10 * DAY, "longer"),    # early ones: a shorter one
])
def test_auto_learns_the_sources_edits_from_the_archive(tmp_path, edits, age, compare):
    config = config_file(tmp_path, source("learned"), source("usual", host="www.whitehouse.gov"))
    db = archive(tmp_path / "a.db", "learned", 2700, edits)
    usual_ages = [timedelta(minutes=m) for m in (15, 60, 120, 300, 900)] * 30 + [timedelta(days=d) for d in (3, 9, 30)] * 8
    archive(tmp_path / "a.db", "usual", 2700, usual_ages)
    learned = autorecheck.source_plan(db, config, config.source("learned"), NOW)
    usual = autorecheck.source_plan(db, config, config.source("usual"), NOW)
    assert learned.learned.edits_seen == len(edits) and learned.learned.documents == 2700
    ours, theirs = (p.plan.recheck.interval_s(age.total_seconds()) for p in (learned, usual))
    assert (ours < theirs) if compare == "shorter" else (ours > theirs)
    assert learned.plan.fits and learned.plan.requests_per_day["total"] <= learned.plan.budget_per_day


def test_sources_of_one_host_share_its_budget_and_a_pass_uses_the_plan(tmp_path):
    config = config_file(tmp_path, source("a"), source("b"), source("c", host="www.whitehouse.gov"),
                         source("d", recheck='[["*", "1d"]]'))
    db = archive(tmp_path / "a.db", "a", 100, [])
    plans = {s.name: autorecheck.source_plan(db, config, s, NOW) for s in config.sources}
    assert plans["a"].sharing == 3 and plans["c"].sharing == 1
    assert plans["a"].plan.budget_per_day == pytest.approx(17280 / 3)
    resolved = {s.name: s for s in autorecheck.resolve(db, config, config.sources, NOW)}
    assert resolved["a"].recheck == plans["a"].plan.recheck != config.source("a").recheck
    assert resolved["d"] is config.source("d")              # configured tiers stay as they are


def test_status_shows_the_budget_in_use_and_the_expected_delay(tmp_path):
    config = config_file(tmp_path, source("a"))
    db = archive(tmp_path / "a.db", "a", 500, [timedelta(hours=2)] * 30)
    report = collect(db, config, NOW)["sources"][0]["budget"]
    assert report["recheck"] == "auto" and report["edits_seen"] == 30 and report["fits"]
    assert 0 < report["requests_per_day"]["total"] <= report["budget_per_day"] == 17280
    assert 0 < report["expected_first_day_delay_min"] < report["expected_delay_min"]
    from remarkwatch.cli.render import budget_lines
    text = "\n".join(budget_lines(report))
    assert "of 17,280 requests a day" in text and "expected delay" in text


@pytest.mark.parametrize("recheck, delay, fix", [
    ('[["*", "15m"]]', 5, 'use recheck = "auto"'),           # 3,000 documents every 15 minutes
    ('"auto"', 300, "lengthen `schedule` or `sweep_days`"),   # 288 requests a day: not even the passes
])
def test_a_source_over_its_budget_is_told_how_to_fit(tmp_path, recheck, delay, fix):
    config = config_file(tmp_path, source("a", recheck=recheck, delay=delay))
    db = archive(tmp_path / "a.db", "a", 3000, [])
    report = autorecheck.report(db, config, config.source("a"), NOW)
    assert not report["fits"] and report["requests_per_day"]["total"] > report["budget_per_day"] * 0.9
    warning = autorecheck.over_budget(config.source("a"), report)
    assert warning.startswith("warning: source a: ") and fix in warning and f"{report['budget_per_day']:,}" in warning


@pytest.mark.parametrize("schedule, now, seconds", [
    ('"15m"', NOW, 900),
    ('"*/15 * * * *"', NOW + timedelta(minutes=14), 900),    # the next firing is a minute away
    ('"0 6,18 * * *"', NOW, 12 * 3600),
])
def test_the_pass_interval_of_a_schedule(tmp_path, schedule, now, seconds):
    path = tmp_path / "rw.toml"
    path.write_text(SOURCE.format(**source("a")) + f"schedule = {schedule}\n", encoding="utf-8")
    assert autorecheck.pass_interval_s(load_config(path, env={}).sources[0], now) == seconds


@pytest.mark.parametrize("others, share", [
    ([], 5.0),                                                   # alone: a sitemap index, one child, 2 REST, 1 feed
    ([source("b")], 2.5),                                        # one more source of the site: half each
    ([source("b"), source("c")], 5 / 3),
    ([source("b", host="2021-2025.state.gov")], 5.0),            # another host: its own signals
])
def test_a_sources_share_of_its_sites_signals(tmp_path, others, share):
    config = config_file(tmp_path, source("a"), *others)
    assert autorecheck.signal_requests(config.sources[0], config) == pytest.approx(share)


def test_sources_on_another_schedule_read_their_signals_in_their_own_passes(tmp_path):
    together = config_file(tmp_path, source("a"), source("b"))
    path = tmp_path / "rw.toml"
    path.write_text(path.read_text().replace('name = "b"', 'name = "b"\nschedule = "1h"'), encoding="utf-8")
    apart = load_config(path, env={})
    assert [autorecheck.signal_requests(s, apart) for s in apart.sources] == [5.0, 5.0]
    db = open_db(tmp_path / "a.db")
    costs = [autorecheck.source_plan(db, config, config.sources[0], NOW).plan.requests_per_day["passes"]
             for config in (together, apart)]
    passes_a_day = 288       # every 5 minutes (the default schedule)
    assert costs[1] - costs[0] == pytest.approx(2.5 * passes_a_day, abs=1)
