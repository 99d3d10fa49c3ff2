"""Pure: a change in a reader's words, for pages, feeds, e-mail and the terminal: times as
"2 Dec 2026, 02:56 UTC", field names as words, a change's edits summed up without raw field names,
and an edit in its sentence (the unchanged words around it, cut at the sentence's ends). ISO times
stay in JSON and CSV; this is only what people read."""
from __future__ import annotations

import re
from datetime import datetime, timezone

from remarkwatch.core.sides import Row, rows_from_json

FIELD_WORDS = {
    "url": "Address", "title": "Title", "doc_type": "Document type", "speakers": "Speakers",
    "audience": "Audience", "location": "Location", "published": "Date", "published_text": "Date",
    "modified_time": "Modified time", "tags": "Tags", "body": "Text", "links": "Links", "media": "Video or audio",
}
TIME_FIELDS = frozenset({"modified_time", "published"})
CONTEXT_WORDS = 8          # unchanged words shown either side of an edit at most (as `diff` shows them)
CHANGED_WORDS = 40         # words of one deletion or insertion shown in a list before "…"
# Words ending in a full stop that do not end a sentence (titles of the people who speak).
_ABBREVIATIONS = frozenset("mr. mrs. ms. dr. st. gen. sen. rep. amb. lt. col. gov. pres. no. vs. jr. sr.".split())
_SENTENCE_END = re.compile(r"[.!?][\"'”’)\]]*$")
_INITIALS = re.compile(r"(?:[A-Za-z]\.)+")
_ISO_TIME = re.compile(r"\b\d{4}-\d\d-\d\dT\d\d:\d\d(?::\d\d(?:\.\d+)?)?(?:Z|[+-]\d\d:\d\d)?")


def field_words(name: str) -> str:
    """A field's name as a reader says it: `modified_time` is "Modified time"."""
    return FIELD_WORDS.get(name, name.replace("_", " ").capitalize())


def human_time(value) -> str:
    """An ISO time as "2 Dec 2026, 02:56 UTC" (a date alone as "2 Dec 2026"); anything else as it is.
    Stored times are UTC; one without an offset is taken as UTC."""
    if not value:
        return ""
    text = str(value).strip()
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return text
    if len(text) == 10:
        return f"{when.day} {when:%b %Y}"
    when = (when if when.tzinfo else when.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)
    return f"{when.day} {when:%b %Y, %H:%M} UTC"


def made_between(change: dict) -> str:
    """What a historical change (found late in a web archive's captures) says of its date: when
    it was made, as closely as the captures tell, "found in a web archive, made between 3 Mar 2021,
    10:00 UTC and 5 Mar 2021, 12:00 UTC". Empty for a change seen live."""
    if not change.get("historical"):
        return ""
    before = human_time(change.get("observed_at") or change.get("detected_at"))
    after = human_time(change.get("previous_seen_at"))
    return f"found in a web archive, made between {after} and {before}" if after \
        else f"found in a web archive, made before {before}"


def made_at(change: dict) -> str:
    """The time a list dates a change by: when it was made for a historical change (the first
    capture that shows it), when it was detected for one seen live."""
    return (change.get("observed_at") if change.get("historical") else None) or change.get("detected_at") or ""


def times_in_words(text: str) -> str:
    """Every ISO time inside a text (a stored summary: "gone since 2026-11-27T12:00:06+00:00") as words."""
    return _ISO_TIME.sub(lambda found: human_time(found.group(0)), text or "")


def where(edit: dict) -> str:
    """Where an edit is: "turn 1, MR PRICE", "para 3", or the field in words."""
    if edit.get("field") != "body":
        return field_words(edit.get("field") or "")
    if edit.get("turn") is not None and edit.get("speaker"):
        return f"turn {edit['turn']}, {edit['speaker']}"
    return f"para {edit['para']}" if edit.get("para") else "text"


