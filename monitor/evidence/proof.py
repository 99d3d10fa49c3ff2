"""A change's third-party proof as every surface shows it (alert payload, `diff`, the change page,
the WARC export): the Save Page Now capture's state, memento URL and time, read from a change row
(storage.changes: `spn_state`, `spn_memento_url`, `spn_memento_at`, `spn_error`). Pure."""
from __future__ import annotations

from remarkwatch.core.wording import human_time

SERVICE = "Internet Archive Save Page Now"
# The queue's states as a reader says them: a submitted job is still being captured.
SHOWN = {"pending": "pending", "submitted": "capturing", "saved": "saved", "failed": "failed"}


def third_party(change: dict) -> dict | None:
    """`evidence.third_party` of the alert payload; None when no capture was asked for the change."""
    state = change.get("spn_state")
    if not state:
        return None
    return {"service": SERVICE, "state": SHOWN.get(state, state), "memento_url": change.get("spn_memento_url"),
            "captured_at": change.get("spn_memento_at"),
            "error": change.get("spn_error") if state == "failed" else None}


def line(proof: dict | None) -> str | None:
    """One line of plain text from `third_party()`: where the independent capture is, or why
    there is none yet."""
    if proof is None:
        return None
    if proof["state"] == "saved":
        return f"independent capture ({SERVICE}): {proof['memento_url']} at {human_time(proof['captured_at'])}"
    if proof["state"] == "failed":
        return f"independent capture ({SERVICE}): failed for good: {proof['error']}"
    return f"independent capture ({SERVICE}): {proof['state']}, not made yet"


def cite(change: dict, permalink: str) -> str:
    """A "cite this" line: title, site, when the edit was made and seen ("27 Nov 2026, 06:23 UTC"),
    the permalink, and the web archives' captures of the page before and after."""
    from urllib.parse import urlsplit

    site = urlsplit(change.get("url") or "").hostname or change.get("source") or ""
    made_before = change.get("observed_at") or change.get("detected_at")
    when = (f"changed between {human_time(change['previous_seen_at'])} and {human_time(made_before)}"
            if change.get("previous_seen_at") else f"first seen {human_time(made_before)}")
    line = (f"“{change.get('title') or 'Untitled'}”, {site}, {when} "
            f"(remarkwatch change #{change['id']}, {change['kind']}): {permalink}")
    # No punctuation right after a URL: copied with it, a link would break.
    archived = [f"before {change['from_memento_url']}" if change.get("from_memento_url") else "",
                f"after {change['memento_url']}" if change.get("memento_url") else "",
                f"by {SERVICE} {change['spn_memento_url']}" if change.get("spn_memento_url") else ""]
    return " · archived ".join([line, *(a for a in archived if a)])

