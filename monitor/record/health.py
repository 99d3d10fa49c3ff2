"""Source health: a source failing N passes in a row raises one `source-failing` alert, and one
`source-recovered` alert when it works again; never one per pass."""
from __future__ import annotations

from remarkwatch.alerts import routing
from remarkwatch.alerts.channels.base import LAYOUT_CHANGED, LAYOUT_RESTORED, SOURCE_FAILING, SOURCE_RECOVERED
from remarkwatch.storage import outbox

OK_STATE, FAILING_STATE = "ok", "failing"


def record_source_pass(db, source: str, *, failing: bool, error: str | None, run_id, now: str,
                       channels=(), after: int = 3) -> str | None:
    """Update the source's health after a pass; return the event raised, if any."""
    with db.atomic():
        health = outbox.source_health(db, source) or {"state": OK_STATE, "consecutive_failures": 0, "since": now}
        event = None
        if failing:
            count, state = health["consecutive_failures"] + 1, health["state"]
            if state != FAILING_STATE and count >= after:
                state, event = FAILING_STATE, SOURCE_FAILING
        else:
            count, state = 0, OK_STATE
            if health["state"] == FAILING_STATE:
                event = SOURCE_RECOVERED
        outbox.save_source_health(db, {
            "source": source, "state": state, "consecutive_failures": count,
            "since": now if state != health["state"] else health["since"], "last_pass_at": now,
            "last_error": error if failing else None,
        })
        if event:
            detail = (f"{source} failed {count} passes in a row: {error}" if event == SOURCE_FAILING
                      else f"{source} works again")
            event_id = outbox.insert_event(db, {"kind": event, "source": source, "detected_at": now,
                                                "run_id": run_id, "detail": detail})
            routing.enqueue_event(db, channels, event_id, kind=event, source=source, now=now)
    return event


def pass_failed(stats: dict) -> bool:
    """A source's pass failed when no listing page could be read, or every article fetch failed."""
    listing_failed = stats.get("listing_failed", 0) and not stats.get("listing_ok", 0)
    articles_failed = stats.get("failed", 0) and not stats.get("ok", 0)
    return bool(listing_failed or articles_failed)


# Extraction health: the share of a pass's article pages that the profile itself extracted.
HEALTHY, SICK = 0.8, 0.5        # recent passes at or above HEALTHY, this one below SICK: a redesign
MIN_PAGES = 3                   # fewer pages than this reaching extraction say nothing either way
RECENT_PASSES = 3


def record_extraction_health(db, source: str, stats: dict, *, problem: str | None, example: str | None,
                             run_id, now: str, channels=()) -> str | None:
    """Record this pass's extraction health; raise `layout-changed` once when it drops sharply
    against the source's recent passes, and `layout-restored` once when it is healthy again."""
    extracted, fallback, missed = (stats.get(k, 0) for k in ("extracted", "fallback", "missed"))
    attempted = extracted + fallback + missed
    with db.atomic():
        recent = outbox.recent_extraction_health(db, source, RECENT_PASSES)
        outbox.insert_extraction_health(db, {
            "source": source, "run_id": run_id, "at": now, "attempted": attempted, "extracted": extracted,
            "fallback": fallback, "missed": missed, "problem": problem, "example_url": example})
        if attempted < MIN_PAGES:
            return None
        share = extracted / attempted
        health = outbox.source_health(db, source) or {}
        changed = health.get("layout_state") == "changed"
        shares = [r["extracted"] / r["attempted"] for r in recent if r["attempted"] >= MIN_PAGES]
        if not changed and share < SICK and shares and min(shares) >= HEALTHY:
            detail = (f"{source}: the profile extracted {share:.0%} of this pass's article pages "
                      f"({extracted} of {attempted}; recent passes {max(shares):.0%}). It stopped matching: "
                      f"{problem or 'no detail'}; for example {example or '-'}. Watching goes on with the "
                      f"generic extractor ({fallback} page(s) read by it); its versions are marked `fallback:`.")
            return _layout_event(db, source, LAYOUT_CHANGED, detail, run_id, now, channels)
        if changed and share >= HEALTHY:
            detail = f"{source}: the profile extracts {share:.0%} of the article pages again ({extracted} of {attempted})"
            return _layout_event(db, source, LAYOUT_RESTORED, detail, run_id, now, channels)
    return None


def _layout_event(db, source: str, kind: str, detail: str, run_id, now: str, channels) -> str:
    # The source's health row exists: record_source_pass wrote it earlier in the same pass.
    outbox.set_layout_state(db, source, "changed" if kind == LAYOUT_CHANGED else "ok", now)
    event_id = outbox.insert_event(db, {"kind": kind, "source": source, "detected_at": now, "run_id": run_id,
                                        "detail": detail})
    routing.enqueue_event(db, channels, event_id, kind=kind, source=source, now=now)
    return kind
