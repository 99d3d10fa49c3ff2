"""The rows a capture writes, built one way for every route into the archive: the capture with its
evidence, a version with its speaker turns, a change with its side by side and its outbox rows."""
from __future__ import annotations

import json

from remarkwatch.alerts import routing
from remarkwatch.core import normalize, transcript
from remarkwatch.core.detect import Change
from remarkwatch.core.fields import LIST_FIELDS
from remarkwatch.core.sides import rows_json, side_by_side
from remarkwatch.crawler.items import Capture
from remarkwatch.storage import blobs, captures, changes, versions

VERSION_FIELDS = ("post_id", "title", "doc_type", "audience", "location", "published", "published_text",
                  "modified_time", "body_html", "body_text")


def identity_key(site: str, post_id: str | None, url: str) -> str:
    """A document's stable identity: the site's post id when known, else its canonical URL."""
    return f"{site}:post:{post_id}" if post_id else f"url:{url}"


def store_capture(db, capture: Capture, run_id: int | None) -> int:
    """The capture row (and its body's blob); sets and returns `capture.capture_id`."""
    prepared = capture.prepared
    blob = blobs.put_blob(db, capture.body, *((prepared.blob_hash, prepared.blob) if prepared else ())) \
        if capture.body else None
    capture.capture_id = captures.insert_capture(db, {
        "run_id": run_id, "source": capture.source, "url": capture.url,
        "final_url": capture.final_url, "status": capture.status, "outcome": capture.outcome,
        "error": capture.error, "fetched_at": capture.fetched_at,
        "content_type": capture.content_type, "etag": capture.etag,
        "last_modified": capture.last_modified, "blob_hash": blob, "extractor": capture.extractor or None,
        **capture_evidence(capture),
    })
    return capture.capture_id


def capture_evidence(capture: Capture) -> dict:
    """The capture's origin, memento and headers columns (m010)."""
    return {
        "origin": capture.origin, "memento_url": capture.memento_url, "memento_status": capture.memento_status,
        "capture_key": capture.capture_key,
        "observed_at": capture.observed_at or capture.fetched_at,
        "headers": json.dumps(capture.headers, ensure_ascii=False) if capture.headers is not None else None,
    }


def add_version(db, fields: dict, capture: Capture, document_id: int, now: str, *, url: str | None = None,
                prepared=None) -> int:
    """A version of `fields` as `capture` showed them, with its speaker turns."""
    row = {name: fields.get(name) for name in VERSION_FIELDS}
    row.update({name: json.dumps(fields.get(name) or [], ensure_ascii=False) for name in LIST_FIELDS})
    row.update(
        document_id=document_id, capture_id=capture.capture_id, created_at=now, url=url or capture.final_url,
        observed_at=capture.observed_at if capture.origin != "live" and capture.observed_at else now,
        origin=capture.origin, memento_url=capture.memento_url,
        canonical_url=fields.get("canonical_url"),
        content_hash=prepared.content_hash if prepared is not None else normalize.content_hash(fields),
        raw_hash=prepared.raw_hash if prepared is not None else normalize.raw_hash(fields), extractor=capture.extractor,
    )
    version_id = versions.insert_version(db, row)
    add_turns(db, version_id, fields.get("body_text"), prepared.turns if prepared is not None else None)
    return version_id


def add_turns(db, version_id: int, body_text: str | None, turns: list | None = None) -> None:
    """A version's speaker turns (split from its body unless a helper already did)."""
    versions.insert_turns(db, version_id, turns if turns is not None else transcript.split_turns(body_text))


def add_change(db, document_id: int, change: Change, previous: dict | None, version_id: int | None,
               body_text: str | None, *, run_id, now: str, observed_at: str, previous_seen_at: str | None,
               source: str, channels: tuple, historical: bool = False) -> int:
    """The change row (with the side by side of a body edit) and the outbox rows of the channels
    that want it, in the caller's transaction."""
    sides = None
    if previous is not None and "body" in change.changed_fields:
        sides = rows_json(side_by_side(previous.get("body_text") or "", body_text or ""))
    change_id = changes.insert_change(db, {
        "sides": sides, "previous_seen_at": previous_seen_at,
        "document_id": document_id, "kind": change.kind,
        "from_version_id": previous["id"] if previous else None, "to_version_id": version_id,
        "detected_at": now, "run_id": run_id, "changed_fields": json.dumps(change.changed_fields),
        "field_diffs": json.dumps(change.field_diffs, ensure_ascii=False), "diff": change.diff,
        "summary": change.summary, "classes": json.dumps(change.classes),
        "significance": change.significance, "silent": int(change.silent),
        "edits": json.dumps(change.edits_as_dicts(), ensure_ascii=False),
        "reverted_to_version_id": change.reverted_to, "observed_at": observed_at, "historical": int(historical),
    })
    routing.enqueue_change(db, channels, change_id, kind=change.kind, source=source, classes=change.classes,
                           significance=change.significance, now=now, historical=historical)
    return change_id
