"""`remarkwatch backfill`: a document's history from before we watched it, read from a web
archive's captures through EDGI's `wayback` package (its CDX search and memento playback, its
rate limits and retries; no CDX client of our own).

For each document (or URL): list its captures, keep the 200s, drop repeats of one digest, fetch
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
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Iterable
from urllib.parse import urlsplit

import requests
from w3lib.encoding import html_to_unicode

from remarkwatch.crawler import items
from remarkwatch.crawler.judge import is_landing, judge
from remarkwatch.crawler.extract import EXTRACTOR_VERSION, fallback_profile
from remarkwatch.crawler.items import Capture
from remarkwatch.crawler.middlewares.offsite import host_allowed
from remarkwatch.crawler.profiles import get_profile
from remarkwatch.core import detect, transcript
from remarkwatch.record import ingest
from remarkwatch.alerts import routing
from remarkwatch.config import DEFAULT_WAYBACK, Backfill, Config, Source
from remarkwatch.errors import ConfigError
from remarkwatch.history.surt import surt_key
from remarkwatch.core.sides import rows_json, side_by_side
from remarkwatch.storage import archive

logger = logging.getLogger(__name__)
UNREACHED = (items.NETWORK_ERROR,)      # fetched again by the next run; every other outcome is final


def utcnow() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def iso(when: datetime) -> str:
    return when.astimezone(timezone.utc).isoformat(timespec="seconds")


class TooLarge(requests.RequestException):
    """A memento larger than max_page_mb: not read past the limit, recorded as `too_large`."""


class ArchiveAdapter(requests.adapters.HTTPAdapter):
    """The transport under the `wayback` package's session (requests' documented `Session.mount`):

    - reads no answer past `max_bytes` (a hostile or broken archive cannot fill memory), and
    - with `base_url`, sends the package's requests for https://web.archive.org to another
      service that speaks the same two APIs (a mirror, a local pywb, a test replica). The package
      (0.5) has no base-URL option: its CDX and memento URLs are constants and it reads memento
      times from `response.url`; so each request's address is rewritten to the service, and each
      answer's address and `Location`/`Link` headers back. The package's code is untouched.
    """

    def __init__(self, max_bytes: int, base_url: str | None = None, **kwargs):
        super().__init__(**kwargs)
        self.max_bytes = max_bytes
        self.base_url = base_url.rstrip("/") if base_url else None

    def send(self, request, stream=False, **kwargs):
        original = request.url
        if self.base_url:
            request.url = self.base_url + original.split("web.archive.org", 1)[1]
        try:
            response = super().send(request, stream=True, **kwargs)
        finally:
            request.url = original
        if self.base_url:
            response.url = original
            for name in ("Location", "Link", "Content-Location"):
                if name in response.headers:
                    response.headers[name] = response.headers[name].replace(self.base_url, DEFAULT_WAYBACK)
        declared = response.headers.get("Content-Length", "")
        body = b"" if declared.isdigit() and int(declared) > self.max_bytes else \
            response.raw.read(self.max_bytes + 1, decode_content=True)
        if (declared.isdigit() and int(declared) > self.max_bytes) or len(body) > self.max_bytes:
            response.close()
            raise TooLarge(f"{original}: larger than max_page_mb ({self.max_bytes} bytes)", response=response)
        response._content, response._content_consumed = body, True    # as requests does once it has read
        response.close()
        return response


def wayback_client(settings: Backfill, user_agent: str, counts: dict | None = None,
                   max_bytes: int = 5 * 1024 * 1024):
    """A WaybackClient on `settings.wayback_url`, with its rate limits; `counts` gets the number
    of search and memento requests sent (retries included)."""
    from wayback import WaybackClient, WaybackSession

    session = WaybackSession(retries=settings.retries, backoff=2, timeout=settings.timeout_s, user_agent=user_agent,
                             search_calls_per_second=settings.search_per_second,
                             memento_calls_per_second=settings.memento_per_second)
    adapter = ArchiveAdapter(max_bytes, settings.wayback_url if settings.wayback_url != DEFAULT_WAYBACK else None)
    session.mount(DEFAULT_WAYBACK, adapter)
    session.mount("http://web.archive.org", adapter)
    if counts is not None:
        def count(response, *args, **kwargs):
            kind = "search" if "/cdx/" in response.url else "memento"
            counts[kind] = counts.get(kind, 0) + 1
        session.hooks["response"].append(count)
    return WaybackClient(session)


def service_url(settings: Backfill, memento_url: str) -> str:
    """A memento's address at the configured service (the evidence link a reader can open)."""
    return memento_url.replace(DEFAULT_WAYBACK, settings.wayback_url, 1) if memento_url.startswith(DEFAULT_WAYBACK) \
        else memento_url


