"""Pure: a document's previous version and a new capture's fields in; what changed, where, and how much, out.

A new version is written whenever any stored field differs at all; the change then says what
kind of difference it is. Word-level edits are found on folded text (see `normalize`), located
by paragraph and speaker turn, and classed (`CLASSES`); a change's significance is the largest
of its edits', so a cosmetic or links-only difference is recorded but stays below
`ALERT_THRESHOLD`.
"""
from __future__ import annotations

import difflib
import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Callable
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from remarkwatch.core import align, normalize, transcript
from remarkwatch.core import classes as class_table

NEW, EDITED, REVERTED, MOVED = "new", "edited", "reverted", "moved"
REMOVED, RESTORED, BLOCKED, REEXTRACTED = "removed", "restored", "blocked", "reextracted"
KINDS = (NEW, EDITED, REVERTED, MOVED, REMOVED, RESTORED, BLOCKED, REEXTRACTED)

# How much an edit of each class matters, 0-100, from the one table of classes (`classes`).
# "title" and "metadata" say where an edit is; its nature (wording, number, ...) how much it matters.
WEIGHTS = class_table.WEIGHTS
CLASSES = class_table.NAMES
KIND_FLOOR = {NEW: 50, REVERTED: 70, MOVED: 30, REMOVED: 80, RESTORED: 60, BLOCKED: 5}
# Metadata without words to compare: a changed date matters more than a re-saved page.
SCALAR_WEIGHTS = {"published": 50, "doc_type": 40, "tags": 20, "modified_time": 5}
ALERT_THRESHOLD = 20   # alerting default: cosmetic, links-only, case-only and re-saves stay below
SILENT_BONUS = 10      # an edit the page's own modified time does not admit to

TEXT_FIELDS = {"title": "title", "speakers": "metadata", "audience": "metadata", "location": "metadata"}
FIELD_ORDER = ("url", "title", "doc_type", "speakers", "audience", "location", "published",
               "modified_time", "tags", "body", "links", "media")

_NUMBER = re.compile(r"\d[\d,.]*\d|\d")
_NUMBER_WORDS = frozenset(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty "
    "ninety hundred thousand million billion trillion dozen half quarter first second third "
    "fourth fifth percent".split()
)
_BRACKET = re.compile(r"\[[^\]]+\]")
_ANONYMISED = re.compile(
    r"\[[^\]]*\b(?:official|administration|moderator|participant|staff|spokesperson|senior|"
    r"briefer|aide)\b[^\]]*\]", re.I)
_INAUDIBLE = re.compile(r"inaudible|crosstalk|unintelligible", re.I)
_ALNUM = re.compile(r"[\W_]+")
_TRACKING = re.compile(r"^(utm_.*|ver|v|cb|_|fbclid|gclid|mc_.*|ref)$", re.I)


@dataclass
class Edit:
    field: str
    op: str                       # replace, insert, delete, cosmetic, reflow
    old: str = ""
    new: str = ""
    classes: list[str] = field(default_factory=list)
    significance: int = 0
    para: int | None = None       # body: 1-based paragraph (in the new body; the old one for deletions)
    turn: int | None = None
    speaker: str | None = None

    def where(self) -> str:
        if self.field != "body":
            return self.field
        if self.turn is not None and self.speaker:
            return f"turn {self.turn}, {self.speaker}"
        return f"para {self.para}" if self.para else "body"

    def describe(self, limit: int = 60) -> str:
        if self.op in ("cosmetic", "reflow"):
            what = "paragraphs re-split" if self.op == "reflow" else "formatting only"
        elif self.op == "insert":
            what = f"added '{_short(self.new, limit)}'"
        elif self.op == "delete":
            what = f"removed '{_short(self.old, limit)}'"
        else:
            what = f"'{_short(self.old, limit)}' -> '{_short(self.new, limit)}'"
        return f"{self.where()}: {what}"


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
        name: {"old": _shown(previous, name), "new": _shown(current, name)}
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
    return (f"replaced by a different document: '{_short(previous.get('title') or '')}' -> "
            f"'{_short(current.get('title') or '')}' ({min(100, round(100 * rewritten / old_words))}% of the words rewritten)")


