"""Re-extract stored raw captures with the current profiles (after a parser fix), fetching nothing.

For each document, its newest successful fetch is extracted again; a difference from the latest
version is recorded as a `reextracted` change (significance 0: the site did not edit anything).
Captures that failed to extract before (no body, empty body, no title) get another chance and,
when they extract now, become documents. Versions stored before speaker turns existed get them.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import sqlite_utils
from w3lib.encoding import html_to_unicode

from remarkwatch.crawler.extract import EXTRACTOR_VERSION, extract_article
from remarkwatch.crawler.items import EMPTY_BODY, EXTRACT_ERROR, INCOMPLETE, NO_BODY, OK, Capture
from remarkwatch.record.ingest import UNCHANGED
from remarkwatch.record.record import Rules, record
from remarkwatch.record.rows import add_turns
from remarkwatch.config import Config
from remarkwatch.storage import blobs, captures, versions

RETRIED_OUTCOMES = (OK, NO_BODY, EMPTY_BODY, INCOMPLETE, EXTRACT_ERROR)


@dataclass
class ReprocessResult:
    counts: Counter = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)

    def summary(self) -> str:
        c = self.counts
        return (f"reprocess: {c['captures']} captures re-extracted, {c['reextracted']} changed, "
                f"{c['unchanged']} unchanged, {c['failed']} failed, {c['skipped']} skipped "
                f"(source not in the config); turns filled in for {c['turns']} versions")


def reprocess(db: sqlite_utils.Database, config: Config, now: str,
              source_names: list[str] | None = None) -> ReprocessResult:
    result = ReprocessResult()
    for row in versions.versions_without_turns(db):
        with db.atomic():
            add_turns(db, row["id"], row["body_text"])
        result.counts["turns"] += 1
    sources = {s.name: s for s in config.sources}
    for row in captures.latest_good_captures(db, RETRIED_OUTCOMES, source_names):
        source = sources.get(row["source"])
        if source is None:
            result.counts["skipped"] += 1
            continue
        body = blobs.get_blob(db, row["blob_hash"]) or b""
        _, text = html_to_unicode(row["content_type"], body)
        extraction = extract_article(text, row["final_url"], source.profile)
        result.counts["captures"] += 1
        if extraction.outcome != OK:
            result.counts["failed"] += 1
            result.problems.append(f"capture {row['id']} ({row['final_url']}): extracts as "
                                   f"{extraction.outcome}: {extraction.problem}")
            continue
        capture = Capture(
            source=row["source"], url=row["url"], final_url=row["final_url"], status=row["status"],
            fetched_at=row["fetched_at"], outcome=OK, fields=extraction.fields,
            extractor=f"{source.profile.name}/{EXTRACTOR_VERSION}", capture_id=row["id"],
        )
        kind = record(db, capture, Rules(site=source.profile.site), None, now, reextract=True)
        result.counts["unchanged" if kind == UNCHANGED else "reextracted"] += 1
    return result
