"""Benchmark: draw share cards (`remarkwatch card`), the issue's budget being under 100 ms a card.

Run by hand:  .venv/bin/python bench/card_bench.py [--cards 200]

Renders cards of edits of several shapes (a one-word silent edit, a long paragraph rewritten, a
two-line title with accents and curly quotes, a new release without a sentence) through the same
functions the CLI and the web page use, after one warm-up card (the fonts load once a process),
and prints the median, 95th percentile and worst wall time per card, the median CPU time of
this process per card (what the card costs when other work shares the cores), and the PNG sizes.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from remarkwatch.core.sides import side_by_side  # noqa: E402
from remarkwatch.publish import card as drawing  # noqa: E402
from remarkwatch.publish.edit import alt_text, card_edit  # noqa: E402

BODY = ("MR PRICE: Good afternoon. We call on all armed actors in Tigray to stop attacks and intimidation against "
        "Eritrean forces and all refugees, asylum seekers and people displaced by the ongoing violence.\n\n"
        "QUESTION: Thanks, Ned.")
LONG = "MR PRICE: " + " ".join(f"word{i}" for i in range(300)) + "."
BASE = {"id": 1, "kind": "edited", "source": "state-press-briefings", "detected_at": "2026-12-02T02:56:11+00:00",
        "url": "https://www.state.gov/briefing/", "edits": []}
CASES = [
    ({**BASE, "title": "Department Press Briefing – July 27, 2021", "silent": True},
     BODY, BODY.replace("Eritrean forces", "Eritrean refugees")),
    ({**BASE, "title": "Secretary’s Remarks at the Café Élysée on “Résumé” Policy – Düsseldorf and Kraków, "
               "with Ministers of Foreign Affairs"}, LONG, LONG.replace("word5 ", "changed ").replace("word250", "x")),
    ({**BASE, "title": "Readout", "kind": "new"}, "", ""),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cards", type=int, default=200)
    args = parser.parse_args()
    cards = [card_edit(change, side_by_side(old, new) if old else [], "https://archive.example.org/-/change/1")
             for change, old, new in CASES]
    drawing.render(cards[0])                        # the fonts load once a process
    times, cpu, sizes = [], [], []
    for index in range(args.cards):
        card = cards[index % len(cards)]
        start, start_cpu = time.perf_counter(), time.process_time()
        png = drawing.render(card)
        alt_text(card)
        times.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
        sizes.append(len(png))
    times.sort()
    print(f"{args.cards} cards: median {statistics.median(times):.1f} ms, "
          f"p95 {times[int(0.95 * len(times)) - 1]:.1f} ms, worst {times[-1]:.1f} ms; "
          f"CPU median {statistics.median(cpu):.1f} ms; "
          f"PNG {min(sizes) // 1024}-{max(sizes) // 1024} KB")


if __name__ == "__main__":
    main()
