"""`recheck = "auto"`: a source's re-check tiers planned at the start of each pass from its host's
request budget and the edits its archive has seen (core/budget.py, core/editmodel.py); and for any
source, what its schedule costs and is expected to find, for `status` and `check-config`."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Iterable, NamedTuple
from urllib.parse import urlsplit

from remarkwatch.config import Config, Source
from remarkwatch.core import budget
from remarkwatch.core.editmodel import DAY, Learned, learn
from remarkwatch.core.recheck import parse_time
from remarkwatch.storage import schedule as schedule_store
from remarkwatch.storage.checks import edit_history

WINDOW_DAYS = 30          # new releases a day are counted over this many days
MIN_DELAY_S = 1.0         # a source without a delay is planned as one request a second


class SourcePlan(NamedTuple):
    plan: budget.Plan
    learned: Learned
    sharing: int          # sources of the same host, which share its budget


def host(source: Source) -> str:
    return urlsplit(source.start_urls[0]).hostname or ""


def site_of(source: Source) -> tuple[str, str]:
    """A site, whose signals its sources share in a pass: the profile and the first start URL's host."""
    return source.profile.name, (urlsplit(source.start_urls[0]).netloc.lower() if source.start_urls else "")


def site_since(book, db, sources) -> dict[str, str]:
    """Per source, the earliest last pass of its site's sources in this pass: the site's sitemaps and
    REST queries are read once, from then, and each document is still compared with its own check.
    Read (on the pass's writer thread) before any source's start is recorded."""
    last = {s.name: book.write(schedule_store.source_state, db, s.name).result().get("last_started_at") for s in sources}
    earliest: dict[tuple, str] = {}
    for source in sources:
        if last[source.name]:
            earliest[site_of(source)] = min(last[source.name], earliest.get(site_of(source), last[source.name]))
    return {s.name: earliest[site_of(s)] for s in sources if site_of(s) in earliest}


def signal_requests(source: Source, config: Config | None = None) -> float:
    """This source's share of the requests a pass spends on its site's signals (a sitemap index and
    about one child each, REST, feeds): a pass reads each once for all the site's sources in it,
    counted here as the sources of the site on the same schedule (those due together)."""
    profile = source.profile
    total = 2 * len(profile.sitemaps) + len(profile.rest) + len(profile.feeds)
    together = sum(1 for other in (config.sources if config else ()) if site_of(other) == site_of(source)
                   and other.schedule.spec == source.schedule.spec)
    return total / max(together, 1)


def pass_interval_s(source: Source, now: datetime) -> float:
    """Seconds between two passes: the interval, or for a cron line the gap between its next two
    firings (its next one alone may be a minute away)."""
    first = source.schedule.next_due(now, now)
    return max(1.0, (source.schedule.next_due(first, first) - first).total_seconds())


def source_plan(db, config: Config, source: Source, now: datetime) -> SourcePlan:
    """The source's plan (for "auto") or the cost of its configured tiers, from its archive."""
    baseline = parse_time(schedule_store.source_state(db, source.name).get("baseline_done_at"))
    since = max(baseline, now - timedelta(days=WINDOW_DAYS)) if baseline else None
    history = edit_history(db, source.name, since.isoformat(timespec="seconds") if since else None)
    days = (now - since).total_seconds() / DAY if since else 0.0
    sharing = sum(1 for other in config.sources if host(other) == host(source))
    site = budget.Site(
        budget_per_day=DAY / max(source.delay_s, MIN_DELAY_S) / sharing,
        pass_s=pass_interval_s(source, now),
        per_pass=source.max_listing_pages * len(source.start_urls) + signal_requests(source, config),
        documents=history.documents, arrivals_per_day=budget.arrivals_per_day(history.new_since, days),
        sweep_days=source.sweep_days)
    learned = learn(history.first_edit_ages_s, history.documents)
    if source.recheck_auto:
        return SourcePlan(budget.plan(learned.masses, site), learned, sharing)
    return SourcePlan(budget.evaluate(learned.masses, site, source.recheck), learned, sharing)


def resolve(db, config: Config, sources: Iterable[Source], now: datetime) -> list[Source]:
    """The sources with "auto" given this pass's tiers (book.py reschedules when they change)."""
    return [replace(s, recheck=source_plan(db, config, s, now).plan.recheck) if s.recheck_auto else s
            for s in sources]


def _short(seconds: float) -> str:
    for unit, size in (("d", DAY), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0 or unit == "m" and seconds >= size:
            return f"{seconds / size:g}{unit}"
    return f"{seconds:g}s"


def tiers_text(recheck) -> str:
    """The tiers as a reader says them: "every 12m to 8h, 20m to 16h, ... 7d after"."""
    parts = [f"{_short(every)} after" if age == float("inf") else f"{_short(every)} to {_short(age)}"
             for age, every in recheck.tiers]
    return "every " + ", ".join(parts)


def report(db, config: Config, source: Source, now: datetime) -> dict:
    """The budget in use and the expected delays, for `status` (and its --json)."""
    plan, learned, sharing = source_plan(db, config, source, now)
    return {"recheck": "auto" if source.recheck_auto else "tiers", "tiers": tiers_text(plan.recheck),
            "budget_per_day": round(plan.budget_per_day), "host_sources": sharing,
            "requests_per_day": plan.requests_per_day, "fits": plan.fits,
            "expected_delay_min": round(plan.mean_latency_s / 60, 1),
            "expected_first_day_delay_min": round(plan.first_day_latency_s / 60, 1),
            "edits_seen": learned.edits_seen, "edited_share": round(learned.edited_share, 4)}


def over_budget(source: Source, report: dict) -> str:
    """check-config's warning for a source whose documents cannot be re-checked within its budget."""
    used, allowed = report["requests_per_day"], report["budget_per_day"]
    shared = f", shared by {report['host_sources']} sources" if report["host_sources"] > 1 else ""
    if report["recheck"] == "auto":
        fix = "lengthen `schedule` or `sweep_days`, or read fewer listing pages"
        need = f"its passes, new releases and sweep alone need {used['total'] - used['rechecks']:,}"
    else:
        fix = 'use recheck = "auto", longer intervals, or a longer `sweep_days`'
        need = f"its re-check tiers need {used['total']:,}"
    return (f"warning: source {source.name}: {need} requests a day but one request every "
            f"{max(source.delay_s, MIN_DELAY_S):g} s{shared} allows {allowed:,}: its documents will be re-checked "
            f"later than planned; {fix}")
