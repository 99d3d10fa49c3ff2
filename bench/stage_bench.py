"""Benchmark: CPU per page of each stage of extraction and ingest (issue 17's breakdown).

Run by hand:  .venv/bin/python bench/stage_bench.py [--pages 300] [--repeat 3]

Pages come from the static replica (bench/static_site.py, ~16 KB with full site chrome). Each
stage's total is measured without a profiler (best of --repeat, per page); the split inside a
stage comes from one cProfile run, as shares of cumulative time scaled to that total. Stages
whose functions do not exist in this version of the code are left out, so the same script
measures before and after a change.

- extraction: `extract_article` on each page (parse, header selectors, clean, text, sanitise);
- ingest, new page: `ingest` of each page as a new document into a real SQLite file (zlib,
  hashes, compare, turns, SQL with the FTS triggers): what runs on the writer thread. After
  issue 17 a worker process has computed the zlib form, hashes and turns (`worker_prepare_ms`,
  `remarkwatch.parallel.prepare.prepare_capture`), and the writer uses them;
- helper IPC: a page's write job pickled for a fused helper and unpickled there (issue 25: a
  source's profiles and rules are sent once per helper);
- ingest, re-fetched page with different bytes and the same content (a changed nonce in the
  chrome): the path an unconditional sweep takes when the bytes differ only by noise.
"""
from __future__ import annotations

import argparse
import cProfile
import json
import pickle
import pstats
import sys
import tempfile
import time
from pathlib import Path

from static_site import write_site

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from remarkwatch.crawler import items  # noqa: E402
from remarkwatch.crawler.extract import extract_article  # noqa: E402
from remarkwatch.crawler.profiles import get_profile  # noqa: E402

EXTRACT_PARTS = {
    "parse": ("parsel/selector.py", "__init__"),
    "parse (HTML5: lexbor, then the lxml tree)": ("crawler/html5tree.py", "parse"),  # issue 27 on
    "header selectors": ("crawler/extract.py", "_header_fields"),
    "clean (copy + strip)": ("crawler/extract.py", "clean_body"),
    "deep copy": ("copy.py", "deepcopy"),
    "text": ("crawler/htmltext.py", "paragraphs"),
    "sanitise": ("crawler/htmltext.py", "to_html"),
}
# Paths as of issue 23's rooms (monitor/core, monitor/record, storage/blobs.py); older trees named
# them monitor/normalize.py etc., and their stages are then left out.
INGEST_PARTS = {
    "blob (zlib + SHA-256 unless prepared)": ("storage/blobs.py", "put_blob"),
    "content + raw hashes": ("monitor/core/normalize.py", "content_hash"),
    "raw hash of fields": ("monitor/core/normalize.py", "raw_hash"),
    "compare": ("monitor/core/detect.py", "compare"),
    "turns": ("monitor/core/transcript.py", "split_turns"),
    "SQL (sqlite3 execute, COMMIT included)": ("~", "<method 'execute' of 'sqlite3.Connection' objects>"),
}
INGEST_TOTAL = ("monitor/record/ingest.py", "ingest")


def shares(profile: cProfile.Profile, parts: dict, total_key: tuple) -> dict[str, float]:
    stats = pstats.Stats(profile).stats
    cum: dict[tuple, float] = {}
    for (filename, _line, name), (_cc, _nc, _tt, ct, _callers) in stats.items():
        for label, (suffix, func) in parts.items():
            if name == func and (filename.endswith(suffix) or suffix == "~"):
                cum[label] = cum.get(label, 0.0) + ct
        if name == total_key[1] and filename.endswith(total_key[0]):
            cum["__total__"] = cum.get("__total__", 0.0) + ct
    total = cum.pop("__total__", 0.0) or 1.0
    return {label: value / total for label, value in cum.items()}


