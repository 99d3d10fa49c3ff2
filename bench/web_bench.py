"""Benchmark: full-text search and the latest-changes query over 50,000 versions, in Datasette.

Run by hand:  .venv/bin/python bench/web_bench.py [--versions 50000] [--repeat 15] [--keep PATH] [--search]

Builds an archive of N versions (N/2 documents, each published then edited once, ~300-word
transcripts) through the real ingest, so the FTS index, turns and changes are what a crawl
writes; then times requests through Datasette's own client, in process (no network): a
full-text search of the versions table, the phrase-history canned query, latest changes, and the
newsroom pages (front page, search with passages, a document's timeline, a version). With
`--search`, only storage.pages.search() on a plain sqlite3 connection (the grouped search's own
cost, without Datasette and the page), for the cases docs/performance.md records.
"""
from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from remarkwatch.crawler.items import OK, Capture, Extracted  # noqa: E402
from remarkwatch.record.ingest import ingest  # noqa: E402
from remarkwatch.web.server import build_datasette  # noqa: E402
from remarkwatch.storage.db import open_db  # noqa: E402

VOCAB = ("the United States will continue to work with partners and allies on security humanitarian "
         "access diplomacy region people government support clear President Secretary Minister "
         "question Ethiopia Kenya Sudan Ukraine sanctions million percent today week meeting talks "
         "agreement ceasefire aid workers displaced refugees forces border trade energy climate").split()


def transcript(rng: random.Random, words: int = 300) -> str:
    paras = []
    for start in range(0, words, 60):
        speaker = rng.choice(["MR PRICE:", "QUESTION:", "SECRETARY BLINKEN:"])
        paras.append(speaker + " " + " ".join(rng.choice(VOCAB) for _ in range(60)) + ".")
    return "\n\n".join(paras)


def build(path: Path, versions: int) -> None:
    rng = random.Random(50_000)
    db = open_db(path)
    started = time.perf_counter()
    for i in range(versions // 2):
        body = transcript(rng)
        if i == versions // 4:
            body += "\n\nMR PRICE: a phrase only this briefing ever had, Hernstadt."
        for text in (body, body.replace(" forces ", " refugees ", 1) + " END"):
            capture = Capture(source="bench", url=f"https://x/{i}/", final_url=f"https://x/{i}/", status=200,
                              fetched_at="t", outcome=OK,
                              fields=Extracted(title=f"Department Press Briefing {i}", body_text=text, post_id=str(i)))
            ingest(db, capture, site="x", run_id=None, now=f"2026-11-{1 + i * 27 // (versions // 2):02d}T00:00:00+00:00")
    print(f"built {db['versions'].count:,} versions, {db['changes'].count:,} changes in "
          f"{time.perf_counter() - started:.0f} s; file {path.stat().st_size / 1e6:.0f} MB")
    db.close()


def measure(path: Path, repeat: int) -> None:
    datasette = build_datasette(path)
    name = path.stem
    # An edit late in the archive, its document and version, whatever --versions built.
    with sqlite3.connect(path) as conn:
        change, document, version = conn.execute(
            "SELECT id, document_id, to_version_id FROM changes WHERE kind = 'edited' ORDER BY id DESC LIMIT 1").fetchone()
    queries = {
        "full-text search, JSON (matches all)": f"/{name}/versions.json?_search=ceasefire+refugees&_size=50&_col=title",
        "full-text search, HTML page": f"/{name}/versions?_search=ceasefire+refugees",
        "full-text search, rare word": f"/{name}/versions.json?_search=Hernstadt",
        "phrase history (canned, FTS phrase)": f"/{name}/phrase_history.json?phrase=only+this+briefing+ever",
        "latest changes (canned)": f"/{name}/latest_changes.json",
        "change page (/-/change/ID)": f"/-/change/{change}",
        "front page (/)": "/",
        "front page, one speaker (/?speaker=)": "/?speaker=SECRETARY+BLINKEN",
        "new releases (/?tab=new)": "/?tab=new",
        "search page, common words (/-/search)": "/-/search?q=ceasefire+refugees",
        "search page, phrase, newest first": "/-/search?q=%22aid+workers%22&order=date",
        "document timeline (/-/document/ID)": f"/-/document/{document}",
        "version page (/-/version/ID)": f"/-/version/{version}",
    }

    async def run():
        for label, url in queries.items():
            times = []
            for _ in range(repeat):
                start = time.perf_counter()
                response = await datasette.client.get(url)
                times.append((time.perf_counter() - start) * 1000)
                assert response.status_code == 200, (url, response.text[:300])
            print(f"  {label:<40} median {statistics.median(times):6.1f} ms   slowest {max(times):6.1f} ms")

    asyncio.run(run())


SEARCHES = {
    "search, words in every version": ("refugees forces", "relevance"),
    "search, the same, newest first": ("refugees forces", "date"),
    "search, a phrase": ('"aid workers"', "relevance"),
    "search, a word in none": ("zzzznothing", "relevance"),
}


def measure_search(path: Path, repeat: int) -> None:
    """storage.pages.search() alone, one hit per document, median and slowest of `repeat`."""
    from remarkwatch.storage import pages

    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    for label, (text, order) in SEARCHES.items():
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            results, total = pages.search(conn, text, order=order)
            times.append((time.perf_counter() - start) * 1000)
        print(f"  {label:<34} median {statistics.median(times):6.1f} ms   slowest {max(times):6.1f} ms"
              f"   ({total:,} documents)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--versions", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--keep", type=Path, help="Build (or reuse) the archive here instead of a temp dir.")
    parser.add_argument("--search", action="store_true", help="Time storage.pages.search() alone.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = args.keep or Path(tmp) / "bench.db"
        if not path.exists():
            build(path, args.versions)
        print(f"{args.versions:,} versions, median and slowest of {args.repeat} requests, in process")
        (measure_search if args.search else measure)(path, args.repeat)


if __name__ == "__main__":
    main()
