"""What `remarkwatch status` reports: the daemon's heartbeat, each source's passes and what is due."""
from __future__ import annotations

from datetime import datetime, timezone

from remarkwatch.config import Config
from remarkwatch.passes import autorecheck
from remarkwatch.passes.daemon import HEARTBEAT_S
from remarkwatch.core.recheck import parse_time
from remarkwatch.storage import outbox, spn
from remarkwatch.storage.checks import document_checks
from remarkwatch.storage.runs import recent as recent_runs
from remarkwatch.storage import schedule as schedule_store


def collect(db, config: Config, now: datetime | None = None) -> dict:
    now = now or datetime.now(timezone.utc)
    daemon = schedule_store.daemon_row(db)
    if daemon:
        age = (now - parse_time(daemon["heartbeat_at"])).total_seconds()
        # A recorded pid that no longer exists (on this host) was killed, however fresh its heartbeat.
        daemon["process_alive"] = schedule_store.process_alive(daemon["pid"], daemon["host"])
        daemon["alive"] = daemon["state"] != "stopped" and age < 3 * HEARTBEAT_S and daemon["process_alive"]
        daemon["heartbeat_age_s"] = round(age)
    sources = []
    for source in config.sources:
        state = schedule_store.source_state(db, source.name)
        last = parse_time(state.get("last_started_at"))
        checks = document_checks(db, source.name, now.isoformat(timespec="seconds"))
        health = outbox.source_health(db, source.name) or {}
        sources.append({
            "source": source.name, "schedule": source.schedule.spec,
            "last_started_at": state.get("last_started_at"), "last_finished_at": state.get("last_finished_at"),
            "last_outcome": state.get("last_outcome"), "last_sweep_at": state.get("last_sweep_at"),
            "next_due_at": source.schedule.next_due(last, now).isoformat(timespec="seconds"),
            "documents": checks.documents, "documents_due_now": checks.due_now,
            "next_document_check_at": checks.next_check_at,
            "budget": autorecheck.report(db, config, source, now),
            "health": health.get("state", "ok"), "consecutive_failures": health.get("consecutive_failures", 0),
        })
    runs = recent_runs(db, limit=10)
    return {"database": str(config.db_path), "now": now.isoformat(timespec="seconds"), "daemon": daemon,
            "sources": sources, "runs": runs, "alerts": outbox.counts(db),
            "channels": channel_status(db, config, now),
            "save_page_now": {"enabled": config.save_page_now.enabled, "requests": spn.counts(db),
                              "paused_until": spn.paused_until(db),
                              "keys_set": config.save_page_now.credentials() is not None}}


def channel_status(db, config: Config, now: datetime, env=None) -> list[dict]:
    """Per alert channel: pending alerts, the age of the oldest, and why they wait."""
    from remarkwatch.alerts.channels.base import missing_secrets

    pending = outbox.pending_by_channel(db)
    out = []
    for channel in config.alerts:
        row = pending.get(channel.name, {})
        missing = missing_secrets(channel, env)
        oldest = parse_time(row.get("oldest_at"))
        next_at = parse_time(row.get("next_attempt_at"))
        if not row:
            why = "nothing pending"
        elif missing:
            why = "held back: not set in the environment: " + ", ".join(f"${m}" for m in missing)
        elif next_at is not None and next_at > now:
            why = (f"retrying at {row['next_attempt_at']} after {row['oldest_attempts']} failed attempt(s)"
                   + (f": {row['last_error']}" if row.get("last_error") else ""))
        else:
            why = "due now: sent by the next pass or `remarkwatch alerts send`"
        out.append({"channel": channel.name, "kind": channel.kind, "pending": row.get("pending", 0),
                    "oldest_pending_at": row.get("oldest_at"),
                    "oldest_pending_age_s": round((now - oldest).total_seconds()) if oldest else None,
                    "missing_secrets": missing, "why": why})
    return out
