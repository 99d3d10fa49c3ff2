"""Pure: the edits between two versions' fields, found on folded text (see `normalize`), located by
paragraph and speaker turn, and classed from the one table of classes (`classes`): what `detect`
weighs into a change."""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from remarkwatch.core import align, normalize, transcript
from remarkwatch.core import classes as class_table

# How much an edit of each class matters, 0-100, from the one table of classes.
# "title" and "metadata" say where an edit is; its nature (wording, number, ...) how much it matters.
WEIGHTS = class_table.WEIGHTS
# Metadata without words to compare: a changed date matters more than a re-saved page.
SCALAR_WEIGHTS = {"published": 50, "doc_type": 40, "tags": 20, "modified_time": 5}
TEXT_FIELDS = {"title": "title", "speakers": "metadata", "audience": "metadata", "location": "metadata"}
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
            what = f"added '{short(self.new, limit)}'"
        elif self.op == "delete":
            what = f"removed '{short(self.old, limit)}'"
        else:
            what = f"'{short(self.old, limit)}' -> '{short(self.new, limit)}'"
        return f"{self.where()}: {what}"


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


def shown(fields: dict, name: str):
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
            edits.append(Edit("body", op, short("\n".join(old_paras[i1:i2]), 300),
                              short("\n".join(new_paras[j1:j2]), 300), [COARSE_CLASS[op]], 70,
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


def page_url(fields: dict) -> str:
    """The URL a version is published at, for telling moves apart: canonical, no tracking query."""
    url = fields.get("canonical_url") or fields.get("url") or ""
    if not url:
        return ""
    parts = urlsplit(url)
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query) if not _TRACKING.match(k)])
    path = parts.path.rstrip("/") or "/"
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, query, ""))


def short(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
