"""Schema steps for the archive. Every change is a new step; never edit one that has shipped."""
from __future__ import annotations

import sqlite_utils
from sqlite_utils import Migrations

migrations = Migrations("remarkwatch")


def step_names() -> list[str]:
    """Every step's name, in order: what an empty archive has pending (sqlite-utils' public API)."""
    return [step.name for step in migrations.pending(sqlite_utils.Database(memory=True))]


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


CHANGE_COLUMNS_V1 = ("id, document_id, kind, from_version_id, to_version_id, detected_at, run_id, "
                     "changed_fields, field_diffs, diff, summary")


@migrations()
def m002_change_intelligence(db):
    """Edit classes, significance, located edits, reverts; speaker turns; removal state.

    `changes.to_version_id` becomes nullable (a removal or a block writes no version), which
    SQLite can only do by rebuilding the table; its rows are copied as they are.
    """
    db.execute(
        """CREATE TABLE changes_v2 (
            id INTEGER PRIMARY KEY,
            document_id INTEGER NOT NULL REFERENCES documents(id),
            kind TEXT NOT NULL,
            from_version_id INTEGER REFERENCES versions(id),
            to_version_id INTEGER REFERENCES versions(id),
            detected_at TEXT NOT NULL,
            run_id INTEGER REFERENCES runs(id),
            changed_fields TEXT NOT NULL,
            field_diffs TEXT,
            diff TEXT,
            summary TEXT,
            classes TEXT NOT NULL DEFAULT '[]',
            significance INTEGER NOT NULL DEFAULT 0,
            silent INTEGER NOT NULL DEFAULT 0,
            edits TEXT NOT NULL DEFAULT '[]',
            reverted_to_version_id INTEGER REFERENCES versions(id)
        )"""
    )
    db.execute(
        f"INSERT INTO changes_v2 ({CHANGE_COLUMNS_V1}, significance) "
        f"SELECT {CHANGE_COLUMNS_V1}, 50 FROM changes"
    )
    db.execute("DROP TABLE changes")
    db.execute("ALTER TABLE changes_v2 RENAME TO changes")
    db["changes"].create_index(["document_id"])
    db["changes"].create_index(["detected_at"])
    db["changes"].create_index(["kind"])
    db["changes"].create_index(["significance"])
    db["changes"].create_index(["to_version_id"], unique=True)
    db.execute("ALTER TABLE versions ADD COLUMN media TEXT")
    for column, decl in (
        ("state", "TEXT NOT NULL DEFAULT 'active'"),   # active, missing, removed, blocked
        ("state_since", "TEXT"),
        ("missing_since", "TEXT"),
        ("missing_passes", "INTEGER NOT NULL DEFAULT 0"),
        ("missing_run_id", "INTEGER"),
    ):
        db.execute(f"ALTER TABLE documents ADD COLUMN {column} {decl}")
    db["turns"].create(
        {"version_id": int, "seq": int, "speaker": str, "first_para": int, "last_para": int, "text": str},
        pk=("version_id", "seq"), foreign_keys=[("version_id", "versions", "id")],
        not_null={"first_para", "last_para", "text"},
    )
    db["turns"].create_index(["speaker"])
    for table in ("changes", "turns"):
        for action in ("UPDATE", "DELETE"):
            db.execute(
                f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} are append-only'); END"
            )