@dataclass
class Target:
    source: Source
    url: str
    document_id: int | None = None


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
         "versions", "edits", "errors"), 0))
    requests: dict = field(default_factory=lambda: {"search": 0, "memento": 0})
    problems: list = field(default_factory=list)

    def summary(self) -> str:
        c, r = self.counts, self.requests
        return (f"backfill: {c['documents']} documents, {c['listed']} captures listed "
                f"({c['not_200']} not 200, {c['repeats']} repeats of a digest, {c['outside']} inside recorded "
                f"history), {c['fetched']} fetched, {c['recorded']} already recorded, {c['left']} left for the next "
                f"run (--max-captures); {c['refused']} error, block or not-found captures, {c['versions']} versions, "
                f"{c['edits']} historical edits, {c['errors']} fetch errors; requests: {r['search']} searches, "
                f"{r['memento']} mementos")


def targets(db, config: Config, source_names: Iterable[str], urls: Iterable[str]) -> list[Target]:
    """The documents to backfill: those of the named sources, the URLs given (each a document of
    the archive or a page of a configured source's hosts), or every source's documents."""
    source_names, urls = list(source_names), list(urls)
    found: list[Target] = []
    for url in urls:
        if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).hostname:
            raise ConfigError(f"{url!r} is not an http(s) URL")
        document = archive.resolve_document(db, url) if db is not None else None
        if document is not None:
            found.append(Target(config.source(document["source"]) if _has_source(config, document["source"])
                                else _source_for(config, url), document["url"], document["id"]))
        else:
            found.append(Target(_source_for(config, url), url))
    if urls and not source_names:
        return found
    names = source_names or [s.name for s in config.sources]
    for name in names:
        source = config.source(name)
        if db is None:
            continue
        for row in db.query("SELECT id, url FROM documents WHERE source = ? ORDER BY id", [name]):
            found.append(Target(source, row["url"], row["id"]))
    return found


def _has_source(config: Config, name: str) -> bool:
    return any(s.name == name for s in config.sources)


def _source_for(config: Config, url: str) -> Source:
    for source in config.sources:
        hosts = (*source.allowed_domains, source.profile.site, *source.profile.hosts)
        if host_allowed(url, [h for h in hosts if h]):
            return source
    names = ", ".join(s.name for s in config.sources) or "none"
    raise ConfigError(f"{url}: no configured source reads {urlsplit(url).hostname} (sources: {names}); "
                      f"add one whose allowed_domains include it")


