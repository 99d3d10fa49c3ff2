"""Recording what a web archive showed: the same rows as a live capture (rows.py, decide.py), filed
where the backfill places them in a document's history instead of after its latest version, and
flagged `historical`. Live state (missing, removed, blocked, next check) is never touched."""
from __future__ import annotations

from dataclasses import dataclass

from remarkwatch.core import decide, detect
from remarkwatch.core.fields import version_fields
from remarkwatch.crawler.items import OK, Capture, extractor_family
from remarkwatch.record.rows import add_change, add_version, identity_key
from remarkwatch.storage import captures, documents, versions

FIRST, UNCHANGED, FAILED = "first", "unchanged", "failed"


@dataclass
class Place:
    """Where the next capture of a document's history goes: after `version` (a versions row; None:
    before the first), which was last seen at `seen_at`. `url` is the URL the document is filed
    under for the capture, `urls` the others it is known by. record() moves it on."""
    document_id: int | None
    version: dict | None
    seen_at: str | None
    url: str = ""
    urls: tuple = ()


def record_history(db, capture: Capture, place: Place, *, site: str, now: str, channels: tuple) -> str:
    """Record a stored capture (`capture.capture_id`) of a web archive at `place`; return "first"
    (the region's first version), "unchanged", "failed" or the change's kind."""
    if capture.outcome != OK or capture.fields is None:
        if place.document_id is not None:
            captures.link_capture(db, capture.capture_id, place.document_id, None)
        return FAILED
    fields = capture.fields.as_dict()
    if place.document_id is None:
        place.document_id = _document(db, capture, fields, place, site)
    # The URL the capture is filed under is one of the document's (a slug that changed, found by
    # post id): `history URL` and the pages find the document by it, with when it was seen there.
    documents.remember_urls(db, place.document_id, [place.url], capture.observed_at)
    current = {**fields, "url": place.url}
    if place.version is None:
        place.version = versions.get_version(db, add_version(db, fields, capture, place.document_id, now, url=place.url))
        place.seen_at = capture.seen_until
        captures.link_capture(db, capture.capture_id, place.document_id, place.version["id"])
        return FIRST
    prev = place.version
    previous = version_fields(prev)
    change = detect.compare(previous, current, earlier=lambda: versions.earlier_hashes(db, place.document_id, prev))
    if change is None:
        captures.link_capture(db, capture.capture_id, place.document_id, prev["id"])
        place.seen_at = capture.seen_until
        return UNCHANGED
    version_id = add_version(db, fields, capture, place.document_id, now, url=place.url) \
        if change.changed_fields else None
    _add(db, place.document_id, change, previous, version_id, fields.get("body_text"), capture.extractor,
         observed_at=capture.observed_at, previous_seen_at=place.seen_at, now=now, source=capture.source,
         channels=channels)
    captures.link_capture(db, capture.capture_id, place.document_id, version_id or prev["id"])
    place.version = versions.get_version(db, version_id) if version_id else prev
    place.seen_at = capture.seen_until
    return change.kind


def join(db, place: Place, succ: dict, *, now: str, source: str, channels: tuple) -> str | None:
    """The edit between the last archived version of a region and the version after it (made
    some time before the later one was observed); its kind, or None when they are the same."""
    prev = place.version
    previous, current = version_fields(prev), version_fields(succ)
    change = detect.compare(previous, current,
                            earlier=lambda: versions.earlier_hashes(db, place.document_id, prev))
    if change is None:
        return None
    change.summary = f"made before {succ['observed_at']}: {change.summary}"
    _add(db, place.document_id, change, previous, succ["id"], current.get("body_text"), succ.get("extractor") or "",
         observed_at=succ["observed_at"], previous_seen_at=place.seen_at, now=now, source=source, channels=channels)
    return change.kind


def finish(db, document_id: int) -> None:
    """The document's latest version (the one last observed), and when it was first seen."""
    latest = versions.latest_version(db, document_id)
    first = versions.first_observed(db, document_id)
    document = documents.get_document(db, document_id)
    update = {"latest_version_id": latest["id"], "title": latest["title"]} if latest else {}
    if first and first < document["first_seen"]:
        update["first_seen"] = first
    if latest and latest["observed_at"] > document["last_seen"]:
        update["last_seen"] = latest["observed_at"]
    if update:
        documents.touch_document(db, document_id, update)


def _add(db, document_id: int, change: detect.Change, previous: dict, version_id: int | None, body_text,
         extractor: str, **where) -> int:
    if extractor_family(previous.get("extractor")) != extractor_family(extractor):
        change = decide.extractor_switched(change, previous.get("extractor"), extractor)
    return add_change(db, document_id, change, previous, version_id, body_text, run_id=None, historical=True,
                      **where)


def _document(db, capture: Capture, fields: dict, place: Place, site: str) -> int:
    canonical = fields.get("canonical_url")
    key = identity_key(site, fields.get("post_id"), canonical or place.url)
    found = documents.find_document(db, key, [place.url, *place.urls, canonical])
    if found is not None:
        return found["id"]
    document_id = documents.create_document(db, {
        "source": capture.source, "key": key, "post_id": fields.get("post_id"), "url": place.url,
        "canonical_url": canonical or place.url, "title": fields.get("title"),
        "first_seen": capture.observed_at, "last_seen": capture.observed_at,
    })
    documents.remember_urls(db, document_id, {place.url, *place.urls}, capture.observed_at)
    return document_id
