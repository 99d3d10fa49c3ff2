"""Pure: the previous version's fields and a new capture's fields in, the change (if any) out."""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field

from monitor import normalize

NEW, EDITED = "new", "edited"


@dataclass
class Change:
    kind: str
    changed_fields: list[str]
    field_diffs: dict = field(default_factory=dict)   # field -> {"old": ..., "new": ...}
    diff: str = ""                                     # unified diff of the body text
    summary: str = ""


def compare(previous: dict | None, current: dict) -> Change | None:
    """None when the content is the same after normalisation; otherwise what changed."""
    new_form = normalize.comparable(current)
    if previous is None:
        present = [name for name, value in new_form.items() if value]
        return Change(NEW, present, summary=f"new: {current.get('title') or '(untitled)'}")
    old_form = normalize.comparable(previous)
    changed = [name for name in normalize.COMPARED_FIELDS if old_form[name] != new_form[name]]
    if not changed:
        return None
    field_diffs = {
        name: {"old": previous.get(name), "new": current.get(name)}
        for name in changed if name != "body"
    }
    diff = body_diff(previous.get("body_text") or "", current.get("body_text") or "") if "body" in changed else ""
    return Change(EDITED, changed, field_diffs, diff, summarize(changed, previous, current))


def body_diff(old: str, new: str) -> str:
    """Unified diff of two bodies, one paragraph per line."""
    lines = difflib.unified_diff(
        old.split("\n\n"), new.split("\n\n"), "before", "after", lineterm="", n=1,
    )
    return "\n".join(lines)


def word_edits(old: str, new: str) -> list[tuple[str, str, str]]:
    """Word-level edits between two paragraphs: (op, old words, new words), op in replace/delete/insert."""
    a, b = old.split(), new.split()
    folded_a, folded_b = [normalize.text(w) for w in a], [normalize.text(w) for w in b]
    matcher = difflib.SequenceMatcher(None, folded_a, folded_b, autojunk=False)
    return [
        (op, " ".join(a[i1:i2]), " ".join(b[j1:j2]))
        for op, i1, i2, j1, j2 in matcher.get_opcodes() if op != "equal"
    ]


def body_edits(old: str, new: str) -> list[tuple[int, str, str, str]]:
    """(paragraph number, op, old words, new words) for every word-level edit in the body."""
    old_paras = [normalize.text(p) for p in old.split("\n\n")]
    new_paras = [normalize.text(p) for p in new.split("\n\n")]
    out = []
    matcher = difflib.SequenceMatcher(None, old_paras, new_paras, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            continue
        if op == "replace" and i2 - i1 == j2 - j1:
            for k in range(i2 - i1):
                out.extend((j1 + k + 1, *edit) for edit in word_edits(old_paras[i1 + k], new_paras[j1 + k]))
        else:
            out.append((j1 + 1, op, "\n".join(old_paras[i1:i2]), "\n".join(new_paras[j1:j2])))
    return out


def _short(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def summarize(changed: list[str], previous: dict, current: dict) -> str:
    parts = []
    for name in changed:
        if name == "body":
            edits = body_edits(previous.get("body_text") or "", current.get("body_text") or "")
            for para, op, old, new in edits[:3]:
                if op == "replace":
                    parts.append(f"body para {para}: '{_short(old)}' -> '{_short(new)}'")
                elif op == "delete":
                    parts.append(f"body para {para}: removed '{_short(old)}'")
                else:
                    parts.append(f"body para {para}: added '{_short(new)}'")
            if len(edits) > 3:
                parts.append(f"and {len(edits) - 3} more body edits")
        else:
            parts.append(f"{name}: '{_short(str(previous.get(name) or ''))}' -> '{_short(str(current.get(name) or ''))}'")
    return "; ".join(parts)
