"""A change's third-party proof as every surface shows it (alert payload, `diff`, the change page,
the WARC export): the Save Page Now capture's state, memento URL and time, read from a change row
(storage.changes: `spn_state`, `spn_memento_url`, `spn_memento_at`, `spn_error`). Pure."""
from __future__ import annotations

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
        return f"independent capture ({SERVICE}): {proof['memento_url']} at {proof['captured_at']}"
    if proof["state"] == "failed":
        return f"independent capture ({SERVICE}): failed for good: {proof['error']}"
    return f"independent capture ({SERVICE}): {proof['state']}, not made yet"