class Backfiller:
    def __init__(self, config: Config, db, client, *, since=None, until=None, max_captures: int | None = None,
                 progress=None, now=utcnow):
        self.config, self.db, self.client = config, db, client
        self.since, self.until, self.max_captures = since, until, max_captures
        self.progress = progress
        self.now = now
        self.result = BackfillResult()

    def run(self, work: list[Target]) -> BackfillResult:
        for index, target in enumerate(work):
            try:
                self._target(target)
            except Exception as exc:  # noqa: BLE001 (one URL's archive trouble is reported, the rest go on)
                if not _archive_error(exc):
                    raise
                self.result.counts["errors"] += 1
                self._problem(f"{target.url}: the archive's search failed: {type(exc).__name__}: {exc}")
            self.result.counts["documents"] += 1
            if self.progress is not None:
                self.progress.update(self.result, done=index + 1, total=len(work))
        return self.result

    def _problem(self, message: str) -> None:
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
        records = sorted((r for r in self.client.search(target.url, from_date=self.since, to_date=self.until,
                                                        skip_malformed_results=False)
                          if surt_key(r.original) == key), key=lambda r: r.timestamp)
        counts["listed"] += len(records)
        kept, last_digest = [], None
        seen_until: dict[int, str] = {}     # a kept capture -> the last repeat of its digest
        for record in records:
            if record.statuscode != 200:
                counts["not_200"] += 1
                continue
            if record.digest == last_digest:
                counts["repeats"] += 1
                seen_until[id(kept[-1])] = iso(record.timestamp)
                continue
            last_digest = record.digest
            kept.append(record)
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
        for index, record in enumerate(region.records):
            capture = self._stored(target, record)
            if capture is not None:
                counts["recorded"] += 1
            elif budget[0] is not None and budget[0] <= 0:
                region.complete = False
                counts["left"] += len(region.records) - index
                break
            else:
                capture = self._fetch(target, record)
                if budget[0] is not None:
                    budget[0] -= 1
            if capture.outcome in UNREACHED:
                region.complete = False
                counts["left"] += len(region.records) - index - 1
                break
            capture.seen_until = seen_until.get(id(record), capture.observed_at)
            captures.append(capture)
        return captures

    def _known_document(self, target: Target, captures: list[Capture]) -> int | None:
        first = next((c for c in captures if c.outcome == items.OK and c.fields is not None), None)
        if first is None:
            return None
        fields = first.fields
        url = target.url if surt_key(first.final_url) == surt_key(target.url) else first.final_url
        key = ingest.identity_key(target.source.profile.site, fields.post_id, fields.canonical_url or url)
        found = archive.find_document(self.db, key, [url, target.url, fields.canonical_url])
        return found["id"] if found else None

    def _memento_url(self, record) -> str:
        return service_url(self.config.backfill, record.raw_url)

    def _stored(self, target: Target, record) -> Capture | None:
        """The capture of this memento a previous run stored (not one that could not be reached)."""
        row = next(self.db.query(
            "SELECT * FROM captures WHERE memento_url = ? AND outcome NOT IN ('network_error') ORDER BY id DESC LIMIT 1",
            [self._memento_url(record)]), None)
        if row is None:
            return None
        body = archive.get_blob(self.db, row["blob_hash"]) if row["blob_hash"] else b""
        capture = Capture(
            source=row["source"], url=row["url"], final_url=row["final_url"], status=row["status"],
            fetched_at=row["fetched_at"], outcome=row["outcome"], body=body or b"",
            content_type=row["content_type"], etag=row["etag"], last_modified=row["last_modified"],
            error=row["error"], extractor=f"{target.source.profile.name}/{EXTRACTOR_VERSION}",
            headers=json.loads(row["headers"]) if row["headers"] else None, origin="wayback",
            memento_url=row["memento_url"], memento_status=row["memento_status"], observed_at=row["observed_at"],
        )
        capture.capture_id = row["id"]
        if capture.outcome == items.OK:
            self._judge(target, capture)
        return capture

    def _fetch(self, target: Target, record) -> Capture:
        """Fetch one memento, judge it, store it as a capture (its own transaction)."""
        counts = self.result.counts
        capture = Capture(
            source=target.source.name, url=target.url, final_url=record.original, status=None,
            fetched_at=utcnow(), outcome=items.NETWORK_ERROR, origin="wayback",
            memento_url=self._memento_url(record), observed_at=iso(record.timestamp),
            extractor=f"{target.source.profile.name}/{EXTRACTOR_VERSION}",
        )
        try:
            memento = self.client.get_memento(record, exact=True, follow_redirects=True)
        except TooLarge as exc:
            capture.outcome, capture.error = items.TOO_LARGE, str(exc)[:500]
            self.result.counts["refused"] += 1
            self._store(capture)
            return capture
        except Exception as exc:  # noqa: BLE001 (the archive's failures are recorded, the run goes on)
            if not _archive_error(exc):
                raise
            capture.error = f"{type(exc).__name__}: {exc}"[:500]
            counts["errors"] += 1
            self._problem(f"{capture.memento_url}: {capture.error}")
            self._store(capture)
            return capture
        with memento:
            capture.status = memento.status_code
            capture.memento_status = memento.status_code
            capture.final_url = memento.url
            capture.observed_at = iso(memento.timestamp)
            capture.redirect_urls = [record.original] if memento.history else []
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
            blob = archive.put_blob(self.db, capture.body) if capture.body else None
            capture.capture_id = archive.insert_capture(self.db, {
                "run_id": None, "source": capture.source, "url": capture.url, "final_url": capture.final_url,
                "status": capture.status, "outcome": capture.outcome, "error": capture.error,
                "fetched_at": capture.fetched_at, "content_type": capture.content_type, "etag": capture.etag,
                "last_modified": capture.last_modified, "blob_hash": blob, **ingest.capture_evidence(capture),
            })

    # --- writing the history --------------------------------------------------------------

    def _write(self, target: Target, document_id: int | None, regions: list[Region]) -> None:
        """Every region's versions and changes for one document, in one transaction."""
        now = self.now()
        with self.db.atomic():
            for region in regions:
                prev, prev_seen = region.pred, region.pred["observed_at"] if region.pred else None
                for capture in region.records:
                    if capture.outcome != items.OK or capture.fields is None:
                        if document_id is not None:
                            archive.link_capture(self.db, capture.capture_id, document_id, None)
                        continue
                    fields = asdict(capture.fields)
                    url = target.url if surt_key(capture.final_url) == surt_key(target.url) else capture.final_url
                    if document_id is None:
                        document_id = self._document(target, capture, fields, url)
                    current = {**fields, "url": url}
                    if prev is None:
                        prev = self._version(document_id, capture, fields, url, now)
                        prev_seen = capture.seen_until
                        archive.link_capture(self.db, capture.capture_id, document_id, prev["id"])
                        continue
                    previous = ingest.version_fields(prev)
                    change = detect.compare(previous, current,
                                            earlier=lambda p=prev: archive.earlier_hashes(self.db, document_id, p))
                    if change is None:
                        archive.link_capture(self.db, capture.capture_id, document_id, prev["id"])
                        prev_seen = capture.seen_until
                        continue
                    version = self._version(document_id, capture, fields, url, now) if change.changed_fields else None
                    self._change(document_id, change, previous, current, version, capture.observed_at, prev_seen,
                                 now, target.source.name, capture.extractor)
                    archive.link_capture(self.db, capture.capture_id, document_id, (version or prev)["id"])
                    prev = version or prev
                    prev_seen = capture.seen_until
                if region.succ is not None and region.complete and prev is not None and prev["id"] != region.succ["id"]:
                    self._join(document_id, prev, prev_seen, region.succ, now, target.source.name)
            if document_id is not None:
                self._touch(document_id)

    def _document(self, target: Target, capture: Capture, fields: dict, url: str) -> int:
        key = ingest.identity_key(target.source.profile.site, fields.get("post_id"), fields.get("canonical_url") or url)
        found = archive.find_document(self.db, key, [url, target.url, fields.get("canonical_url")])
        if found is not None:
            return found["id"]
        document_id = archive.create_document(self.db, {
            "source": target.source.name, "key": key, "post_id": fields.get("post_id"), "url": url,
            "canonical_url": fields.get("canonical_url") or url, "title": fields.get("title"),
            "first_seen": capture.observed_at, "last_seen": capture.observed_at,
        })
        archive.remember_urls(self.db, document_id, {url, target.url}, capture.observed_at)
        return document_id

    def _version(self, document_id: int, capture: Capture, fields: dict, url: str, now: str) -> dict:
        row = ingest._version_row(fields, capture, capture.capture_id, document_id, now)
        row["url"] = url
        version_id = archive.insert_version(self.db, row)
        archive.insert_turns(self.db, version_id, transcript.split_turns(fields.get("body_text")))
        self.result.counts["versions"] += 1
        return archive.get_version(self.db, version_id)

    def _change(self, document_id: int, change: detect.Change, previous: dict, current: dict, version: dict | None,
                observed_at: str, previous_seen_at: str | None, now: str, source: str, extractor: str) -> int:
        if ingest._family(previous.get("extractor")) != ingest._family(extractor):
            change.kind, change.significance = detect.REEXTRACTED, 0
            change.summary = (f"extractor switched ({previous.get('extractor') or 'unknown'} -> {extractor}), "
                              f"not an edit by the site: {change.summary}")
        sides = rows_json(side_by_side(previous.get("body_text") or "", current.get("body_text") or "")) \
            if "body" in change.changed_fields else None
        change_id = archive.insert_change(self.db, {
            "document_id": document_id, "kind": change.kind, "from_version_id": previous["id"],
            "to_version_id": version["id"] if version else None, "detected_at": now, "run_id": None,
            "changed_fields": json.dumps(change.changed_fields),
            "field_diffs": json.dumps(change.field_diffs, ensure_ascii=False), "diff": change.diff,
            "summary": change.summary, "classes": json.dumps(change.classes), "significance": change.significance,
            "silent": int(change.silent), "edits": json.dumps(change.edits_as_dicts(), ensure_ascii=False),
            "reverted_to_version_id": change.reverted_to, "sides": sides, "previous_seen_at": previous_seen_at,
            "historical": 1, "observed_at": observed_at,
        })
        routing.enqueue_change(self.db, self.config.alerts, change_id, kind=change.kind, source=source,
                               classes=change.classes, significance=change.significance, now=now, historical=True)
        self.result.counts["edits"] += 1
        return change_id

    def _join(self, document_id: int, prev: dict, prev_seen: str | None, succ: dict, now: str, source: str) -> None:
        """The edit between the last archived version of a region and the version after it."""
        previous, current = ingest.version_fields(prev), ingest.version_fields(succ)
        change = detect.compare(previous, current, earlier=lambda: archive.earlier_hashes(self.db, document_id, prev))
        if change is None:
            return
        change.summary = f"made before {succ['observed_at']}: {change.summary}"
        self._change(document_id, change, previous, current, succ, succ["observed_at"], prev_seen, now, source,
                     succ.get("extractor") or "")

    def _touch(self, document_id: int) -> None:
        """The document's latest version (the one last observed), and when it was first seen."""
        latest = archive.latest_version(self.db, document_id)
        first = self.db.execute("SELECT MIN(observed_at) FROM versions WHERE document_id = ?", [document_id]).fetchone()[0]
        document = archive.get_document(self.db, document_id)
        update = {"latest_version_id": latest["id"], "title": latest["title"]} if latest else {}
        if first and first < document["first_seen"]:
            update["first_seen"] = first
        if latest and latest["observed_at"] > document["last_seen"]:
            update["last_seen"] = latest["observed_at"]
        if update:
            archive.touch_document(self.db, document_id, update)