def timed(func, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        func()
        best = min(best, time.process_time() - start)
    return best


def ipc_ms(batch: list, profile, repeat: int) -> float:
    """CPU per page of moving a page's write job to one fused helper and back in (pickled and
    unpickled, without the socket): the capture, its profiles (judging left to the helper) and the
    source's rules. With `JobEncoder` (issue 25) profiles and rules go once per helper."""
    from remarkwatch.crawler.extract import fallback_profile
    from remarkwatch.parallel import writer
    from remarkwatch.record.record import Rules

    try:
        from remarkwatch.parallel.helper import JobEncoder
    except ImportError:
        JobEncoder = None   # noqa: N806 - before issue 25: every job pickled whole
    fallback = fallback_profile(profile, get_profile("generic"))
    for capture in batch:
        capture.judge_later, capture.prepared = (profile, fallback, False, False), None

    def move_all():
        encoder = JobEncoder(shared=(type(profile), Rules)) if JobEncoder else None
        for capture in batch:
            job = (capture, Rules(site="state.gov"), 1, "2026-11-27T00:00:00+00:00")
            if encoder is not None:
                data, _ = encoder.encode(writer.write, job)
                view, offset = memoryview(data), 0
                while offset < len(data):       # the jobs that send a shared object run, then the job
                    size = int.from_bytes(view[offset:offset + 4], "big")
                    func, args = pickle.loads(view[offset + 4:offset + 4 + size])
                    if func is not writer.write:
                        func(*args)
                    offset += 4 + size
            else:
                pickle.loads(pickle.dumps((writer.write, job), protocol=pickle.HIGHEST_PROTOCOL))

    return timed(move_all, repeat) / len(batch) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="rw-stage-"))
    paths = write_site(work / "site", args.pages)
    pages = [((work / "site" / p.strip("/") / "index.html").read_bytes(), "http://127.0.0.1:8000" + p) for p in paths]
    profile = get_profile("state.gov")
    n = len(pages)
    result = {"pages": n, "kb_per_page": round(sum(len(b) for b, _ in pages) / n / 1024, 1)}

    def extract_all():
        for body, url in pages:
            extract_article(body.decode("utf-8"), url, profile)

    total = timed(extract_all, args.repeat) / n * 1000
    prof = cProfile.Profile()
    prof.runcall(extract_all)
    split = shares(prof, EXTRACT_PARTS, ("crawler/extract.py", "extract_article"))
    result["extraction_ms"] = {"total": round(total, 3), **{k: round(v * total, 3) for k, v in split.items()}}

    from remarkwatch.record.ingest import ingest
    from remarkwatch.storage import db as storage_db

    def captures(tag: str):
        out = []
        for body, url in pages:
            body = body.replace(b"'wait_for_update': 500", f"'wait_for_update': 500, 'nonce': '{tag}'".encode())
            capture = items.Capture(source="bench", url=url, final_url=url, status=200, fetched_at="2026-11-27T00:00:00+00:00",
                                    outcome=items.OK, body=body, content_type="text/html; charset=utf-8",
                                    extractor="state.gov/2")
            result_ = extract_article(body.decode("utf-8"), url, profile)
            capture.outcome, capture.fields = result_.outcome, result_.fields
            prepare = getattr(sys.modules.get("remarkwatch.parallel.prepare"), "prepare_capture", None)
            if prepare is not None:       # after issue 17: the worker's side, done off the writer
                prepare(capture)
            out.append(capture)
        return out

    try:
        import remarkwatch.parallel.prepare  # noqa: F401  (after issue 17: what the worker does besides extraction)
        prepare_all = captures("a")
        result["worker_prepare_ms"] = round(timed(lambda: [remarkwatch.parallel.prepare.prepare_capture(c) for c in prepare_all],
                                                  args.repeat) / n * 1000, 3)
        result["helper_ipc_ms"] = round(ipc_ms(captures("a"), profile, args.repeat), 3)
    except ImportError:
        pass
    for label, tag in (("ingest_new_ms", None), ("ingest_noise_ms", "b")):
        best, split = float("inf"), {}
        for attempt in range(args.repeat):
            db = storage_db.open_db(work / f"stage{attempt}-{label}.db")
            if tag is not None:
                for capture in captures("a"):
                    ingest(db, capture, site="state.gov", run_id=None, now="2026-11-27T00:00:00+00:00")
            batch = captures(tag or "a")
            prof = cProfile.Profile() if attempt == 0 else None

            def run():
                for capture in batch:
                    ingest(db, capture, site="state.gov", run_id=None, now="2026-11-27T01:00:00+00:00")

            if prof is not None:
                prof.runcall(run)
                split = shares(prof, INGEST_PARTS, INGEST_TOTAL)
            else:
                best = min(best, timed(run, 1))
        total = best / n * 1000
        result[label] = {"total": round(total, 3), **{k: round(v * total, 3) for k, v in split.items()}}
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
