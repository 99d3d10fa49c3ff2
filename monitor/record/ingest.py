"""Turn one capture into archive rows: the capture, and when something changed, a version and a change.

Everything for one document is written in one transaction, so a crash leaves all or nothing.

A document is `active`, `missing` (gone at its current URL, not yet long enough to say so),
`removed`, or `blocked`. A page that is gone (404/410, or a redirect to the home or listing page)
is declared `removed` only once it has been gone for `RemovalPolicy.passes` passes and
`RemovalPolicy.hours` hours; when it comes back it is `restored`.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Callable

import sqlite_utils

from remarkwatch.crawler.items import BLOCKED, GONE, OK, Capture, extractor_family
from remarkwatch.core import decide, detect
from remarkwatch.core.fields import version_fields
from remarkwatch.alerts import routing
from remarkwatch.record.rows import add_change, add_version, identity_key, store_capture
from remarkwatch.storage import captures, changes, documents, rows, versions

ACTIVE, MISSING, REMOVED, BLOCKED_STATE = "active", "missing", "removed", "blocked"
UNCHANGED, FAILED = "unchanged", "failed"


@dataclass(frozen=True)
class RemovalPolicy:
    passes: int = 2       # consecutive passes a page must be gone before it is declared removed
    hours: float = 1.0    # and for at least this long


def ingest(db: sqlite_utils.Database, capture: Capture, *, site: str, run_id: int | None,
           now: str, policy: RemovalPolicy = RemovalPolicy(), channels: tuple = (),
           next_check: Callable[[str], str] | None = None) -> str:
    """Record `capture`; return the change kind, "unchanged" or "failed".

    The outbox rows of the channels that want a change are written in the change's transaction.
    `next_check(first_seen)` gives the document's next re-check time, written with the capture.
    """
    with db.atomic():
        capture_id = store_capture(db, capture, run_id)
        if capture.outcome != OK or capture.fields is None:
            kind = _record_failure(db, capture, capture_id, run_id, now, policy, channels)
        else:
            kind = _record_content(db, capture, capture_id, site, run_id, now, channels=channels)
        if next_check is not None:
            _schedule(db, capture_id, now, next_check)
        return kind


def _schedule(db, capture_id: int, now: str, next_check) -> None:
    """The checked document's last and next check times (a capture of no known document: none)."""
    row = rows.first_row(db, "SELECT d.id, d.first_seen FROM captures c JOIN documents d ON d.id = c.document_id "
                                "WHERE c.id = ?", [capture_id])
    if row is not None:
        documents.touch_document(db, row["id"], {"last_checked_at": now, "next_check_at": next_check(row["first_seen"])})


def reextract(db: sqlite_utils.Database, capture: Capture, *, site: str, now: str) -> str:
    """Record what a stored capture (`capture.capture_id`) extracts to now; a difference is a
    `reextracted` change."""
    with db.atomic():
        captures.set_reader(db, capture.capture_id, capture.extractor)
        return _record_content(db, capture, capture.capture_id, site, None, now, reextracted=True)


def _switched(db, change, previous: dict, capture: Capture, document_id: int, capture_id: int):
    """The change relabelled as the extractor's when the extractor changed, not the page: the
    profile and the generic fallback took turns, or the last capture of the document was read by
    another extractor (a new EXTRACTOR_VERSION, such as the HTML5 parser of issue 27, reads this
    one first: compared with a version its predecessor extracted, the parser's differences would
    read as edits)."""
    if extractor_family(previous.get("extractor")) != extractor_family(capture.extractor):
        return decide.extractor_switched(change, previous.get("extractor"), capture.extractor)
    read_by = captures.last_reader(db, document_id, capture_id)
    if read_by and capture.extractor and read_by != capture.extractor:
        return decide.extractor_switched(change, read_by, capture.extractor)
    return change


def _record_failure(db, capture: Capture, capture_id: int, run_id, now: str, policy: RemovalPolicy,
                    channels: tuple) -> str:
    urls = [capture.url, capture.final_url, *capture.redirect_urls]
    document = documents.find_document(db, "", urls)
    if document is None:
        return FAILED
    captures.link_capture(db, capture_id, document["id"], None)
    if capture.outcome == GONE:
        return _record_gone(db, document, capture, urls, run_id, now, policy, channels)
    if capture.outcome == BLOCKED and document["state"] not in (BLOCKED_STATE, REMOVED):
        documents.touch_document(db, document["id"], {"state": BLOCKED_STATE, "state_since": now})
        _insert_event(db, document, detect.BLOCKED, run_id, now,
                      f"blocked: {capture.error or 'block page'} at {capture.final_url}", channels)
        return detect.BLOCKED
    return FAILED


