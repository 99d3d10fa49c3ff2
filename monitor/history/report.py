"""Pure: the research's questions answered from the archive, per source and year of publication.

For each (source, year): releases seen, the share edited after publication, the time from
publication to the first edit (median and p90), the share of edits that were silent, edit
classes and reverts, and how much of it rests on web-archive captures (the share of edits found
in an archive, and the median gap between a release's archived captures, which bounds how
precisely such an edit is dated).

An edit is known to have been made inside a window: after the last time the old text was seen
(`made_after`) and before the new text was first seen (`made_before`). Its time is taken as the
middle of that window, and `window_median_h` says how wide the windows were: hours for the live
monitor, often days or months for edits found in a web archive.
"""
from __future__ import annotations

import json
import math
from collections import Counter, defaultdict
from datetime import datetime, timezone

EDIT, REVERT = "edited", "reverted"


def parse_time(text: str | None) -> datetime | None:
    """An ISO date or time as an aware UTC datetime (a bare date is its midnight); None if unreadable."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def percentile(values: list[float], share: float) -> float | None:
    """The nearest-rank percentile (share 0.5 is the median of an odd list); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def summarise(releases: list[dict], edits: list[dict], captures: list[dict], *,
              since: str | None = None, until: str | None = None) -> list[dict]:
    """One row per (source, year) of the releases published between `since` and `until`."""
    published = {r["document_id"]: (r["source"], parse_time(r["published"])) for r in releases}
    lo, hi = parse_time(since), parse_time(until)
    kept = {doc: (source, when) for doc, (source, when) in published.items()
            if when is not None and (lo is None or when >= lo) and (hi is None or when <= hi)}
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    for doc, (source, when) in kept.items():
        groups[(source, str(when.year))].append(doc)
    by_doc = defaultdict(list)
    for edit in edits:
        by_doc[edit["document_id"]].append(edit)
    seen = defaultdict(list)
    for capture in captures:
        moment = parse_time(capture["observed_at"])
        if moment is not None:
            seen[capture["document_id"]].append(moment)
    return [_year(source, year, docs, kept, by_doc, seen) for (source, year), docs in sorted(groups.items())]


def _year(source: str, year: str, docs: list[int], kept: dict, by_doc: dict, seen: dict) -> dict:
    edits = [e for doc in docs for e in by_doc.get(doc, [])]
    firsts = [_hours_to_first_edit(kept[doc][1], by_doc[doc]) for doc in docs if by_doc.get(doc)]
    firsts = [h for h in firsts if h is not None]
    windows = [w for w in (_window_hours(e) for e in edits) if w is not None]
    gaps = [(b - a).total_seconds() / 86400 for doc in docs
            for a, b in zip(sorted(seen.get(doc, [])), sorted(seen.get(doc, []))[1:])]
    edited = sum(1 for doc in docs if any(e["kind"] == EDIT for e in by_doc.get(doc, [])))
    classes = Counter(name for e in edits for name in _names(e.get("classes")))
    return {
        "source": source, "year": year, "releases": len(docs), "edited": edited,
        "edited_share": _share(edited, len(docs)), "edits": len(edits),
        "first_edit_median_h": _round(percentile(firsts, 0.5)), "first_edit_p90_h": _round(percentile(firsts, 0.9)),
        "window_median_h": _round(percentile(windows, 0.5)),
        "silent_share": _share(sum(1 for e in edits if e["silent"]), len(edits)),
        "reverts": sum(1 for e in edits if e["kind"] == REVERT), "classes": dict(classes.most_common()),
        "from_archive_share": _share(sum(1 for e in edits if e["historical"]), len(edits)),
        "archived_releases": sum(1 for doc in docs if seen.get(doc)),
        "capture_gap_median_days": _round(percentile(gaps, 0.5)),
    }


def _hours_to_first_edit(published: datetime, edits: list[dict]) -> float | None:
    first = next((e for e in edits if e["kind"] == EDIT), None)
    made = _made(first) if first else None
    return None if made is None else max(0.0, (made - published).total_seconds() / 3600)


def _made(edit: dict) -> datetime | None:
    """The middle of the window the edit was made in (its end when the start is unknown)."""
    after, before = parse_time(edit.get("made_after")), parse_time(edit.get("made_before"))
    if before is None:
        return None
    return before if after is None or after > before else after + (before - after) / 2


def _window_hours(edit: dict) -> float | None:
    after, before = parse_time(edit.get("made_after")), parse_time(edit.get("made_before"))
    return None if after is None or before is None else max(0.0, (before - after).total_seconds() / 3600)


def _names(raw) -> list[str]:
    if isinstance(raw, list):
        return [str(n) for n in raw]
    try:
        names = json.loads(raw or "[]")
    except ValueError:
        return []
    return [str(n) for n in names] if isinstance(names, list) else []


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)
