"""Pure: a document's previous version and a new capture's fields in; what changed, where, and how much, out.

A new version is written whenever any stored field differs at all; the change then says what
kind of difference it is. Word-level edits (`edits`) are found on folded text, located by
paragraph and speaker turn, and classed (`CLASSES`); a change's significance is the largest
of its edits', so a cosmetic or links-only difference is recorded but stays below
`ALERT_THRESHOLD`.
"""
from __future__ import annotations

import difflib
from dataclasses import asdict, dataclass, field
from typing import Callable

from remarkwatch.core import align, normalize, transcript
from remarkwatch.core import classes as class_table
from remarkwatch.core.edits import (  # noqa: F401 (COARSE_CLASS, classify: detect's API for tests and benches)
    COARSE_CLASS, WEIGHTS, Edit, body_edits, classify, field_edits, page_url, short, shown,
)

NEW, EDITED, REVERTED, MOVED = "new", "edited", "reverted", "moved"
REMOVED, RESTORED, BLOCKED, REEXTRACTED = "removed", "restored", "blocked", "reextracted"
KINDS = (NEW, EDITED, REVERTED, MOVED, REMOVED, RESTORED, BLOCKED, REEXTRACTED)

CLASSES = class_table.NAMES
KIND_FLOOR = {NEW: 50, REVERTED: 70, MOVED: 30, REMOVED: 80, RESTORED: 60, BLOCKED: 5}
ALERT_THRESHOLD = 20   # alerting default: cosmetic, links-only, case-only and re-saves stay below
SILENT_BONUS = 10      # an edit the page's own modified time does not admit to

FIELD_ORDER = ("url", "title", "doc_type", "speakers", "audience", "location", "published",
               "modified_time", "tags", "body", "links", "media")


@dataclass
class Change:
    kind: str
    changed_fields: list[str]
    classes: list[str] = field(default_factory=list)
    significance: int = 0
    silent: bool = False
    edits: list[Edit] = field(default_factory=list)
    field_diffs: dict = field(default_factory=dict)   # field -> {"old": ..., "new": ...}
    diff: str = ""                                     # unified diff of the body, a paragraph a line
    summary: str = ""
    reverted_to: int | None = None                     # the earlier version a revert returns to

    @property
    def alerting(self) -> bool:
        return self.significance >= ALERT_THRESHOLD

    def edits_as_dicts(self) -> list[dict]:
        return [asdict(e) for e in self.edits]


def compare(previous: dict | None, current: dict, *,
            earlier: dict[str, int] | Callable[[], dict[str, int]] | None = None,
            present: list[str] | None = None) -> Change | None:
    """What `current` changes relative to `previous`; None when every stored field is identical.

    Both are field dicts (Extracted's names plus "url"). `earlier` maps the content hashes of the
    document's versions before `previous` to their ids, to tell a revert from an edit; it may be
    a function, called only when the content did change. `present`: the names of `current`'s
    comparable fields that hold a value, when already known (a worker computed them).
    """
    if previous is None:
        if present is None:
            present = [name for name, value in normalize.comparable(current).items() if value]
        return Change(NEW, present, significance=KIND_FLOOR[NEW],
                      summary=f"new: {current.get('title') or '(untitled)'}")
    edits = field_edits(previous, current)
    if not edits:
        return None
    changed = [name for name in FIELD_ORDER if any(e.field == name for e in edits)]
    classes = [c for c in CLASSES if any(c in e.classes for e in edits)]
    kind = EDITED
    reverted_to = None
    current_hash = normalize.content_hash(current)
    content_changed = normalize.content_hash(previous) != current_hash
    lookup = (earlier() if callable(earlier) else earlier) if content_changed else None
    if lookup and current_hash in lookup:
        kind, reverted_to = REVERTED, lookup[current_hash]
    elif "url" in changed:
        kind = MOVED
    significance = max(e.significance for e in edits)
    replaced = _replaced(previous, current, changed, edits)
    if replaced:
        classes, significance = ["replaced"], max(significance, WEIGHTS["replaced"])
    silent = content_changed and any(
        e.field in ("body", "title") and e.significance >= ALERT_THRESHOLD for e in edits
    ) and (previous.get("modified_time") or "") == (current.get("modified_time") or "")
    if silent:
        significance += SILENT_BONUS
    if significance >= ALERT_THRESHOLD or kind != EDITED:
        significance = max(significance, KIND_FLOOR.get(kind, 0))
    field_diffs = {
        name: {"old": shown(previous, name), "new": shown(current, name)}
        for name in changed if name != "body"
    }
    diff = body_diff(previous.get("body_text") or "", current.get("body_text") or "") if "body" in changed else ""
    return Change(kind, changed, classes, min(significance, 100), silent, edits, field_diffs, diff,
                  replaced or summarize(edits), reverted_to)


REPLACED_SHARE = 0.6    # of the old body's words rewritten, with a new title: another document


def _replaced(previous: dict, current: dict, changed: list[str], edits: list[Edit]) -> str:
    """A summary when the page now holds a different document under the same identity (a
    briefing's page overwritten by unrelated remarks), else ""."""
    if "title" not in changed or "body" not in changed:
        return ""
    old_words = len((previous.get("body_text") or "").split())
    rewritten = sum(len(e.old.split()) for e in edits if e.field == "body" and e.op in ("replace", "delete"))
    if old_words < 30 or rewritten / old_words < REPLACED_SHARE:
        return ""
    return (f"replaced by a different document: '{short(previous.get('title') or '')}' -> "
            f"'{short(current.get('title') or '')}' ({min(100, round(100 * rewritten / old_words))}% of the words rewritten)")


def body_diff(old: str, new: str) -> str:
    """Unified diff of two bodies, one paragraph per line (difflib's format, bounded alignment)."""
    a, b = transcript.paragraphs(old), transcript.paragraphs(new)
    matcher = difflib.SequenceMatcher(None, [], [])
    matcher.opcodes = align.opcodes(a, b)
    groups = list(matcher.get_grouped_opcodes(1))
    if not groups:
        return ""
    lines = ["--- before", "+++ after"]
    for group in groups:
        i1, i2, j1, j2 = group[0][1], group[-1][2], group[0][3], group[-1][4]
        lines.append(f"@@ -{_range(i1, i2)} +{_range(j1, j2)} @@")
        for op, a1, a2, b1, b2 in group:
            if op == "equal":
                lines += [" " + line for line in a[a1:a2]]
                continue
            lines += ["-" + line for line in a[a1:a2]]
            lines += ["+" + line for line in b[b1:b2]]
    return "\n".join(lines)


def _range(start: int, stop: int) -> str:
    """A unified diff hunk range, as difflib writes it."""
    length = stop - start
    first = start + 1 if length else start
    return str(first) if length == 1 else f"{first},{length}"


def summarize(edits: list[Edit], limit: int = 3) -> str:
    """The most significant edits first, as "turn 14, SECRETARY BLINKEN: 'forces' -> 'refugees'"."""
    ranked = sorted(edits, key=lambda e: -e.significance)
    parts = [e.describe() for e in ranked[:limit]]
    if len(edits) > limit:
        parts.append(f"and {len(edits) - limit} more edits")
    return "; ".join(parts)
