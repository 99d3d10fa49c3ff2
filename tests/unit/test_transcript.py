"""monitor/core/transcript.py: paragraphs, speaker labels and turns of a body."""
from __future__ import annotations

import pytest

from remarkwatch.core import transcript


@pytest.mark.parametrize("paragraph, label", [
    ("SECRETARY BLINKEN: Thank you all.", "SECRETARY BLINKEN"),
    ("MR PRICE: Good afternoon.", "MR PRICE"),
    ("MS. JEAN-PIERRE: Hi, everybody.", "MS. JEAN-PIERRE"),
    ("MR. McCAIN: One lower-case letter is allowed.", "MR. McCAIN"),
    ("QUESTION: Ned, on Ethiopia?", "QUESTION"),
    ("FOREIGN MINISTER LAVROV (via interpreter): Yes.", "FOREIGN MINISTER LAVROV (via interpreter)"),
    ("Q  Mr. President, a question.", "Q"),
    ("Q: And another?", "Q"),
    ("THE PRESIDENT: Well,", "THE PRESIDENT"),
    ("Thanks: a lot", None),                           # mostly lower case
    ("U.S. policy: x", None),
    ("Washington, DC: a dateline", None),
    ("(Laughter.)", None),
    ("Q", None),                                       # a bare letter with nothing after it
    ("ONE TWO THREE FOUR FIVE SIX SEVEN EIGHT: too many words", None),
    ("MR PRICE:no space after the colon", None),
    ("", None),
])
def test_label_of(paragraph, label):
    assert transcript.label_of(paragraph) == label
    assert transcript.label_span(paragraph) == (len(label.split()) if label else 0)


def test_paragraphs_are_blocks_and_br_lines():
    assert transcript.paragraphs("one\n\ntwo\nthree\n  \n") == ["one", "two", "three"]
    assert transcript.paragraphs(None) == transcript.paragraphs("") == []


BODY = """Washington, DC

MR PRICE: Good afternoon.
We have one thing at the top.

QUESTION: Ned, on Ethiopia?

MR PRICE: Thank you.
(Laughter.)"""


def test_split_turns_with_an_unlabelled_dateline():
    turns = transcript.split_turns(BODY)
    assert [(t.seq, t.speaker, t.first_para, t.last_para) for t in turns] == [
        (1, None, 1, 1), (2, "MR PRICE", 2, 3), (3, "QUESTION", 4, 4), (4, "MR PRICE", 5, 6)]
    assert turns[1].text == "MR PRICE: Good afternoon.\n\nWe have one thing at the top."
    assert turns[3].text.endswith("(Laughter.)")          # stage directions stay content
    assert transcript.is_transcript(turns)


@pytest.mark.parametrize("para, seq", [(1, 1), (2, 2), (3, 2), (4, 3), (6, 4), (99, 4)])
def test_turn_of(para, seq):
    assert transcript.turn_of(transcript.split_turns(BODY), para).seq == seq


def test_a_statement_is_one_unlabelled_turn():
    turns = transcript.split_turns("The United States welcomes the agreement.\n\nWe urge both sides.")
    assert [(t.speaker, t.first_para, t.last_para) for t in turns] == [(None, 1, 2)]
    assert not transcript.is_transcript(turns)
    assert transcript.split_turns("") == [] and transcript.turn_of([], 1) is None
