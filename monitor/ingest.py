"""Turn one capture into archive rows: capture, and when the content is new, version and change.

Everything for one document is written in one transaction, so a crash leaves all or nothing.
"""
from __future__ import annotations

import json
from dataclasses import asdict

import sqlite_utils

from crawler.items import OK, Capture
from monitor import detect, normalize
from storage import archive

LIST_FIELDS = ("speakers", "tags", "links")


def identity_key(site: str, post_id: str | None, url: str) -> str:
    """A document's stable identity: the site's post id when known, else its canonical URL."""
    return f"{site}:post:{post_id}" if post_id else f"url:{url}"


def version_fields(row: dict) -> dict:
    """A versions row as the field dict detect works on (JSON lists decoded)."""
    fields = dict(row)
    for name in LIST_FIELDS:
        fields[name] = json.loads(row.get(name) or "[]")
    return fields


def ingest(db: sqlite_utils.Database, capture: Capture, *, site: str, run_id: int | None,
           now: str) -> str:
    """Record `capture`; return "new", "edited", "unchanged" or "failed"."""
    with db.atomic():
        blob = archive.put_blob(db, capture.body) if capture.body else None
        capture_id = archive.insert_capture(db, {
            "run_id": run_id, "source": capture.source, "url": capture.url,
            "final_url": capture.final_url, "status": capture.status, "outcome": capture.outcome,
            "error": capture.error, "fetched_at": capture.fetched_at,
            "content_type": capture.content_type, "etag": capture.etag,
            "last_modified": capture.last_modified, "blob_hash": blob,
        })
        urls = [capture.url, capture.final_url, *capture.redirect_urls]
        if capture.outcome != OK or capture.fields is None:
            known = archive.find_document(db, "", urls)
            if known is not None:
                archive.link_capture(db, capture_id, known["id"], None)
            return "failed"
        return _record_content(db, capture, capture_id, site, run_id, now)


def _record_content(db, capture: Capture, capture_id: int, site: str, run_id, now: str) -> str:
    fields = asdict(capture.fields)
    canonical = fields.get("canonical_url") or capture.final_url
    urls = [canonical, capture.url, capture.final_url, *capture.redirect_urls]
    key = identity_key(site, fields.get("post_id"), canonical)
    document = archive.find_document(db, key, urls)
    previous = None
    if document is None:
        document_id = archive.create_document(db, {
            "source": capture.source, "key": key, "post_id": fields.get("post_id"),
            "url": capture.final_url, "canonical_url": canonical, "title": fields.get("title"),
            "first_seen": now, "last_seen": now,
        })
    else:
        document_id = document["id"]
        latest = archive.latest_version(db, document_id)
        previous = version_fields(latest) if latest else None
    archive.remember_urls(db, document_id, urls, now)
    change = detect.compare(previous, fields)
    if change is None:
        archive.link_capture(db, capture_id, document_id, previous["id"])
        archive.touch_document(db, document_id, {"last_seen": now, "url": capture.final_url})
        return "unchanged"
    version_id = archive.insert_version(db, _version_row(fields, capture, capture_id, document_id, now))
    archive.insert_change(db, {
        "document_id": document_id, "kind": change.kind,
        "from_version_id": previous["id"] if previous else None, "to_version_id": version_id,
        "detected_at": now, "run_id": run_id, "changed_fields": json.dumps(change.changed_fields),
        "field_diffs": json.dumps(change.field_diffs, ensure_ascii=False), "diff": change.diff,
        "summary": change.summary,
    })
    archive.link_capture(db, capture_id, document_id, version_id)
    update = {"last_seen": now, "url": capture.final_url, "title": fields.get("title"),
              "latest_version_id": version_id, "canonical_url": canonical}
    if document is not None and fields.get("post_id") and not document.get("post_id"):
        update.update(post_id=fields["post_id"], key=key)
    archive.touch_document(db, document_id, update)
    return change.kind


def _version_row(fields: dict, capture: Capture, capture_id: int, document_id: int, now: str) -> dict:
    row = {name: fields.get(name) for name in (
        "post_id", "title", "doc_type", "audience", "location", "published", "published_text",
        "modified_time", "body_html", "body_text",
    )}
    row.update({name: json.dumps(fields.get(name) or [], ensure_ascii=False) for name in LIST_FIELDS})
    row.update(
        document_id=document_id, capture_id=capture_id, created_at=now, url=capture.final_url,
        canonical_url=fields.get("canonical_url"), content_hash=normalize.content_hash(fields),
        raw_hash=normalize.raw_hash(fields), extractor=capture.extractor,
    )
    return row
