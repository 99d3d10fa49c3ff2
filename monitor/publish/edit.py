"""What a share card of one change says: its title, source, date, speaker and the sentence that
holds the edit, with removed and added words marked, and the same in words as alt text.

The edit is located the way `remarkwatch diff` and the change page locate it: the side-by-side
rows stored with the change (core/sides.py, recomputed when a change has none) and the located
edits' speaker and turn (core/edits.py). Here it is only cut to its sentence.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from remarkwatch.core import transcript
from remarkwatch.core.sides import Row, rows_from_json, side_by_side
from remarkwatch.storage import changes as changes_table, versions as versions_table

SAME, DEL, INS = "same", "del", "ins"
CONTEXT_CHARS = 140          # unchanged text kept on each side of the edit, at most
EDIT_CHARS = 260             # changed words shown, at most (a rewritten paragraph is cut)
_SENTENCE_END = re.compile(r"[.?!][\"'\u201d\u2019)\]]*\s")


@dataclass
class CardEdit:
    """One card's content; `segments` is the sentence as (text, same|del|ins) pieces."""
    change_id: int
    kind: str
    title: str
    source: str
    date: str                # human: "2 Dec 2026, 02:56 UTC"
    permalink: str
    silent: bool = False
    speaker: str | None = None
    where: str = ""          # "turn 1, MR PRICE" / "title" / "para 3"
    segments: list[tuple[str, str]] = field(default_factory=list)


def human_date(iso: str | None) -> str:
    """ISO 8601 as a reader writes it: '2 Dec 2026, 02:56 UTC' (the input when it is not ISO)."""
    if not iso:
        return ""
    try:
        when = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return iso
    return f"{when.day} {when:%b %Y, %H:%M} UTC"


def change_rows(db, change: dict) -> list[Row]:
    """The change's side-by-side rows, as `diff` and the change page show them."""
    if not (change.get("from_version_id") and change.get("to_version_id") and "body" in change["changed_fields"]):
        return []
    stored = changes_table.change_sides(db, change["id"])
    if stored:
        return rows_from_json(stored)
    old = versions_table.get_version(db, change["from_version_id"])["body_text"] or ""
    return side_by_side(old, versions_table.get_version(db, change["to_version_id"])["body_text"] or "")


def card_edit(change: dict, rows: list[Row], permalink: str) -> CardEdit:
    """The card's content from a change (as storage/changes.py reads it) and its rows."""
    card = CardEdit(change_id=change["id"], kind=change["kind"], title=change.get("title") or "",
                    source=change.get("source") or "", date=human_date(change.get("detected_at")),
                    permalink=permalink, silent=bool(change.get("silent")))
    edits = [e for e in change.get("edits") or [] if e.get("op") not in ("cosmetic", "reflow")]
    body = next((e for e in edits if e.get("field") == "body"), None)
    row = next((r for r in rows if r.changed), None)
    if row is not None and (body is not None or not edits):
        card.speaker = row.speaker or (body or {}).get("speaker")
        card.segments = sentence(_unlabelled(row.inline, card.speaker))
        turn = (body or {}).get("turn")
        para = f"para {row.new_para or row.old_para}"
        card.where = f"turn {turn}, {card.speaker}" if turn is not None and card.speaker else (card.speaker or para)
    elif edits:
        first = edits[0]
        card.speaker, card.where = first.get("speaker"), where(first)
        card.segments = [(t, k) for t, k in ((first.get("old") or "", DEL), (first.get("new") or "", INS)) if t]
    return card


def where(edit: dict) -> str:
    """As `remarkwatch diff` names the place of a located edit: "turn 1, MR PRICE", "para 3", or
    the field ("title")."""
    if edit.get("field", "body") != "body":
        return edit["field"]
    if edit.get("turn") is not None and edit.get("speaker"):
        return f"turn {edit['turn']}, {edit['speaker']}"
    return f"para {edit['para']}" if edit.get("para") else "body"


