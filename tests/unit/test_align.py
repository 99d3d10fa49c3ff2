"""monitor/core/align.py: where two word sequences differ, at a bounded cost."""
from __future__ import annotations

import difflib

import pytest

from remarkwatch.core import align


@pytest.mark.parametrize("old, new", [
    ("a b c d", "a b c d"),
    ("a b c d", "a x c d"),
    ("a b c d", "a b c d e"),
    ("a b c d", "z a b c d"),
    ("a b c d", ""),
    ("", "a b"),
    ("the cat sat on the mat", "the dog sat on a mat today"),
])
def test_opcodes_agree_with_sequencematcher_on_small_inputs(old, new):
    a, b = old.split(), new.split()
    ours = align.opcodes(a, b)
    theirs = difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
    # The same edits; only the split of equal runs may differ (head and tail are matched first).
    assert [op for op in ours if op[0] != "equal"] == [op for op in theirs if op[0] != "equal"]


@pytest.mark.parametrize("old, new", [
    ("a b c d", "a x c d"),
    ("x x x x y x x", "x x y x x x x"),      # repeated words: matching the tail first may pick another alignment
    ("a a a", "a a a a a"),
])
def test_opcodes_cover_both_sides_and_rebuild_the_new_one(old, new):
    a, b = old.split(), new.split()
    ours = align.opcodes(a, b)
    assert [(i1, j1) for _, i1, _, j1, _ in ours] == [(0, 0)] + [(i2, j2) for _, _, i2, _, j2 in ours[:-1]]
    assert (ours[-1][2], ours[-1][4]) == (len(a), len(b))
    rebuilt = []
    for op, i1, i2, j1, j2 in ours:
        rebuilt += b[j1:j2] if op != "equal" else a[i1:i2]
    assert rebuilt == b


def test_nothing_to_align():
    assert align.opcodes([], []) == []


def test_a_huge_middle_is_one_coarse_replace():
    a = ["same"] + [f"a{i}" for i in range(2_000)] + ["end"]
    b = ["same"] + [f"b{i}" for i in range(2_000)] + ["end"]
    ops = align.opcodes(a, b)
    assert ops == [("equal", 0, 1, 0, 1), ("replace", 1, 2_001, 1, 2_001), ("equal", 2_001, 2_002, 2_001, 2_002)]
    assert align.is_coarse(ops[1]) and not align.is_coarse(ops[0])
    assert not align.is_coarse(("replace", 0, 3, 0, 3))


def test_one_word_in_a_huge_page_costs_nothing_more():
    a = [f"w{i}" for i in range(100_000)]
    b = a[:50_000] + ["changed"] + a[50_001:]
    assert align.opcodes(a, b) == [("equal", 0, 50_000, 0, 50_000), ("replace", 50_000, 50_001, 50_000, 50_001),
                                   ("equal", 50_001, 100_000, 50_001, 100_000)]


@pytest.mark.parametrize("old, new, edits", [
    ("Eritrean forces left", "Eritrean refugees left", [("replace", ["forces"], ["refugees"])]),
    ("we will go", "we will not go", [("insert", [], ["not"])]),
    ("we will not go", "we will go", [("delete", ["not"], [])]),
    ("same text", "same   text", []),
])
def test_word_edits(old, new, edits):
    assert align.word_edits(old, new) == edits


def _long_text(n_sentences: int, edit_at: int | None = None) -> list[str]:
    words = []
    for i in range(n_sentences):
        words += f"Sentence {i} says something about topic {i}.".split()
        if i == edit_at:
            words[-1] = "changed."
    return words


def test_long_texts_are_aligned_by_sentence_to_the_same_word_edit():
    old, new = _long_text(400), _long_text(400, edit_at=123)
    assert len(old) + len(new) > align.SENTENCE_ALIGN_WORDS
    ops = list(align.word_opcodes(old, new))
    assert len(ops) == 1
    op, a1, a2, b1, b2 = ops[0]
    assert op == "replace" and old[a1:a2] == ["123."] and new[b1:b2] == ["changed."]
    # Short texts go straight to the word diff; equal opcodes are never yielded.
    assert list(align.word_opcodes("a b c".split(), "a b c".split())) == []
    assert list(align.word_opcodes("a b c".split(), "a x c".split())) == [("replace", 1, 2, 1, 2)]


def test_sentences_cut_at_sentence_ends_and_cover_every_word():
    words = 'He said "Yes." Then (he left.) And more'.split()
    spans = align._sentences(words)
    assert spans[0] == (0, 3) and spans[-1][1] == len(words)
    assert all(a < b for a, b in spans) and all(spans[i][1] == spans[i + 1][0] for i in range(len(spans) - 1))
