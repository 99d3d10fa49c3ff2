"""Pure: two bodies in, the changed paragraphs side by side with word-level marks out.

Each changed block becomes a row of (old segments, new segments), a segment being
(text, "same" | "del" | "ins"); unchanged paragraphs around it are kept as context.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass

from remarkwatch.core import align, normalize, transcript


@dataclass
class Row:
    old_para: int | None
    new_para: int | None
    speaker: str | None
    old: list[tuple[str, str]]
    new: list[tuple[str, str]]
    changed: bool
    inline: list[tuple[str, str]]      # deletions and insertions in place, for the inline view


def side_by_side(old_body: str, new_body: str, context: int = 1) -> list[Row]:
    old_paras, new_paras = transcript.paragraphs(old_body), transcript.paragraphs(new_body)
    new_turns = transcript.split_turns(new_body)
    rows: list[Row] = []
    opcodes = align.opcodes([normalize.text(p) for p in old_paras], [normalize.text(p) for p in new_paras])
    for index, (op, i1, i2, j1, j2) in enumerate(opcodes):
        if op == "equal":
            keep = _context(i2 - i1, context, index, len(opcodes))
            for k in sorted(keep):
                text = new_paras[j1 + k]
                rows.append(Row(i1 + k + 1, j1 + k + 1, _speaker(new_turns, j1 + k + 1),
                                [(text, "same")], [(text, "same")], False, [(text, "same")]))
            continue
        if align.is_coarse((op, i1, i2, j1, j2)):
            old_text, new_text = _clip("\n".join(old_paras[i1:i2])), _clip("\n".join(new_paras[j1:j2]))
            rows.append(Row(i1 + 1, j1 + 1, None, [(old_text, "del")], [(new_text, "ins")], True,
                            [(old_text, "del"), (new_text, "ins")]))
            continue
        old_words = " ".join(old_paras[i1:i2]).split()
        new_words = " ".join(new_paras[j1:j2]).split()
        old_segments, new_segments, inline = _segments(old_words, new_words)
        rows.append(Row(i1 + 1 if i2 > i1 else None, j1 + 1 if j2 > j1 else None,
                        _speaker(new_turns, j1 + 1) if j2 > j1 else None, old_segments, new_segments, True,
                        inline))
    return rows


COARSE_SHOWN = 2_000


def _clip(text: str) -> str:
    """A block too large to align word by word is shown by its start, with a note."""
    if len(text) <= COARSE_SHOWN:
        return text
    return text[:COARSE_SHOWN] + f" … [{len(text) - COARSE_SHOWN:,} more characters: too large a change to align word by word]"


def rows_json(rows: list[Row]) -> str:
    """Rows as stored with a change (so its page is not recomputed on every request)."""
    return json.dumps([asdict(r) for r in rows], ensure_ascii=False)


def rows_from_json(text: str) -> list[Row]:
    return [Row(**{**r, "old": [tuple(x) for x in r["old"]], "new": [tuple(x) for x in r["new"]],
                   "inline": [tuple(x) for x in r["inline"]]}) for r in json.loads(text)]


def _context(length: int, context: int, index: int, count: int) -> set[int]:
    """Which paragraphs of an unchanged run to show: `context` next to each neighbouring change."""
    keep = set()
    if index > 0:
        keep.update(range(min(context, length)))
    if index < count - 1:
        keep.update(range(max(0, length - context), length))
    return keep


def _speaker(turns, para: int) -> str | None:
    turn = transcript.turn_of(turns, para)
    return turn.speaker if turn else None


def _segments(old_words: list[str], new_words: list[str]):
    folded_old = [normalize.text(w) for w in old_words]
    folded_new = [normalize.text(w) for w in new_words]
    old_out, new_out, inline = [], [], []
    position_old = position_new = 0
    for op, a1, a2, b1, b2 in align.word_opcodes(folded_old, folded_new):
        if a1 > position_old:
            old_out.append((" ".join(old_words[position_old:a1]), "same"))
        if b1 > position_new:
            same = (" ".join(new_words[position_new:b1]), "same")
            new_out.append(same)
            inline.append(same)
        if a2 > a1:
            old_out.append((" ".join(old_words[a1:a2]), "del"))
            inline.append(old_out[-1])
        if b2 > b1:
            new_out.append((" ".join(new_words[b1:b2]), "ins"))
            inline.append(new_out[-1])
        position_old, position_new = a2, b2
    if position_old < len(old_words):
        old_out.append((" ".join(old_words[position_old:]), "same"))
    if position_new < len(new_words):
        new_out.append((" ".join(new_words[position_new:]), "same"))
        inline.append(new_out[-1])
    return old_out, new_out, inline