def describe(edit: dict, limit: int = 60) -> str:
    """One edit as "Modified time: 18 Sep 2026, 15:04 UTC → 19 Sep 2026, 09:00 UTC"."""
    if edit.get("op") in ("cosmetic", "reflow"):
        return f"{where(edit)}: " + ("paragraphs re-split" if edit["op"] == "reflow" else "formatting only")
    old, new = (_value(edit.get("field"), edit.get(side) or "", limit) for side in ("old", "new"))
    if old and new:
        what = f"{old} → {new}"
    else:
        what = f"removed {old}" if old else f"added {new}" if new else "changed"
    return f"{where(edit)}: {what}"


def summary(edits: list[dict], fallback: str = "", limit: int = 3) -> str:
    """The most significant edits first, in words (detect's summary, without raw field names or ISO
    times); `fallback` (the stored summary) when the change has no located edits."""
    if not edits:
        return times_in_words(fallback)
    ranked = sorted(edits, key=lambda e: -(e.get("significance") or 0))
    parts = [describe(e) for e in ranked[:limit]]
    if len(edits) > limit:
        parts.append(f"and {len(edits) - limit} more edits")
    return "; ".join(parts)


def _value(name, text: str, limit: int) -> str:
    if not text:
        return ""
    if name in TIME_FIELDS and human_time(text) != text:
        return human_time(text)
    text = " ".join(text.split())
    return "“" + (text if len(text) <= limit else text[:limit - 1] + "…") + "”"


def excerpt(inline: list[tuple[str, str]], words: int = CONTEXT_WORDS,
            changed_words: int | None = None) -> list[tuple[str, str]]:
    """A changed paragraph's pieces ((text, "same" | "del" | "ins")) cut to the edits in their
    sentence: before the first edit, the unchanged words back to the sentence's start; after the
    last, on to its end; at most `words` either side ("…" where cut); between two edits, `words`
    from each. `changed_words` cuts a long deletion or insertion (a list's line stays a line)."""
    out = []
    for index, (text, kind) in enumerate(inline):
        if kind != "same":
            out.append((_cut(text, changed_words) if changed_words else text, kind))
        elif index == 0:
            out.append((_sentence_start(text, words), kind))
        elif index == len(inline) - 1:
            out.append((_sentence_end(text, words), kind))
        else:
            out.append((_middle(text, words), kind))
    return [(text, kind) for text, kind in out if text]


def _ends_sentence(word: str) -> bool:
    return (bool(_SENTENCE_END.search(word)) and word.lower() not in _ABBREVIATIONS
            and not _INITIALS.fullmatch(word))


def _sentence_start(text: str, words: int) -> str:
    parts = text.split()
    kept: list[str] = []
    for word in reversed(parts):
        if _ends_sentence(word) or len(kept) == words:
            break
        kept.insert(0, word)
    cut = len(kept) == words and len(parts) > words and not _ends_sentence(parts[-words - 1])
    return ("… " if cut else "") + " ".join(kept)


def _sentence_end(text: str, words: int) -> str:
    parts = text.split()
    kept: list[str] = []
    for word in parts:
        if len(kept) == words:
            return " ".join(kept) + " …"
        kept.append(word)
        if _ends_sentence(word):
            break
    return " ".join(kept)


def _middle(text: str, words: int) -> str:
    parts = text.split()
    return text if len(parts) <= 2 * words else " ".join([*parts[:words], "…", *parts[-words:]])


def _cut(text: str, words: int) -> str:
    parts = text.split()
    return text if len(parts) <= words else " ".join(parts[:words]) + " …"


def unlabelled(pieces: list[tuple[str, str]], speaker: str | None) -> list[tuple[str, str]]:
    """Pieces without the turn's own "MR PRICE:" at their start, when the speaker is shown beside them."""
    if speaker and pieces and pieces[0][1] == "same" and pieces[0][0].startswith(speaker + ":"):
        rest = pieces[0][0][len(speaker) + 1:].strip()
        return ([(rest, "same")] if rest else []) + pieces[1:]
    return pieces