@migrations()
def m003_alerts(db):
    """The alert outbox, its delivery attempts, source events and source health."""
    db["events"].create(
        {"id": int, "kind": str, "source": str, "detected_at": str, "run_id": int, "detail": str},
        pk="id", not_null={"kind", "source", "detected_at"}, foreign_keys=[("run_id", "runs", "id")],
    )
    db["outbox"].create(
        {
            "id": int, "channel": str, "change_id": int, "event_id": int, "idempotency_key": str,
            "state": str, "attempts": int, "created_at": str, "next_attempt_at": str,
            "delivered_at": str, "last_error": str,
        },
        pk="id", not_null={"channel", "idempotency_key", "state", "attempts", "created_at", "next_attempt_at"},
        foreign_keys=[("change_id", "changes", "id"), ("event_id", "events", "id")],
        defaults={"state": "pending", "attempts": 0},
    )
    db["outbox"].create_index(["idempotency_key"], unique=True)
    db["outbox"].create_index(["state", "channel", "next_attempt_at"])
    db["alert_attempts"].create(
        {"id": int, "outbox_id": int, "attempted_at": str, "outcome": str, "status": int,
         "error": str, "duration_ms": int, "batch_key": str},
        pk="id", not_null={"outbox_id", "attempted_at", "outcome"},
        foreign_keys=[("outbox_id", "outbox", "id")],
    )
    db["alert_attempts"].create_index(["outbox_id"])
    db["source_health"].create(
        {"source": str, "state": str, "consecutive_failures": int, "since": str, "last_pass_at": str,
         "last_error": str},
        pk="source", not_null={"state", "consecutive_failures"},
    )


@migrations()
def m004_full_text_search(db):
    """FTS5 over every version's title, speakers and body, kept in step by triggers, so a phrase
    can be found in versions that no longer exist on the site."""
    db["versions"].enable_fts(["title", "speakers", "body_text"], fts_version="FTS5", create_triggers=True)


@migrations()
def m005_scheduling(db):
    """Per-document re-check times, per-source pass times, the pass lock and the daemon heartbeat."""
    db.execute("ALTER TABLE documents ADD COLUMN last_checked_at TEXT")
    db.execute("ALTER TABLE documents ADD COLUMN next_check_at TEXT")
    db["documents"].create_index(["source", "next_check_at"])
    db["source_state"].create(
        {"source": str, "last_started_at": str, "last_finished_at": str, "last_outcome": str,
         "last_sweep_at": str},
        pk="source",
    )
    db["locks"].create({"name": str, "pid": int, "host": str, "acquired_at": str}, pk="name",
                       not_null={"pid", "acquired_at"})
    db["daemon"].create(
        {"id": int, "pid": int, "host": str, "started_at": str, "heartbeat_at": str, "state": str,
         "detail": str},
        pk="id", not_null={"pid", "started_at", "state"},
    )


@migrations()
def m006_baseline_and_recheck_rule(db):
    """When each source's baseline pass completed (until then its new releases are recorded, not
    alerted, even across a killed first pass), and the re-check rule its documents' next check
    times were computed under (a changed rule reschedules them)."""
    db.execute("ALTER TABLE source_state ADD COLUMN baseline_done_at TEXT")
    db.execute("ALTER TABLE source_state ADD COLUMN recheck_rule TEXT")
    # Archives from before this step: a source with documents has had its baseline.
    db.execute("INSERT INTO source_state (source) SELECT DISTINCT source FROM documents WHERE true "
               "ON CONFLICT (source) DO NOTHING")
    db.execute("UPDATE source_state SET baseline_done_at = COALESCE(last_finished_at, last_started_at, "
               "(SELECT MIN(first_seen) FROM documents d WHERE d.source = source_state.source)) "
               "WHERE source IN (SELECT DISTINCT source FROM documents)")


@migrations()
def m007_change_sides(db):
    """The change page's side-by-side rows, computed once when the change is written (a huge
    page's diff is not recomputed on every request). Older changes compute theirs on request."""
    db.execute("ALTER TABLE changes ADD COLUMN sides TEXT")


@migrations()
def m008_change_window(db):
    """When the document was last seen unchanged before each change: with the detection time,
    the window in which an edit was made (304 answers leave no capture, so it is kept here)."""
    db.execute("ALTER TABLE changes ADD COLUMN previous_seen_at TEXT")


@migrations()
def m009_extraction_health(db):
    """Per pass and source, how many article pages the profile extracted, how many the generic
    fallback had to read, and how many neither could; and whether the source's layout is
    currently reported changed (a redesign the profile no longer matches)."""
    db["extraction_health"].create(
        {"id": int, "source": str, "run_id": int, "at": str, "attempted": int, "extracted": int,
         "fallback": int, "missed": int, "problem": str, "example_url": str},
        pk="id", not_null={"source", "at", "attempted", "extracted", "fallback", "missed"},
    )
    db["extraction_health"].create_index(["source", "id"])
    db.execute("ALTER TABLE source_health ADD COLUMN layout_state TEXT")
    db.execute("ALTER TABLE source_health ADD COLUMN layout_since TEXT")