def field_edits(previous: dict, current: dict) -> list[Edit]:
    """Every edit between two versions' fields, body edits located by paragraph and turn."""
    edits: list[Edit] = []
    if page_url(previous) != page_url(current):
        edits.append(Edit("url", "replace", page_url(previous), page_url(current), ["url"], WEIGHTS["url"]))
    for name, field_class in TEXT_FIELDS.items():
        old, new = _joined(previous.get(name)), _joined(current.get(name))
        if old != new:
            edits.extend(_text_field_edits(name, field_class, old, new))
    for name in ("doc_type", "tags"):
        old, new = _joined(previous.get(name)), _joined(current.get(name))
        if old != new:
            edits.append(_scalar_edit(name, old, new, normalize.text(old) == normalize.text(new)))
    old_date, new_date = previous.get("published"), current.get("published")
    old_text, new_text = previous.get("published_text") or "", current.get("published_text") or ""
    if old_date != new_date or old_text != new_text:
        same = old_date == new_date and (old_date or normalize.text(old_text) == normalize.text(new_text))
        edits.append(_scalar_edit("published", old_text or old_date or "", new_text or new_date or "", bool(same)))
    if (previous.get("modified_time") or "") != (current.get("modified_time") or ""):
        edits.append(_scalar_edit("modified_time", previous.get("modified_time") or "",
                                  current.get("modified_time") or "", False))
    old_body, new_body = previous.get("body_text") or "", current.get("body_text") or ""
    if old_body != new_body or (previous.get("body_html") or "") != (current.get("body_html") or ""):
        located = body_edits(old_body, new_body)
        edits.extend(located or [Edit("body", "cosmetic", classes=["cosmetic"])])
    for name in ("links", "media"):
        old_list, new_list = list(previous.get(name) or []), list(current.get(name) or [])
        if old_list != new_list:
            removed = [u for u in old_list if u not in new_list]
            added = [u for u in new_list if u not in old_list]
            edits.append(Edit(name, "replace", "\n".join(removed), "\n".join(added), [name], WEIGHTS[name]))
    return edits


def _joined(value) -> str:
    if isinstance(value, (list, tuple)):
        return "\n".join(str(v) for v in value)
    return value or ""


def _shown(fields: dict, name: str):
    return page_url(fields) if name == "url" else fields.get(name)


def _scalar_edit(name: str, old: str, new: str, cosmetic: bool) -> Edit:
    if cosmetic:
        return Edit(name, "cosmetic", old, new, ["cosmetic"], 0)
    return Edit(name, "replace", old, new, ["metadata"], SCALAR_WEIGHTS[name])


def _text_field_edits(name: str, field_class: str, old: str, new: str) -> list[Edit]:
    folded_old, folded_new = normalize.text(old), normalize.text(new)
    if folded_old == folded_new:
        return [Edit(name, "cosmetic", old, new, ["cosmetic"], 0)]
    if name == "speakers":
        return [_byline_edit(old, new, folded_old, folded_new)]
    out = []
    for op, old_words, new_words in align.word_edits(folded_old, folded_new):
        nature = classify(op, old_words, new_words)
        out.append(Edit(name, op, " ".join(old_words), " ".join(new_words),
                        [field_class, *nature], _weight(nature)))
    return out


def _byline_edit(old: str, new: str, folded_old: str, folded_new: str) -> Edit:
    """A byline changes as a whole: who is credited with the words. One edit, old list -> new
    list (not word fragments of names): `speaker`, unless only capitals changed."""
    old_shown, new_shown = old.replace("\n", "; "), new.replace("\n", "; ")
    op = "insert" if not old else "delete" if not new else "replace"
    if folded_old.lower() == folded_new.lower():
        return Edit("speakers", op, old_shown, new_shown, ["metadata", "case"], WEIGHTS["case"])
    return Edit("speakers", op, old_shown, new_shown, ["metadata", "speaker"], WEIGHTS["speaker"])


# A name addressed at the start of a sentence ("Jake, we ..."): taking it out anonymises a speaker.
_VOCATIVE = re.compile(r"^([A-Z][a-z]+),\s*")
_NOT_NAMES = frozenset("However Yes No Well So Now First Second Third Finally Thanks Thank Okay OK Again "
                       "Also And But Sir Look Today Again Indeed Still Meanwhile Second Last Next".split())


def _name_removed(old: str, new: str) -> bool:
    found = _VOCATIVE.match(old)
    return bool(found) and found.group(1) not in _NOT_NAMES and old[found.end():].lower() == new.lower()


def classify(op: str, old_words: list[str], new_words: list[str], touches_label: bool = False) -> list[str]:
    """The nature of one word-level edit: wording, number, punctuation, case, speaker, ..."""
    old, new = " ".join(old_words), " ".join(new_words)
    classes: list[str] = []
    if touches_label or len(_ANONYMISED.findall(old)) != len(_ANONYMISED.findall(new)) or (
            op in ("replace", "delete") and _name_removed(old, new)):
        classes.append("speaker")
    struck = "~~" in old or "~~" in new
    brackets = Counter(_BRACKET.findall(old)) != Counter(_BRACKET.findall(new))
    if struck or (brackets and "speaker" not in classes):
        classes.append("correction")
    if len(_INAUDIBLE.findall(old)) != len(_INAUDIBLE.findall(new)):
        classes.append("inaudible")
    if op == "replace" and _numbers(old) != _numbers(new):
        classes.append("number")
    if op == "insert":
        classes.append("insertion")
    elif op == "delete":
        classes.append("deletion")
    elif not classes:
        plain_old, plain_new = _ALNUM.sub("", old), _ALNUM.sub("", new)
        if plain_old == plain_new:
            classes.append("punctuation")
        elif plain_old.lower() == plain_new.lower():
            classes.append("case")
        else:
            classes.append("wording")
    return classes