def open_regions(db, document_id: int | None) -> list[Region]:
    """Where a document's history may still take captures (see the module's docstring)."""
    if document_id is None:
        return [Region(None, None)]
    versions = list(db.query("SELECT * FROM versions WHERE document_id = ? ORDER BY observed_at, seq", [document_id]))
    if not versions:
        return [Region(None, None)]
    joined = set(db.execute("SELECT from_version_id, to_version_id FROM changes WHERE document_id = ? "
                            "AND from_version_id IS NOT NULL AND to_version_id IS NOT NULL", [document_id]).fetchall())
    regions = [Region(None, versions[0])]
    for before, after in zip(versions, versions[1:]):
        if (before["id"], after["id"]) not in joined and before["content_hash"] != after["content_hash"]:
            regions.append(Region(before, after))
    if versions[-1]["origin"] == "wayback":
        regions.append(Region(versions[-1], None))
    return regions


def _document_at(db, url: str) -> int | None:
    found = archive.resolve_document(db, url)
    return found["id"] if found else None


def _archive_error(exc: Exception) -> bool:
    from wayback.exceptions import WaybackException

    return isinstance(exc, (WaybackException, requests.RequestException))


class BackfillProgress:
    """One line on a terminal: documents, captures, versions, and the time the rate limits need."""

    def __init__(self, settings: Backfill, stream, enabled: bool):
        self.settings, self.stream, self.enabled = settings, stream, enabled
        self.started = time.monotonic()
        self._shown = False

    def update(self, result: BackfillResult, *, done: int, total: int) -> None:
        if not self.enabled:
            return
        c = result.counts
        per_doc = (c["fetched"] + c["left"]) / max(done, 1)
        remaining = (total - done) * (1 / self.settings.search_per_second + per_doc / self.settings.memento_per_second)
        self.stream.write(f"\r\x1b[2Kbackfill: {done}/{total} documents, {c['listed']} captures listed, "
                          f"{c['fetched']} fetched, {c['versions']} versions, {c['edits']} edits, "
                          f"ETA {_duration(remaining)} at the archive's rate limits")
        self.stream.flush()
        self._shown = True

    def problem(self, message: str) -> None:
        if not self.enabled:
            logger.warning(message)
            return
        self.clear()
        self.stream.write(f"problem: {message}\n")

    def clear(self) -> None:
        if self._shown:
            self.stream.write("\r\x1b[2K")
            self.stream.flush()
            self._shown = False


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m" if seconds >= 3600 else \
        f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"