def _fill_append_only(db, table: str, assignments: str) -> None:
    """Fill new columns of an append-only table's existing rows: its guard triggers (and the FTS
    update trigger of versions, whose indexed columns do not change) are lifted for this one
    statement of the migration and put back as they were."""
    saved = db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ? "
                       "AND (name LIKE ? OR name = ?)", [table, f"{table}_no_%", f"{table}_au"]).fetchall()
    for name, _ in saved:
        db.execute(f'DROP TRIGGER "{name}"')
    db.execute(f"UPDATE {table} SET {assignments}")
    for _, sql in saved:
        db.execute(sql)


@migrations()
def m010_history_and_evidence(db):
    """History found in web archives, and the evidence to replay captures.

    - captures: `origin` (live, wayback), the memento's URL and time (`memento_url`,
      `observed_at`: when the page was captured, `fetched_at` staying when we fetched it), and
      the response's full headers (`headers`, JSON pairs; older captures keep what they have).
    - versions: `observed_at` (when this content was seen on the site: the capture time, which
      a backfill makes older than the versions before it), `origin` and `memento_url`. A
      document's history reads in `observed_at` order; `seq` stays the order of writing.
    - changes: `historical` (found late in an archive, not alerted unless a channel asks) and
      `observed_at` (when the new content was first seen, for time order). A historical change may
      lead to a version that a live `new` change also leads to (the first version seen live), so
      the one-change-per-version rule is kept separately for live and for historical changes.
    """
    for column in ("origin", "memento_url", "observed_at", "headers"):
        db.execute(f"ALTER TABLE captures ADD COLUMN {column} TEXT")
    db.execute("ALTER TABLE captures ADD COLUMN memento_status INTEGER")
    db["captures"].create_index(["memento_url"])
    for column in ("observed_at", "origin", "memento_url"):
        db.execute(f"ALTER TABLE versions ADD COLUMN {column} TEXT")
    _fill_append_only(db, "versions", "observed_at = created_at, origin = 'live'")
    db["versions"].create_index(["document_id", "observed_at"])
    db.execute("ALTER TABLE changes ADD COLUMN historical INTEGER NOT NULL DEFAULT 0")
    db.execute("ALTER TABLE changes ADD COLUMN observed_at TEXT")
    _fill_append_only(db, "changes", "observed_at = detected_at")
    db.execute('DROP INDEX "idx_changes_to_version_id"')
    db.execute('CREATE UNIQUE INDEX "idx_changes_live_to_version" ON changes (to_version_id) WHERE historical = 0')
    db.execute('CREATE UNIQUE INDEX "idx_changes_historical_to_version" ON changes (to_version_id) WHERE historical = 1')
    db["changes"].create_index(["document_id", "observed_at"])


@migrations()
def m011_cluster_capture_keys(db):
    """A capture written from the cluster's stream carries the key its worker gave it: a capture
    delivered again (the writer killed between its commit and its acknowledgement) is written
    once."""
    db.execute("ALTER TABLE captures ADD COLUMN capture_key TEXT")
    db.execute('CREATE UNIQUE INDEX "idx_captures_capture_key" ON captures (capture_key) WHERE capture_key IS NOT NULL')


@migrations()
def m012_search_index_in_batches(db):
    """The full-text index is filled by the application, not by a trigger per version, so a large
    pass can index its new versions a batch at a time (storage.versions.index_versions): one FTS5
    segment per versions row was 41% of the archive writer's time on a first crawl (issue 17).
    `search_index` holds the last versions id the index has; versions are append-only, so every
    id above it is waiting, and whatever writes next catches up (a killed pass included)."""
    db.execute('DROP TRIGGER IF EXISTS "versions_ai"')
    db.execute("CREATE TABLE search_index (id INTEGER PRIMARY KEY CHECK (id = 1), indexed_upto INTEGER NOT NULL)")
    db.execute("INSERT INTO search_index (id, indexed_upto) SELECT 1, COALESCE(MAX(id), 0) FROM versions")


