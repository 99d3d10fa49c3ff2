"""Benchmark: word-level diff of two 20,000-word transcripts that differ in 20 places.

Run by hand:  .venv/bin/python bench/diff_bench.py [--words 20000] [--edits 20] [--repeat 21]

Times `remarkwatch.core.detect.compare` on the two versions' fields: the paragraph alignment, the
word-level diff of each changed paragraph, locating every edit by turn and speaker, classing
it, and the unified text diff; everything a crawl does for an edited transcript before writing.
Three shapes: a transcript in paragraphs of ~80 words (state.gov's), the same with speaker turns
on <br> lines (the White House's), and the worst cases: one 20,000-word paragraph, with and
without sentence punctuation.
Reports the median and the slowest of the repeats.
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from remarkwatch.core import detect  # noqa: E402

WORDS = ("the United States will continue to work with our partners and allies on security "
         "humanitarian access diplomacy region people government support we have been clear that "
         "President Secretary Minister question Ethiopia Kenya forces refugees sanctions million "
         "percent today tomorrow week meeting talks agreement ceasefire").split()
SPEAKERS = ["SECRETARY BLINKEN:", "QUESTION:", "MR PRICE:", "MODERATOR:"]


def transcript(words: int, per_para: int, rng: random.Random, sentences: bool = True) -> list[str]:
    paras, left = [], words
    while left > 0:
        n = min(per_para, left)
        text = [rng.choice(WORDS) for _ in range(n)]
        if sentences:
            for k in range(rng.randrange(8, 20), n - 1, rng.randrange(8, 20)):
                text[k] += "."
        if rng.random() < 0.4:
            text[0] = rng.choice(SPEAKERS)
        paras.append(" ".join(text))
        left -= n
    return paras


def mutate(paras: list[str], edits: int, rng: random.Random) -> list[str]:
    out = [p.split() for p in paras]
    for n in range(edits):
        para = out[rng.randrange(len(out))]
        at = rng.randrange(1, len(para))
        kind = n % 3
        if kind == 0:
            para[at] = "refugees" if para[at] != "refugees" else "forces"
        elif kind == 1:
            para.insert(at, "[not]")
        else:
            del para[at]
    return [" ".join(p) for p in out]


def measure(old: str, new: str, repeat: int) -> tuple[float, float, int]:
    before, after = {"title": "T", "body_text": old}, {"title": "T", "body_text": new}
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        change = detect.compare(before, after)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), max(times), len(change.edits)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--words", type=int, default=20_000)
    parser.add_argument("--edits", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=21)
    args = parser.parse_args()
    rng = random.Random(20261127)
    shapes = {
        "paragraphs of ~80 words": ("\n\n", 80, True),
        "speaker turns on <br> lines": ("\n", 80, True),
        "one paragraph, sentences": ("\n\n", args.words, True),
        "one paragraph, no punctuation": ("\n\n", args.words, False),
    }
    print(f"{args.words:,} words, {args.edits} edits, median and slowest of {args.repeat} runs")
    for label, (joiner, per_para, sentences) in shapes.items():
        paras = transcript(args.words, per_para, rng, sentences)
        old, new = joiner.join(paras), joiner.join(mutate(paras, args.edits, rng))
        median, slowest, found = measure(old, new, args.repeat)
        print(f"  {label:<30} median {median:7.1f} ms   slowest {slowest:7.1f} ms   {found} edits found")


if __name__ == "__main__":
    main()