def _unlabelled(inline: list[tuple[str, str]], speaker: str | None) -> list[tuple[str, str]]:
    """The paragraph without its opening speaker label (the card names the speaker above it)."""
    if not inline or inline[0][1] != SAME:
        return list(inline)
    text = inline[0][0]
    span = transcript.label_span(text)
    if not span:
        return list(inline)
    rest = text.split(None, span)[span:] if len(text.split()) > span else []
    return ([(rest[0], SAME)] if rest else []) + list(inline[1:])


def sentence(inline: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The pieces from the start of the sentence holding the first change to the end of the one
    holding the last, unchanged context cut at CONTEXT_CHARS and changes at EDIT_CHARS with '…'."""
    changed = [i for i, (_, kind) in enumerate(inline) if kind != SAME]
    if not changed:
        return []
    first, last = changed[0], changed[-1]
    out: list[tuple[str, str]] = []
    if first > 0:
        out.append((_sentence_start(" ".join(t for t, _ in inline[:first])), SAME))
    budget = EDIT_CHARS
    for text, kind in inline[first:last + 1]:
        if budget <= 0:
            out.append(("…", SAME))
            break
        if len(text) > budget:
            text = text[:budget].rsplit(" ", 1)[0] + " …"
        out.append((text, kind))
        budget -= len(text)
    else:
        if last + 1 < len(inline):
            out.append((_sentence_end(" ".join(t for t, _ in inline[last + 1:])), SAME))
    return [(t, k) for t, k in out if t]


def _sentence_start(text: str) -> str:
    ends = list(_SENTENCE_END.finditer(text))
    start = ends[-1].end() if ends else 0
    kept = text[start:]
    if len(kept) > CONTEXT_CHARS:
        kept = "… " + kept[-CONTEXT_CHARS:].split(" ", 1)[-1]
    return kept.strip()


def _sentence_end(text: str) -> str:
    match = _SENTENCE_END.search(text + " ")
    kept = text[:match.end()].rstrip() if match else text
    if len(kept) > CONTEXT_CHARS:
        kept = kept[:CONTEXT_CHARS].rsplit(" ", 1)[0] + " …"
    return kept.strip()


KIND_WORDS = {"edited": "Edit", "new": "New release", "reverted": "Reverted edit", "removed": "Removed",
              "restored": "Restored"}


def headline(card: CardEdit) -> str:
    """'Silent edit' when silent, else the kind in words."""
    if card.silent and card.kind in ("edited", "reverted"):
        return "Silent edit" if card.kind == "edited" else "Silent revert"
    return KIND_WORDS.get(card.kind, card.kind.replace("_", " ").capitalize())


def alt_text(card: CardEdit) -> str:
    """The card in words, for a screen reader: what it shows, and what was removed and added."""
    parts = [f"{headline(card)} to “{card.title}”, {card.source}, detected {card.date}."]
    if card.silent:
        parts.append("The page's own modified time did not change.")
    if card.segments:
        now = " ".join(t for t, k in card.segments if k != DEL)
        before = " ".join(t for t, k in card.segments if k != INS)
        parts.append(f"{card.where or 'Text'}, now reads: “{_space(now)}”. Before: “{_space(before)}”.")
        removed = [t for t, k in card.segments if k == DEL]
        added = [t for t, k in card.segments if k == INS]
        if removed:
            parts.append("Removed (struck through on the card): " + "; ".join(f"“{t}”" for t in removed) + ".")
        if added:
            parts.append("Added (highlighted on the card): " + "; ".join(f"“{t}”" for t in added) + ".")
    parts.append(f"Permalink: {card.permalink}")
    return " ".join(parts)


def _space(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def permalink(change: dict, public_url: str | None) -> str:
    """The change's own page where the archive is served (`public_url`), else the release's URL."""
    if public_url:
        return f"{public_url.rstrip('/')}/-/change/{change['id']}"
    return change.get("url") or ""


def load(db, change_id: int, public_url: str | None = None, link: str | None = None) -> CardEdit | None:
    """The card of change `change_id` in the archive `db` (None when there is no such change);
    `link` is the permalink to print when the caller knows it (the web page's own address)."""
    change = changes_table.get_change(db, change_id)
    if change is None:
        return None
    return card_edit(change, change_rows(db, change), link or permalink(change, public_url))
