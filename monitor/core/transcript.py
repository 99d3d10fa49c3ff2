"""Pure: a body's paragraphs and speaker turns.

A paragraph is a block or a <br> line. A turn starts at a paragraph that opens with a speaker label ("SECRETARY BLINKEN:", "MR PRICE:",
"MS. JEAN-PIERRE:", "QUESTION:", the White House's bare "Q") and runs until the next label.
Paragraphs before the first label (a dateline, a statement's text) form an unlabelled turn.
Stage directions such as "(Laughter.)" stay content.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

# Up to seven capitalised words and an optional "(via interpreter)", then a colon and a space.
_LABEL = re.compile(
    r"^(?P<label>(?:[A-Z][A-Za-z0-9.'’\-]*\s+){0,6}[A-Z][A-Za-z0-9.'’\-]*(?:\s*\([^)]{1,40}\))?):\s+"
)
# The White House's bare question marker: "Q  Mr. President, ..." or "Q: ...".
_QUESTION = re.compile(r"^(?P<label>Q)(?::\s*|\s+)(?=\S)")


@dataclass(frozen=True)
class Turn:
    seq: int                 # 1-based turn number
    speaker: str | None      # the label without its colon, None before the first label
    first_para: int          # 1-based paragraph numbers, inclusive
    last_para: int
    text: str


def paragraphs(body_text: str | None) -> list[str]:
    """The body's paragraphs: blocks and <br> lines alike (the White House sets a whole
    exchange in one <p> with a <br> before each speaker)."""
    return [line for line in (body_text or "").split("\n") if line.strip()]


def label_of(paragraph: str) -> str | None:
    """The speaker label a paragraph opens with, or None."""
    match = _QUESTION.match(paragraph)
    if match:
        return "Q"
    match = _LABEL.match(paragraph)
    if not match:
        return None
    label = match.group("label")
    words = re.sub(r"\([^)]*\)", "", label)
    upper = sum(ch.isupper() for ch in words)
    lower = sum(ch.islower() for ch in words)
    # Labels are capitals ("MR. McCAIN" has one lower-case letter); "Thanks:" is not a label.
    if upper < 2 or lower > 2 or lower * 5 > upper or len(label) > 60:
        return None
    return label


def label_span(paragraph: str) -> int:
    """How many leading words of `paragraph` are its speaker label (0 when it has none)."""
    label = label_of(paragraph)
    return len(label.split()) if label else 0


def split_turns(body_text: str | None) -> list[Turn]:
    paras = paragraphs(body_text)
    turns: list[Turn] = []
    start, speaker = 0, None
    for i, para in enumerate(paras):
        label = label_of(para)
        if label is not None and i > start:
            turns.append(_turn(len(turns) + 1, speaker, paras, start, i))
            start = i
        if label is not None:
            speaker = label
    if paras:
        turns.append(_turn(len(turns) + 1, speaker, paras, start, len(paras)))
    return turns


def _turn(seq: int, speaker: str | None, paras: list[str], start: int, end: int) -> Turn:
    return Turn(seq, speaker, start + 1, end, "\n\n".join(paras[start:end]))


def turn_of(turns: list[Turn], para: int) -> Turn | None:
    """The turn holding 1-based paragraph `para` (the last turn when past the end)."""
    for turn in turns:
        if turn.first_para <= para <= turn.last_para:
            return turn
    return turns[-1] if turns else None


def is_transcript(turns: list[Turn]) -> bool:
    """True when the body has speaker turns (not a statement in plain paragraphs)."""
    return any(t.speaker for t in turns)
