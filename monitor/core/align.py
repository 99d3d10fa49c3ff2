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


# SequenceMatcher (without autojunk) costs up to about len(a) × len(b) when elements repeat (a
# page of identical paragraphs): a middle larger than this is one coarse edit, not an alignment.
MAX_ALIGN_COST = 2_000_000


def opcodes(a: list, b: list) -> list[tuple[str, int, int, int, int]]:
    """SequenceMatcher(None, a, b, autojunk=False).get_opcodes(), with its cost bounded.

    The common head and tail are matched first, in linear time (one word changed in a huge page
    costs nothing more); what is left is aligned only when len × len stays under MAX_ALIGN_COST,
    else it is one `replace` (see `is_coarse`)."""
    n, m = len(a), len(b)
    head = 0
    while head < n and head < m and a[head] == b[head]:
        head += 1
    tail = 0
    while tail < n - head and tail < m - head and a[n - 1 - tail] == b[m - 1 - tail]:
        tail += 1
    out = [("equal", 0, head, 0, head)] if head else []
    a_end, b_end = n - tail, m - tail
    if (a_end - head) * (b_end - head) > MAX_ALIGN_COST:
        out.append(("replace", head, a_end, head, b_end))
    elif a_end > head or b_end > head:
        matcher = difflib.SequenceMatcher(None, a[head:a_end], b[head:b_end], autojunk=False)
        out += [(op, i1 + head, i2 + head, j1 + head, j2 + head) for op, i1, i2, j1, j2 in matcher.get_opcodes()]
    if tail:
        out.append(("equal", a_end, n, b_end, m))
    return out


def is_coarse(op: tuple) -> bool:
    """An opcode that `opcodes` gave up aligning (its span is past MAX_ALIGN_COST)."""
    return op[0] != "equal" and (op[2] - op[1]) * (op[4] - op[3]) > MAX_ALIGN_COST


def word_edits(old: str, new: str) -> list[tuple[str, list[str], list[str]]]:
    """Word-level edits between two folded texts: (op, old words, new words)."""
    a, b = old.split(), new.split()
    return [(op, a[i1:i2], b[j1:j2]) for op, i1, i2, j1, j2 in opcodes(a, b) if op != "equal"]


def word_opcodes(old: list[str], new: list[str]):
    """Non-equal (op, a1, a2, b1, b2) word opcodes; long texts are aligned by sentence first."""
    if len(old) + len(new) <= SENTENCE_ALIGN_WORDS:
        yield from _opcodes(old, new, 0, 0)
        return
    old_s, new_s = _sentences(old), _sentences(new)
    for op, i1, i2, j1, j2 in opcodes([" ".join(old[a:b]) for a, b in old_s], [" ".join(new[a:b]) for a, b in new_s]):
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
    for op, a1, a2, b1, b2 in opcodes(old, new):
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
