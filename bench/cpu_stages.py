"""Where a crawl's CPU goes, per process and per stage, from a py-spy profile (issue 25).

Used by `bench/throughput_bench.py --profile`, which records remarkwatch's first crawl with
`py-spy record --subprocesses --nonblocking -f raw` (py-spy: `pip install py-spy`; it is not a
dependency of the project). Also run by hand on such a file:

    .venv/bin/python bench/cpu_stages.py PROFILE.txt [--rate 100] [--cpu-crawler S --cpu-helper S]

Each sample is one stack; a stack goes to the first of the first ten stages below whose function
it holds anywhere (imports and start-up win wherever they happen), otherwise to the stage of its
deepest frame among the rest (Scrapy's own layers, then Twisted and asyncio). py-spy counts a
thread that is running or runnable, so on a busy machine the sampled seconds exceed the CPU
seconds: the shares are what to read, scaled to each process's measured CPU when given.
"""
from __future__ import annotations

import argparse
import collections

STAGES = [
    ("imports and start-up", ["_find_and_load", "warm (monitor/parallel"]),
    ("extraction (judge: parse, selectors, text)", ["judge (crawler/judge.py"]),
    ("decode page (page_text)", ["page_text (monitor/parallel/prepare.py"]),
    ("prepare (SHA-256, zlib, hashes, turns)", ["prepare_capture ("]),
    ("write: record, SQL statements", ["record (monitor/record/record.py", "add_page (storage/runs.py", "index_due",
                                       "flush (monitor/parallel/writer.py", "index_versions", "_sink (monitor/passes/book.py"]),
    ("write: commit", ["atomic (storage", "Database.atomic (sqlite_utils"]),
    ("listing pages (extract links, make requests)", ["parse_listing ("]),
    ("helper IPC (pickle, socket)", ["Helper.call (", "Helper._readable (", "Helper._send (",
                                     "serve (monitor/parallel/helper.py"]),
    ("pass bookkeeping (book, progress)", ["monitor/passes/book.py", "monitor/passes/progress.py", "_sink_remote",
                                           "ExtractPool.record"]),
    ("our middlewares and dupefilter", ["crawler/middlewares/"]),
    # By the deepest frame from here on.
    ("Scrapy downloader middlewares", ["scrapy/downloadermiddlewares/"]),
    ("Scrapy spider middlewares", ["scrapy/spidermiddlewares/", "SpiderMiddlewareManager"]),
    ("Scrapy stats, signals, logging", ["scrapy/extensions/", "scrapy/statscollectors", "logging/__init__",
                                        "scrapy/utils/log", "scrapy/utils/signal", "scrapy/signalmanager", "pydispatch"]),
    ("Scrapy scheduler, dupefilter, fingerprints", ["scrapy/core/scheduler", "scrapy/dupefilters", "scrapy/utils/request",
                                                    "queuelib", "scrapy/pqueues"]),
    ("spider callback (capture building)", ["parse_article (crawler/spiders"]),
    ("Scrapy HTTP client (http11, Twisted web)", ["scrapy/core/downloader/handlers", "twisted/web/"]),
    ("Scrapy engine, scraper, downloader", ["scrapy/"]),
    ("Twisted and asyncio (event loop, socket calls)", ["twisted/", "asyncio/", "selectors"]),
]
ABSOLUTE = 10


def classify(frames: list[str]) -> str:
    body = ";".join(frames)
    for name, keys in STAGES[:ABSOLUTE]:
        if any(key in body for key in keys):
            return name
    for frame in reversed(frames):
        for name, keys in STAGES[ABSOLUTE:]:
            if any(key in frame for key in keys):
                return name
    return "other"


def split(path: str) -> dict[str, collections.Counter]:
    """Samples per stage for each process: `crawler` (the root) and `helper` (spawned helpers)."""
    per: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    with open(path) as f:
        for line in f:
            stack, _, count = line.rstrip().rpartition(" ")
            frames = stack.split(";")
            if "resource_tracker" in stack:
                continue                # multiprocessing's tracker: a few hundredths of a second
            child = len(frames) > 1 and frames[1].startswith("process ")
            per["helper" if child else "crawler"][classify(frames[2:] if child else frames[1:])] += int(count)
    return per


def report(per: dict[str, collections.Counter], rate: float, cpu: dict[str, float] | None = None) -> list[str]:
    lines = []
    for process in ("crawler", "helper"):
        counts = per.get(process)
        if not counts:
            continue
        total = sum(counts.values())
        measured = (cpu or {}).get(process)
        lines.append(f"{process}: {total / rate:.2f} s sampled" + (f", {measured:.2f} s CPU" if measured else ""))
        for name, n in counts.most_common():
            share = n / total
            scaled = f"{share * measured:6.2f} s CPU" if measured else f"{n / rate:6.2f} s sampled"
            lines.append(f"  {name:<50} {100 * share:5.1f}%  {scaled}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("profile")
    parser.add_argument("--rate", type=float, default=100)
    parser.add_argument("--cpu-crawler", type=float)
    parser.add_argument("--cpu-helper", type=float)
    args = parser.parse_args()
    cpu = {"crawler": args.cpu_crawler, "helper": args.cpu_helper}
    print("\n".join(report(split(args.profile), args.rate, cpu)))


if __name__ == "__main__":
    main()
