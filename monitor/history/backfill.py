"""`remarkwatch backfill`: a document's history from before we watched it, read from a web
archive's captures through EDGI's `wayback` package (its CDX search and memento playback, its
rate limits and retries; no CDX client of our own).

For each document (or URL): list its captures, keep the 200s and the revisits (content the archive
held already), drop repeats of one digest, fetch
each remaining memento once (stored as a capture with its memento URL, so a killed backfill
refetches nothing), judge it exactly as a live page (an error, block or "page not found" capture
never becomes a version) and extract it with the site's profile, whose eras tell an old layout
from its markup. Each distinct content becomes a version observed at the capture's time; the
edits between them are changes flagged `historical`, alerted only to channels that ask.

Time order: versions and changes stay append-only, so history found late is written after
what live crawls recorded; `observed_at` orders it. New captures are placed only where they
cannot split a recorded change: before a document's first version, between two consecutive
versions no change joins yet (the last archived one and the first seen live), or after the
last version when that one came from an archive. A region's last version is joined to the next
version (a `historical` change) once the region has been read to its end.
"""
from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone

from w3lib.encoding import html_to_unicode

from remarkwatch.crawler import items
from remarkwatch.crawler.judge import is_landing, judge
from remarkwatch.crawler.extract import EXTRACTOR_VERSION, fallback_profile
from remarkwatch.crawler.items import Capture
from remarkwatch.crawler.profiles import get_profile
from remarkwatch.clock import utcnow
from remarkwatch.config import Config
from remarkwatch.history.urlkey import surt_key
from remarkwatch.history.wayback import ArchiveOffsite, TooLarge, archive_error, service_url
from remarkwatch.record import history
from remarkwatch.record.history import Place
from remarkwatch.record.record import Rules, record
from remarkwatch.record.rows import identity_key, store_capture
from remarkwatch.history.targets import Target, of_source
from remarkwatch.storage import blobs, captures as captures_table, changes, documents, versions as versions_table
from remarkwatch.untrusted import terminal

logger = logging.getLogger(__name__)
REVISIT = "warc/revisit"
UNREACHED = (items.NETWORK_ERROR,)      # fetched again by the next run; every other outcome is final


def iso(when: datetime) -> str:
    return when.astimezone(timezone.utc).isoformat(timespec="seconds")


@dataclass
class Region:
    """Where new captures may go: strictly between `pred` and `succ` (version rows, or None)."""
    pred: dict | None
    succ: dict | None
    records: list = field(default_factory=list)
    complete: bool = True

    def holds(self, when: str) -> bool:
        return (self.pred is None or when > self.pred["observed_at"]) and \
            (self.succ is None or when < self.succ["observed_at"])


@dataclass
class BackfillResult:
    counts: dict = field(default_factory=lambda: dict.fromkeys(
        ("documents", "listed", "not_200", "repeats", "outside", "recorded", "fetched", "left", "refused",
         "versions", "edits", "errors", "unplayable", "rate_limited", "left_by_budget", "left_by_stop"), 0))
    requests: dict = field(default_factory=lambda: {"search": 0, "memento": 0})
    problems: list = field(default_factory=list)

    def _why_left(self) -> str:
        c = self.counts
        by_failure = c["left"] - c["left_by_budget"] - c["left_by_stop"]
        reasons = ["--max-captures"] * bool(c["left_by_budget"]) + ["stopped"] * bool(c["left_by_stop"]) + \
            ["after a capture not reached"] * bool(by_failure)
        return f" ({' and '.join(reasons)})" if reasons else ""

    def summary(self) -> str:
        c, r = self.counts, self.requests
        return (f"backfill: {c['documents']} documents, {c['listed']} captures listed "
                f"({c['not_200']} not 200, {c['repeats']} repeats of a digest, {c['outside']} inside recorded "
                f"history), {c['fetched']} fetched, {c['recorded']} already recorded, {c['left']} left for the next "
                f"run{self._why_left()}; {c['refused']} error, block or not-found captures, {c['versions']} versions, "
                f"{c['edits']} historical edits, {c['unplayable']} listed but not playable, {c['errors']} fetch errors, "
                f"{c['rate_limited']} waits at the archive's rate limit; requests: {r['search']} searches, "
                f"{r['memento']} mementos")


