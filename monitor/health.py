"""Source health: a source failing N passes in a row raises one `source-failing` alert, and one
`source-recovered` alert when it works again; never one per pass."""
from __future__ import annotations

from monitor.alerts import routing
from monitor.alerts.channels import SOURCE_FAILING, SOURCE_RECOVERED
from storage import outbox

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
