"""Pure: align two word sequences and return where they differ.

Long sequences are aligned sentence by sentence first: a word diff of two long texts costs
about the product of their lengths when common words repeat, while sentences are nearly unique.
"""
from __future__ import annotations

import difflib
import re
import zlib

SENTENCE_ALIGN_WORDS = 1_500   # longer changed blocks are aligned by sentence first
BIG_BLOCK_WORDS = 30_000       # a changed stretch longer than this is one edit, not a word diff
_SENTENCE_END = re.compile(r"[.?!][\"'”’)\]]*$")


def word_edits(old: str, new: str) -> list[tuple[str, list[str], list[str]]]:
    """Word-level edits between two folded texts: (op, old words, new words)."""
    a, b = old.split(), new.split()
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    return [(op, a[i1:i2], b[j1:j2]) for op, i1, i2, j1, j2 in matcher.get_opcodes() if op != "equal"]


def word_opcodes(old: list[str], new: list[str]):
    """Non-equal (op, a1, a2, b1, b2) word opcodes; long texts are aligned by sentence first."""
    if len(old) + len(new) <= SENTENCE_ALIGN_WORDS:
        yield from _opcodes(old, new, 0, 0)
        return
    old_s, new_s = _sentences(old), _sentences(new)
    matcher = difflib.SequenceMatcher(None, [" ".join(old[a:b]) for a, b in old_s],
                                      [" ".join(new[a:b]) for a, b in new_s], autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            continue
        a_lo = old_s[i1][0] if i1 < len(old_s) else len(old)
        a_hi = old_s[i2 - 1][1] if i2 > i1 else a_lo
        b_lo = new_s[j1][0] if j1 < len(new_s) else len(new)
        b_hi = new_s[j2 - 1][1] if j2 > j1 else b_lo
        if (a_hi - a_lo) + (b_hi - b_lo) > BIG_BLOCK_WORDS:
            # A rewrite too large for a word diff (and without sentences): one edit for it.
            yield ("replace" if a_hi > a_lo and b_hi > b_lo else "delete" if a_hi > a_lo else "insert",
                   a_lo, a_hi, b_lo, b_hi)
            continue
        yield from _opcodes(old[a_lo:a_hi], new[b_lo:b_hi], a_lo, b_lo)


def _opcodes(old: list[str], new: list[str], a_off: int, b_off: int):
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        if op != "equal":
            yield op, a1 + a_off, a2 + a_off, b1 + b_off, b2 + b_off


def _sentences(words: list[str]) -> list[tuple[int, int]]:
    """Word index ranges of the sentences in `words`.

    Text without sentence ends is cut where the last two words hash to 0 mod 32: such cuts
    depend on the words only, not on their positions, so they line up again after an edit.
    """
    out, start = [], 0
    for i, word in enumerate(words):
        if _SENTENCE_END.search(word) or (
                i - start >= 8 and zlib.crc32(f"{words[i - 1]} {word}".encode()) % 32 == 0):
            out.append((start, i + 1))
            start = i + 1
    if start < len(words):
        out.append((start, len(words)))
    return out
