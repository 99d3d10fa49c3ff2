"""Schema steps for the archive. Every change is a new step; never edit one that has shipped."""
from __future__ import annotations

from sqlite_utils import Migrations

migrations = Migrations("remarkwatch")


@migrations()
def m001_core(db):
    db["runs"].create(
        {
            "id": int, "started_at": str, "finished_at": str, "sources": str, "pid": int,
            "outcome": str, "pages": int, "new": int, "edited": int, "unchanged": int,
            "failed": int, "error": str,
        },
        pk="id", not_null={"started_at", "outcome"},
    )
    db["blobs"].create(
        {"hash": str, "size": int, "encoding": str, "content": bytes},
        pk="hash", not_null={"size", "encoding", "content"},
    )
    db["documents"].create(
        {
            "id": int, "source": str, "key": str, "post_id": str, "url": str,
            "canonical_url": str, "title": str, "first_seen": str, "last_seen": str,
            "latest_version_id": int,
        },
        pk="id", not_null={"source", "key", "url", "first_seen", "last_seen"},
    )
    db["documents"].create_index(["key"], unique=True)
    db["document_urls"].create(
        {"document_id": int, "url": str, "first_seen": str, "last_seen": str},
        pk=("document_id", "url"), foreign_keys=[("document_id", "documents", "id")],
        not_null={"first_seen", "last_seen"},
    )
    db["document_urls"].create_index(["url"])
    db["captures"].create(
        {
            "id": int, "run_id": int, "source": str, "url": str, "final_url": str,
            "status": int, "outcome": str, "error": str, "fetched_at": str,
            "content_type": str, "etag": str, "last_modified": str, "blob_hash": str,
            "document_id": int, "version_id": int,
        },
        pk="id", not_null={"source", "url", "outcome", "fetched_at"},
        foreign_keys=[
            ("run_id", "runs", "id"), ("blob_hash", "blobs", "hash"),
            ("document_id", "documents", "id"),
        ],
    )
    db["captures"].create_index(["url"])
    db["captures"].create_index(["document_id"])
    db["versions"].create(
        {
            "id": int, "document_id": int, "seq": int, "capture_id": int, "created_at": str,
            "url": str, "canonical_url": str, "post_id": str, "title": str, "doc_type": str,
            "speakers": str, "audience": str, "location": str, "published": str,
            "published_text": str, "modified_time": str, "tags": str, "links": str,
            "body_html": str, "body_text": str, "content_hash": str, "raw_hash": str,
            "extractor": str,
        },
        pk="id", not_null={"document_id", "seq", "created_at", "body_text", "content_hash"},
        foreign_keys=[("document_id", "documents", "id"), ("capture_id", "captures", "id")],
    )
    db["versions"].create_index(["document_id", "seq"], unique=True)
    db["changes"].create(
        {
            "id": int, "document_id": int, "kind": str, "from_version_id": int,
            "to_version_id": int, "detected_at": str, "run_id": int, "changed_fields": str,
            "field_diffs": str, "diff": str, "summary": str,
        },
        pk="id", not_null={"document_id", "kind", "to_version_id", "detected_at", "changed_fields"},
        foreign_keys=[
            ("document_id", "documents", "id"), ("from_version_id", "versions", "id"),
            ("to_version_id", "versions", "id"), ("run_id", "runs", "id"),
        ],
    )
    db["changes"].create_index(["document_id"])
    db["changes"].create_index(["detected_at"])
    # At most one change produces a given version: a retried pass can never record it twice.
    db["changes"].create_index(["to_version_id"], unique=True)
    # The archive is append-only: versions and changes are evidence and are never rewritten.
    for table in ("versions", "changes"):
        for action in ("UPDATE", "DELETE"):
            db.execute(
                f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} are append-only'); END"
            )