@migrations()
def m013_save_page_now(db):
    """Independent proof of a change: a request to the Internet Archive's Save Page Now per change
    that asks for one, written in the change's transaction (a killed pass loses none), with its
    job, its memento once saved, or why it failed for good; and the pause a 429 asks for."""
    db["spn_requests"].create(
        {"id": int, "change_id": int, "url": str, "state": str, "attempts": int, "created_at": str,
         "next_attempt_at": str, "job_id": str, "submitted_at": str, "memento_url": str,
         "memento_at": str, "finished_at": str, "last_error": str},
        pk="id", not_null={"change_id", "url", "state", "attempts", "created_at", "next_attempt_at"},
        foreign_keys=[("change_id", "changes", "id")], defaults={"state": "pending", "attempts": 0},
    )
    db["spn_requests"].create_index(["change_id"], unique=True)
    db["spn_requests"].create_index(["state", "next_attempt_at"])
    db.execute("CREATE TABLE spn_pause (id INTEGER PRIMARY KEY CHECK (id = 1), until TEXT NOT NULL)")


@migrations()
def m014_baseline_run(db):
    """The run that completed a source's baseline, so a baseline row is told by its run and not by
    its time: the archive's times have whole seconds, and a pass that began in the second the
    baseline ended had its new releases taken for baseline rows (hidden from `changes`). Filled for
    existing archives with the last run that started before the baseline was done."""
    db.execute("ALTER TABLE source_state ADD COLUMN baseline_run_id INTEGER")
    db.execute("UPDATE source_state SET baseline_run_id = (SELECT max(r.id) FROM runs r "
               "WHERE r.started_at < source_state.baseline_done_at) WHERE baseline_done_at IS NOT NULL")


@migrations()
def m015_capture_extractor(db):
    """Which extractor (profile and EXTRACTOR_VERSION) last read each capture: a live capture that
    differs from its version only because a new parser reads the page differently is told from an
    edit by the site, once, on the first capture the new extractor reads (issue 27). Older
    captures stay NULL (unknown)."""
    db.execute("ALTER TABLE captures ADD COLUMN extractor TEXT")


@migrations()
def m016_discovery(db):
    """`backfill --discover`: a whole site's releases found in a web archive's index, kept so a
    run stopped at any moment goes on where it stopped. `discoveries` is one run's plan for a
    source and date range (finished once every URL was backfilled); `discovery_queries` each CDX
    query's resume key (the page to ask next) and whether its listing is done; `discovery_urls`
    the releases found (one per CDX `urlkey`) and when each was backfilled."""
    db["discoveries"].create(
        {"id": int, "source": str, "since": str, "until": str, "started_at": str, "listed_at": str,
         "finished_at": str},
        pk="id", not_null={"source", "since", "until", "started_at"},
    )
    db["discoveries"].create_index(["source", "since", "until"])
    db["discovery_queries"].create(
        {"discovery_id": int, "query": str, "match_type": str, "resume_key": str, "pages": int, "seen": int,
         "done": int},
        pk=("discovery_id", "query"), not_null={"discovery_id", "query", "match_type", "pages", "seen", "done"},
        foreign_keys=[("discovery_id", "discoveries", "id")], defaults={"pages": 0, "seen": 0, "done": 0},
    )
    db["discovery_urls"].create(
        {"discovery_id": int, "urlkey": str, "url": str, "found_at": str, "backfilled_at": str},
        pk=("discovery_id", "urlkey"), not_null={"discovery_id", "urlkey", "url", "found_at"},
        foreign_keys=[("discovery_id", "discoveries", "id")],
    )


@migrations()
def m017_run_outside_listings(db):
    """How many new releases the pass's signals (feeds, REST queries, sitemaps) named that no source
    of the pass reads a listing of, so they were not fetched (issue 25): `status` shows it beside
    each run, where a wrong listing URL shows up. Older runs stay NULL (not counted)."""
    db.execute("ALTER TABLE runs ADD COLUMN outside_listings INTEGER")