def _record_gone(db, document: dict, capture: Capture, urls: list[str], run_id, now: str,
                 policy: RemovalPolicy, channels: tuple) -> str:
    # An old URL of a moved document answering 404 says nothing about the document.
    if document["state"] == REMOVED or document["url"] not in urls:
        return FAILED
    run_key = run_id or 0
    passes = document["missing_passes"] + (0 if document["missing_run_id"] == run_key else 1)
    since = document["missing_since"] or now
    update = {"missing_passes": passes, "missing_run_id": run_key, "missing_since": since}
    if document["state"] != MISSING:
        update.update(state=MISSING, state_since=now)
    if passes >= policy.passes and _hours(since, now) >= policy.hours:
        update.update(state=REMOVED, state_since=now)
        documents.touch_document(db, document["id"], update)
        how = capture.error or (f"HTTP {capture.status}" if capture.status else "gone")
        _insert_event(db, document, detect.REMOVED, run_id, now,
                      f"removed: {how} at {capture.url} (gone since {since}, {passes} passes)", channels)
        return detect.REMOVED
    documents.touch_document(db, document["id"], update)
    return FAILED


def _hours(start: str, end: str) -> float:
    try:
        return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds() / 3600
    except ValueError:
        return 0.0


def _insert_event(db, document: dict, kind: str, run_id, now: str, summary: str, channels: tuple) -> int:
    """A change that writes no version: removed or blocked."""
    change_id = changes.insert_change(db, {
        "document_id": document["id"], "kind": kind, "from_version_id": document["latest_version_id"],
        "to_version_id": None, "detected_at": now, "run_id": run_id, "changed_fields": "[]",
        "field_diffs": "{}", "diff": "", "summary": summary, "classes": "[]",
        "significance": detect.KIND_FLOOR[kind], "silent": 0, "edits": "[]", "observed_at": now,
    })
    routing.enqueue_change(db, channels, change_id, kind=kind, source=document["source"], classes=(),
                           significance=detect.KIND_FLOOR[kind], now=now)
    return change_id


def _record_content(db, capture: Capture, capture_id: int, site: str, run_id, now: str, *,
                    reextracted: bool = False, channels: tuple = ()) -> str:
    fields = capture.fields.as_dict()
    prepared = capture.prepared if not reextracted else None
    document, document_id, previous, earlier = _document_for(db, capture, fields, site, now)
    current = {**fields, "url": capture.final_url}
    if previous is not None and prepared is not None and prepared.raw_hash == previous.get("raw_hash") \
            and detect.page_url(previous) == detect.page_url(current):
        change = None     # every compared field as extracted is the same (a page differing only by noise)
    else:
        change = detect.compare(previous, current, earlier=earlier,
                                present=prepared.present if prepared is not None else None)
    if document is not None and document["state"] == REMOVED and not reextracted:
        change = decide.restored(change, capture.final_url)
    if reextracted and change is not None:
        change = decide.reextracted(change, capture.extractor)
    elif change is not None and previous is not None:
        change = _switched(db, change, previous, capture, document_id, capture_id)
    update = {"last_seen": now, "url": capture.final_url}
    if document is not None and document["state"] != ACTIVE and not reextracted:
        update.update(state=ACTIVE, state_since=now, missing_since=None, missing_passes=0, missing_run_id=None)
    if document is not None and fields.get("post_id") and not document.get("post_id"):
        update.update(post_id=fields["post_id"], key=identity_key(site, fields["post_id"], ""))
    if change is None:
        captures.link_capture(db, capture_id, document_id, previous["id"])
        documents.touch_document(db, document_id, update)
        return UNCHANGED
    version_id = None
    if change.changed_fields or previous is None:
        version_id = add_version(db, fields, capture, document_id, now, prepared=prepared)
        update.update(title=fields.get("title"), latest_version_id=version_id,
                      canonical_url=fields.get("canonical_url") or capture.final_url)
    add_change(db, document_id, change, previous, version_id, fields.get("body_text"), run_id=run_id, now=now,
               observed_at=now, previous_seen_at=document["last_seen"] if document is not None else None,
               source=capture.source, channels=channels)
    if not reextracted:
        captures.link_capture(db, capture_id, document_id, version_id or (previous or {}).get("id"))
    documents.touch_document(db, document_id, update)
    return change.kind


def _document_for(db, capture: Capture, fields: dict, site: str, now: str):
    """The capture's document (created when new), its latest version's fields, and a lookup of
    its earlier versions' content hashes for telling reverts."""
    canonical = fields.get("canonical_url") or capture.final_url
    urls = [canonical, capture.url, capture.final_url, *capture.redirect_urls]
    key = identity_key(site, fields.get("post_id"), canonical)
    document = documents.find_document(db, key, urls)
    previous = earlier = None
    if document is None:
        document_id = documents.create_document(db, {
            "source": capture.source, "key": key, "post_id": fields.get("post_id"),
            "url": capture.final_url, "canonical_url": canonical, "title": fields.get("title"),
            "first_seen": now, "last_seen": now,
        })
    else:
        document_id = document["id"]
        latest = versions.latest_version(db, document_id)
        if latest:
            previous = version_fields(latest)
            earlier = lambda: versions.earlier_hashes(db, document_id, latest)  # noqa: E731
    documents.remember_urls(db, document_id, urls, now)
    return document, document_id, previous, earlier


