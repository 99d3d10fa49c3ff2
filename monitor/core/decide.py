"""The kinds decided after comparing: what `detect.compare` found is relabelled when the document
came back after removal (`restored`), when a stored capture was only extracted again
(`reextracted`), or when the extractor switched between the site's profile and the generic
fallback (`reextracted` too: not an edit by the site). One rule each, for every route into the
archive (live pass, helpers, cluster writer, backfill, reprocess).
"""
from __future__ import annotations

from remarkwatch.core import detect
from remarkwatch.core.detect import Change


def restored(change: Change | None, url: str) -> Change:
    """A removed document is back: with its old content (no new version) or with edits."""
    if change is None:
        return Change(detect.RESTORED, [], significance=detect.KIND_FLOOR[detect.RESTORED],
                      summary=f"restored: back at {url}, content unchanged")
    change.kind = detect.RESTORED
    change.significance = max(change.significance, detect.KIND_FLOOR[detect.RESTORED])
    change.summary = f"restored with changes: {change.summary}"
    return change


def reextracted(change: Change, extractor: str | None) -> Change:
    """A stored capture extracted again reads differently: the parser changed, not the page."""
    change.kind, change.significance = detect.REEXTRACTED, 0
    change.summary = f"re-extraction ({extractor}): {change.summary}"
    return change


def extractor_switched(change: Change, before: str | None, after: str | None) -> Change:
    """The profile stopped matching (or matches again). Recorded, never alerted; the next capture
    compares like with like."""
    change.kind, change.significance = detect.REEXTRACTED, 0
    change.summary = (f"extractor switched ({before or 'unknown'} -> {after}), "
                      f"not an edit by the site: {change.summary}")
    return change