def in_sentence(row: Row, edits: list[dict], changed_words: int | None = None) -> dict:
    """One changed paragraph (a side-by-side row) in its sentence: its pieces, speaker, the turn
    (from the change's located edits) and paragraph."""
    para = row.new_para or row.old_para
    turn = next((e.get("turn") for e in edits if e.get("field") == "body" and e.get("para") == para), None)
    return {"pieces": unlabelled(excerpt(row.inline, changed_words=changed_words), row.speaker),
            "speaker": row.speaker, "turn": turn, "para": para, "more": 0}


def first_edit(sides_json: str | None, edits: list[dict]) -> dict | None:
    """The first changed paragraph of a change in its sentence, for a list of changes (see
    `in_sentence`), with how many other paragraphs changed. None without stored sides (a change
    without a body edit, or one written before sides were stored)."""
    rows: list[Row] = [r for r in rows_from_json(sides_json) if r.changed] if sides_json else []
    for number, row in enumerate(rows):
        found = in_sentence(row, edits, CHANGED_WORDS)
        if any(kind != "same" for _, kind in found["pieces"]):
            return {**found, "more": len(rows) - number - 1}
    return None


def pieces_text(pieces: list[tuple[str, str]]) -> str:
    """Pieces as plain text, as `git diff --color-words` marks them without colour: [-x-] {+y+}."""
    return " ".join(f"[-{text}-]" if kind == "del" else f"{{+{text}+}}" if kind == "ins" else text
                    for text, kind in pieces)


def for_list(change: dict) -> dict:
    """What a list of changes shows of one: its first edit in its sentence (`sentence`), and its
    other edits in words (`in_words`; all of them, or the stored summary, when no sentence)."""
    edits = change.get("edits") or []
    sentence = first_edit(change.get("sides"), edits)
    rest = [e for e in edits if e.get("field") != "body"] if sentence else edits
    return {"sentence": sentence, "in_words": summary(rest, "" if sentence else change.get("summary") or "")}


def sentence_text(sentence: dict) -> str:
    """A `first_edit` as one plain line: "MR PRICE (turn 1): … Eritrean [-forces-] {+refugees+} and …"."""
    who = sentence.get("speaker") or (f"para {sentence['para']}" if sentence.get("para") else "")
    if who and sentence.get("speaker") and sentence.get("turn"):
        who += f" (turn {sentence['turn']})"
    more = sentence.get("more") or 0
    tail = f" (and {more} more paragraph{'' if more == 1 else 's'} changed)" if more else ""
    return (f"{who}: " if who else "") + pieces_text(sentence["pieces"]) + tail


def presence(versions: list[dict]) -> str:
    """Which of a document's versions (all of them, in the site's order, each with `has`) hold a
    passage: "in versions 1–3, removed in version 4", "in all 4 versions", "in its only version".
    A version's number is its place in that order, as everywhere (storage.versions.number_of)."""
    if len(versions) == 1:
        return "in its only version" if versions[0]["has"] else "not in its only version"
    if all(v["has"] for v in versions):
        return "in both versions" if len(versions) == 2 else f"in all {len(versions)} versions"
    runs: list[list[dict]] = []
    for previous, version in zip([None, *versions], versions):
        if version["has"]:
            if previous is not None and previous["has"]:
                runs[-1].append(version)
            else:
                runs.append([version])
    if not runs:
        return "in none of its versions"
    number = {id(version): at for at, version in enumerate(versions, 1)}
    spans = [f"{number[id(run[0])]}–{number[id(run[-1])]}" if len(run) > 1 else f"{number[id(run[0])]}" for run in runs]
    text = ("in versions " if len(runs) > 1 or len(runs[0]) > 1 else "in version ") + (
        ", ".join(spans[:-1]) + " and " + spans[-1] if len(spans) > 1 else spans[0])
    if not versions[-1]["has"]:
        after = versions[versions.index(runs[-1][-1]) + 1]
        text += f", removed in version {number[id(after)]}"
    return text


def origins(versions: list[dict]) -> list[str]:
    """Where the matching versions were read: "live site", "web archive" (a backfill's memento)."""
    kinds = {v.get("origin") or "live" for v in versions if v["has"]}
    return [words for origin, words in (("live", "live site"), ("wayback", "web archive")) if origin in kinds]