class Backfiller:
    def __init__(self, config: Config, db, client, *, since=None, until=None, max_captures: int | None = None,
                 progress=None, now=utcnow, sleep=time.sleep):
        self.config, self.db, self.client = config, db, client
        self.sleep = sleep
        self.since, self.until, self.max_captures = since, until, max_captures
        self.progress = progress
        self.now = now
        self.result = BackfillResult()
        # Called in the transaction that writes a target's history, when all of it was read (no
        # capture left by a failure or --max-captures): discovery marks the URL done there.
        self.on_complete = None
        # Set on SIGTERM or Ctrl-C: the memento in flight is fetched and stored, what was read is
        # written, and the run stops there (the next one goes on, fetching nothing twice).
        self.stopping = False

    def run(self, work: list[Target]) -> BackfillResult:
        for index, target in enumerate(work):
            if self.stopping:
                break
            try:
                self._target(target)
            except Exception as exc:  # noqa: BLE001 (one URL's archive trouble is reported, the rest go on)
                if not archive_error(exc):
                    raise
                self.result.counts["errors"] += 1
                self.problem(f"{target.url}: the archive's search failed: {type(exc).__name__}: {exc}")
            self.result.counts["documents"] += 1
            if self.progress is not None:
                self.progress.update(self.result, done=index + 1, total=len(work))
        return self.result

    def problem(self, message: str) -> None:
        message = terminal(message if len(message) <= 300 else message[:300] + "…")    # the archive's words
        self.result.problems.append(message)
        if self.progress is not None:
            self.progress.problem(message)
        else:
            logger.warning(message)

    # --- listing and fetching -------------------------------------------------------------

    def _target(self, target: Target) -> None:
        counts = self.result.counts
        # The package's own filter of malformed URLs (data: and mailto: addresses, hosts without
        # a dotted name) is replaced by ours: a capture of this very page, in the CDX's own terms.
        key = surt_key(target.url)
        listed = self.patiently(lambda: list(self.client.search(
            target.url, from_date=self.since, to_date=self.until, skip_malformed_results=False)), listing=True)
        records = sorted((r for r in listed if surt_key(r.original) == key), key=lambda r: r.timestamp)
        counts["listed"] += len(records)
        kept, last_digest = [], None
        seen_until: dict[int, str] = {}     # a kept capture -> the last repeat of its digest
        for cdx in records:
            # A revisit (`warc/revisit -`: the archive already held this payload; the real CDX
            # resolves it only against its original earlier in the same answer, so not on a
            # later page nor under `from`) holds digest D's
            # content: a repeat when D is the content just kept, else content back again (a
            # revert), fetched like any capture (its memento plays back D's payload).
            if cdx.statuscode != 200 and cdx.mimetype != REVISIT:
                counts["not_200"] += 1
                continue
            if cdx.digest == last_digest:
                counts["repeats"] += 1
                seen_until[id(kept[-1])] = iso(cdx.timestamp)
                continue
            last_digest = cdx.digest
            kept.append(cdx)
        document_id = target.document_id or _document_at(self.db, target.url)
        regions = self._bucket(open_regions(self.db, document_id), kept, lambda r: iso(r.timestamp))
        budget = [self.max_captures]
        for region in regions:
            region.records = self._captures(target, region, seen_until, budget)
        if document_id is None:
            # A URL new to the archive may still be a document it holds (its post id, its
            # canonical URL): then its captures go where that document's history has room.
            document_id = self._known_document(target, regions[0].records)
            if document_id is not None:
                captures = regions[0].records
                regions = self._bucket(open_regions(self.db, document_id), captures, lambda c: c.observed_at)
        self._write(target, document_id, regions)

    def _bucket(self, regions: list[Region], things: list, when) -> list[Region]:
        for thing in things:
            region = next((r for r in regions if r.holds(when(thing))), None)
            if region is None:
                self.result.counts["outside"] += 1
            else:
                region.records.append(thing)
        return regions

    def _captures(self, target: Target, region: Region, seen_until: dict, budget: list) -> list[Capture]:
        """The region's captures, oldest first: stored ones reused, the rest fetched while the
        budget lasts. A capture that cannot be reached ends the region for this run (the next run
        goes on from it, so history is always read in order)."""
        counts, captures = self.result.counts, []
        for index, cdx in enumerate(region.records):
            capture = self._stored(target, cdx)
            if capture is not None:
                counts["recorded"] += 1
            elif self.stopping or (budget[0] is not None and budget[0] <= 0):
                region.complete = False
                counts["left"] += len(region.records) - index
                counts["left_by_stop" if self.stopping else "left_by_budget"] += len(region.records) - index
                break
            else:
                capture = self._fetch(target, cdx)
                if budget[0] is not None:
                    budget[0] -= 1
            if capture.outcome in UNREACHED:
                region.complete = False
                counts["left"] += len(region.records) - index - 1
                break
            capture.seen_until = seen_until.get(id(cdx), capture.observed_at)
            captures.append(capture)
        return captures

    def _known_document(self, target: Target, captures: list[Capture]) -> int | None:
        first = next((c for c in captures if c.outcome == items.OK and c.fields is not None), None)
        if first is None:
            return None
        fields = first.fields
        url = target.url if surt_key(first.final_url) == surt_key(target.url) else first.final_url
        key = identity_key(target.source.profile.site, fields.post_id, fields.canonical_url or url)
        found = documents.find_document(self.db, key, [url, target.url, fields.canonical_url])
        return found["id"] if found else None

    def patiently(self, call, *, listing: bool = False):
        """`call()`, waiting out the archive's rate limit: a 429 stops the whole client for its
        Retry-After (or a doubling backoff when it gives none) and the same request goes again."""
        from wayback.exceptions import RateLimitError

        settings = self.config.backfill
        for wait in range(settings.rate_limit_waits + 1):
            if listing and hasattr(self.client, "archive_adapter"):
                self.client.archive_adapter.new_document()      # the listing starts again from its first page
            try:
                return call()
            except RateLimitError as exc:
                if wait == settings.rate_limit_waits:
                    raise
                told = exc.response is not None and exc.response.headers.get("Retry-After")
                delay = exc.retry_after if told and exc.retry_after else settings.rate_limit_backoff_s * 2 ** wait
                self.result.counts["rate_limited"] += 1
                logger.info("the archive's rate limit: waiting %.1f s before asking again", delay)
                self.sleep(delay)

    def _memento_url(self, cdx) -> str:
        return service_url(self.config.backfill, cdx.raw_url)

    def _stored(self, target: Target, cdx) -> Capture | None:
        """The capture of this memento a previous run stored (not one that could not be reached)."""
        row = captures_table.memento_capture(self.db, self._memento_url(cdx), reached=True)
        if row is None:
            return None
        body = blobs.get_blob(self.db, row["blob_hash"]) if row["blob_hash"] else b""
        capture = Capture(
            source=row["source"], url=row["url"], final_url=row["final_url"], status=row["status"],
            fetched_at=row["fetched_at"], outcome=row["outcome"], body=body or b"",
            content_type=row["content_type"], etag=row["etag"], last_modified=row["last_modified"],
            error=row["error"], extractor=f"{target.source.profile.name}/{EXTRACTOR_VERSION}",
            headers=json.loads(row["headers"]) if row["headers"] else None, origin="wayback",
            memento_url=row["memento_url"], memento_status=row["memento_status"], observed_at=row["observed_at"],
            capture_id=row["id"],
        )
        if capture.outcome == items.OK:
            self._judge(target, capture)
        return capture

    def _fetch(self, target: Target, cdx) -> Capture:
        """Fetch one memento, judge it, store it as a capture (its own transaction)."""
        counts = self.result.counts
        capture = Capture(
            source=target.source.name, url=target.url, final_url=cdx.original, status=None,
            fetched_at=utcnow(), outcome=items.NETWORK_ERROR, origin="wayback",
            memento_url=self._memento_url(cdx), observed_at=iso(cdx.timestamp),
            extractor=f"{target.source.profile.name}/{EXTRACTOR_VERSION}",
        )
        from wayback.exceptions import MementoPlaybackError

        try:
            memento = self.patiently(lambda: self.client.get_memento(cdx, exact=True, follow_redirects=True))
        except MementoPlaybackError as exc:
            # Listed by the CDX, but the archive plays another capture instead (a 302 to the
            # nearest one): recorded as such, final, and the history is read on past it.
            capture.outcome, capture.error = items.UNPLAYABLE, str(exc)[:500]
            counts["unplayable"] += 1
            self.problem(f"{capture.memento_url}: listed but not playable (recorded; not fetched again)")
            self._store(capture)
            return capture
        except (TooLarge, ArchiveOffsite) as exc:
            capture.outcome = items.TOO_LARGE if isinstance(exc, TooLarge) else items.OFFSITE
            capture.error = terminal(str(exc)[:500])
            self.result.counts["refused"] += 1
            self._store(capture)
            return capture
        except Exception as exc:  # noqa: BLE001 (the archive's failures are recorded, the run goes on)
            capture.error = f"{type(exc).__name__}: {exc}"[:500]
            if not archive_error(exc):
                # A memento the package cannot even parse costs that capture only, for good.
                capture.outcome = items.UNPLAYABLE
                counts["unplayable"] += 1
                self.problem(f"{capture.memento_url}: malformed answer, recorded as not playable: {capture.error}")
                self._store(capture)
                return capture
            counts["errors"] += 1
            self.problem(f"{capture.memento_url}: {capture.error}")
            self._store(capture)
            return capture
        with memento:
            if not of_source(target.source, memento.url):
                # The archive names another page (its `Link: rel=original`, or a captured redirect
                # it followed): not this document's history, whatever it holds. A live crawl
                # records a redirect elsewhere as `offsite` the same way.
                capture.outcome = items.OFFSITE
                capture.error = terminal(f"the archive's capture is of {memento.url[:300]}, not of "
                                         f"{target.source.name}'s hosts")
                counts["refused"] += 1
                self._store(capture)
                return capture
            capture.status = memento.status_code
            capture.memento_status = memento.status_code
            capture.final_url = memento.url
            capture.observed_at = iso(memento.timestamp)
            capture.redirect_urls = [cdx.original] if memento.history else []
            capture.headers = [(k, v) for k, v in memento.headers.items()]
            capture.content_type = memento.headers.get("Content-Type")
            capture.etag, capture.last_modified = memento.headers.get("ETag"), memento.headers.get("Last-Modified")
            capture.body = memento.content
        counts["fetched"] += 1
        self._judge(target, capture)
        if capture.outcome != items.OK:
            counts["refused"] += 1
        self._store(capture)
        return capture

    def _judge(self, target: Target, capture: Capture) -> None:
        profile = target.source.profile
        fallback = fallback_profile(profile, get_profile("generic")) if profile.extractor == "selectors" else None
        capture.outcome, capture.fields, capture.error = items.OK, None, None
        capture.extractor = f"{profile.name}/{EXTRACTOR_VERSION}"
        # Decoded as Scrapy decodes a live page (the header's charset, else the page's own meta).
        judge(capture, text=lambda: html_to_unicode(capture.content_type, capture.body)[1],
              profile=profile, fallback=fallback, is_landing=bool(capture.redirect_urls) and is_landing(
                  capture.final_url, target.source.start_urls), accepts_json=profile.extractor == "govuk")

    def _store(self, capture: Capture) -> None:
        with self.db.atomic():
            store_capture(self.db, capture, None)

    # --- writing the history --------------------------------------------------------------

    def _write(self, target: Target, document_id: int | None, regions: list[Region]) -> None:
        """Every region's versions and changes for one document, in one transaction."""
        now, counts = self.now(), self.result.counts
        rules = Rules(site=target.source.profile.site, channels=tuple(self.config.alerts))
        with self.db.atomic():
            for region in regions:
                place = Place(document_id, region.pred, region.pred["observed_at"] if region.pred else None,
                              urls=(target.url,))
                for capture in region.records:
                    place.url = target.url if surt_key(capture.final_url) == surt_key(target.url) \
                        else capture.final_url
                    before = place.version
                    kind = record(self.db, capture, rules, None, now, place=place)
                    counts["versions"] += place.version is not before
                    counts["edits"] += kind not in (history.FIRST, history.UNCHANGED, history.FAILED)
                document_id = place.document_id
                if region.succ is not None and region.complete and place.version is not None \
                        and place.version["id"] != region.succ["id"]:
                    counts["edits"] += history.join(self.db, place, region.succ, now=now, source=target.source.name,
                                                    channels=rules.channels) is not None
            if document_id is not None:
                history.finish(self.db, document_id)
            if self.on_complete is not None and all(region.complete for region in regions):
                self.on_complete(target)


def open_regions(db, document_id: int | None) -> list[Region]:
    """Where a document's history may still take captures (see the module's docstring)."""
    if document_id is None:
        return [Region(None, None)]
    versions = versions_table.versions_observed(db, document_id)
    if not versions:
        return [Region(None, None)]
    joined = changes.joined_versions(db, document_id)
    regions = [Region(None, versions[0])]
    for before, after in zip(versions, versions[1:]):
        if (before["id"], after["id"]) not in joined and before["content_hash"] != after["content_hash"]:
            regions.append(Region(before, after))
    if versions[-1]["origin"] == "wayback":
        regions.append(Region(versions[-1], None))
    return regions


def _document_at(db, url: str) -> int | None:
    found = documents.resolve_document(db, url)
    return found["id"] if found else None