def _numbers(text: str) -> Counter:
    words = re.split(r"[\s\-–—/]+", text.lower())
    found = Counter(_NUMBER.findall(text.replace("~~", " ")))
    found.update(w.strip(".,;:()[]'\"") for w in words if w.strip(".,;:()[]'\"") in _NUMBER_WORDS)
    return found


def _weight(classes: list[str]) -> int:
    return max((WEIGHTS[c] for c in classes), default=0)


COARSE_CLASS = {"replace": "wording", "delete": "deletion", "insert": "insertion"}


def body_edits(old_body: str, new_body: str) -> list[Edit]:
    """Word-level edits of the body, each located by paragraph and speaker turn."""
    old_paras, new_paras = transcript.paragraphs(old_body), transcript.paragraphs(new_body)
    folded_old = [normalize.text(p) for p in old_paras]
    folded_new = [normalize.text(p) for p in new_paras]
    old_turns, new_turns = transcript.split_turns(old_body), transcript.split_turns(new_body)
    edits: list[Edit] = []
    for op, i1, i2, j1, j2 in align.opcodes(folded_old, folded_new):
        if op == "equal":
            continue
        if align.is_coarse((op, i1, i2, j1, j2)):
            # Too many paragraphs changed among too many alike to align them one by one.
            edits.append(Edit("body", op, _short("\n".join(old_paras[i1:i2]), 300),
                              _short("\n".join(new_paras[j1:j2]), 300), [COARSE_CLASS[op]], 70,
                              j1 + 1, *_turn_at(new_turns, j1 + 1)))
            continue
        old_words = _words(folded_old, i1, i2)
        new_words = _words(folded_new, j1, j2)
        word_ops = list(align.word_opcodes([w[0] for w in old_words], [w[0] for w in new_words]))
        if not word_ops:
            edits.append(Edit("body", "reflow", "\n".join(old_paras[i1:i2]), "\n".join(new_paras[j1:j2]),
                              ["cosmetic"], 0, j1 + 1, *_turn_at(new_turns, j1 + 1)))
            continue
        for wop, a1, a2, b1, b2 in word_ops:
            edits.append(_located(wop, old_words[a1:a2], new_words[b1:b2], old_turns, new_turns,
                                  old_words[a1][1] if a1 < len(old_words) else i2,
                                  new_words[b1][1] if b1 < len(new_words) else j2))
    return edits


def _words(paras: list[str], start: int, end: int) -> list[tuple[str, int, bool]]:
    """(word, 1-based paragraph, is part of a speaker label) for paragraphs[start:end]."""
    out = []
    for index in range(start, end):
        label_words = transcript.label_span(paras[index])
        out.extend((word, index + 1, n < label_words) for n, word in enumerate(paras[index].split()))
    return out


def _located(op, old_words, new_words, old_turns, new_turns, old_para: int, new_para: int) -> Edit:
    # A label replaced, or added or removed on its own, changes who speaks; whole new turns do not.
    if op == "replace":
        touches_label = any(w[2] for w in old_words) or any(w[2] for w in new_words)
    else:
        touches_label = all(w[2] for w in old_words or new_words)
    old_text = " ".join(w[0] for w in old_words)
    new_text = " ".join(w[0] for w in new_words)
    nature = classify(op, old_text.split(), new_text.split(), touches_label)
    if op == "delete":
        para, (turn, speaker) = old_para, _turn_at(old_turns, old_para)
    else:
        para, (turn, speaker) = new_para, _turn_at(new_turns, new_para)
    return Edit("body", op, old_text, new_text, nature, _weight(nature), para, turn, speaker)


def _turn_at(turns, para: int) -> tuple[int | None, str | None]:
    turn = transcript.turn_of(turns, para)
    if turn is None or not transcript.is_transcript(turns):
        return None, None
    return turn.seq, turn.speaker


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


def page_url(fields: dict) -> str:
    """The URL a version is published at, for telling moves apart: canonical, no tracking query."""
    url = fields.get("canonical_url") or fields.get("url") or ""
    if not url:
        return ""
    parts = urlsplit(url)
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query) if not _TRACKING.match(k)])
    path = parts.path.rstrip("/") or "/"
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, query, ""))


def _short(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def summarize(edits: list[Edit], limit: int = 3) -> str:
    """The most significant edits first, as "turn 14, SECRETARY BLINKEN: 'forces' -> 'refugees'"."""
    ranked = sorted(edits, key=lambda e: -e.significance)
    parts = [e.describe() for e in ranked[:limit]]
    if len(edits) > limit:
        parts.append(f"and {len(edits) - limit} more edits")
    return "; ".join(parts)
