"""storage/db.py: opening an archive for writing or only for reading, and the write-lock transaction."""
from __future__ import annotations

import os
import sqlite3
import threading

import pytest

from remarkwatch.storage.db import MissingDatabase, StorageError, immediate, integrity_check, open_db


def test_open_creates_the_folder_and_sets_wal_and_foreign_keys(tmp_path):
    db = open_db(tmp_path / "deep" / "er" / "a.db")
    assert (tmp_path / "deep" / "er" / "a.db").is_file()
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert db.execute("PRAGMA synchronous").fetchone()[0] == 1          # NORMAL
    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
        db.execute("INSERT INTO document_urls (document_id, url, first_seen, last_seen) VALUES (99, 'u', 't', 't')")


def test_migrate_false_leaves_an_empty_file_empty(tmp_path):
    db = open_db(tmp_path / "a.db", migrate=False)
    assert db.table_names() == []


def test_readonly_never_creates_a_file(tmp_path):
    with pytest.raises(MissingDatabase, match="no archive there"):
        open_db(tmp_path / "none.db", readonly=True)
    assert not (tmp_path / "none.db").exists()
    assert issubclass(MissingDatabase, StorageError)


def test_readonly_of_a_writable_archive_refuses_writes(tmp_path):
    open_db(tmp_path / "a.db").execute("INSERT INTO runs (started_at, outcome) VALUES ('t', 'ok')")
    db = open_db(tmp_path / "a.db", readonly=True)
    assert db["runs"].count == 1
    with pytest.raises(sqlite3.OperationalError, match="readonly|read-only|query_only"):
        db.execute("INSERT INTO runs (started_at, outcome) VALUES ('t', 'ok')")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes to read-only files")
def test_readonly_reads_an_archive_it_cannot_write(tmp_path):
    writer = open_db(tmp_path / "a.db")
    writer.execute("INSERT INTO runs (started_at, outcome) VALUES ('t', 'ok')")
    writer.close()
    (tmp_path / "a.db").chmod(0o444)
    tmp_path.chmod(0o555)
    try:
        assert open_db(tmp_path / "a.db", readonly=True)["runs"].count == 1
    finally:
        tmp_path.chmod(0o755)


def test_readonly_of_a_file_that_is_not_sqlite(tmp_path):
    (tmp_path / "junk.db").write_bytes(b"not sqlite " * 100)
    with pytest.raises(StorageError, match="cannot open the database"):
        open_db(tmp_path / "junk.db", readonly=True)


def test_immediate_commits_or_rolls_back_everything(tmp_path):
    db = open_db(tmp_path / "a.db")
    with immediate(db):
        db.execute("INSERT INTO runs (started_at, outcome) VALUES ('t', 'ok')")
    with pytest.raises(RuntimeError):
        with immediate(db):
            db.execute("INSERT INTO runs (started_at, outcome) VALUES ('t', 'ok')")
            with db.atomic():                                       # nested: a savepoint
                db.execute("INSERT INTO runs (started_at, outcome) VALUES ('t', 'ok')")
            raise RuntimeError("stop")
    assert db["runs"].count == 1 and not db.conn.in_transaction


def test_two_first_opens_at_once_apply_each_step_once(tmp_path):
    errors = []

    def first_open():
        try:
            open_db(tmp_path / "a.db")
        except Exception as exc:      # the failure is the finding
            errors.append(exc)

    threads = [threading.Thread(target=first_open) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert integrity_check(open_db(tmp_path / "a.db")) == ["ok"]


@pytest.fixture
def old_archive(tmp_path):
    """An archive an older version made: stopped before the last migration."""
    from sqlite_utils import Database

    from remarkwatch.storage.migrations import migrations, step_names
    old = Database(tmp_path / "old.db")
    migrations.apply(old, stop_before=step_names()[-1])
    old.close()
    return tmp_path / "old.db"


def test_an_old_archive_on_read_only_storage_is_one_line_and_exit_2(old_archive, monkeypatch):
    """Issue 27, item 12: reading commands ended in `no such column` tracebacks."""
    from remarkwatch.storage import db as db_module
    monkeypatch.setattr(db_module, "writable", lambda path: False)        # as on read-only storage
    with pytest.raises(db_module.OldSchema, match=r"old.db: this archive has schema \d+, this version of "
                                                  r"remarkwatch needs \d+, and it cannot be upgraded here"):
        open_db(old_archive, readonly=True)
    config = old_archive.parent / "remarkwatch.toml"
    config.write_text('db = "old.db"\n\n[[sources]]\nname = "s"\nprofile = "state.gov"\n'
                      'start_urls = ["https://www.state.gov/press-releases/"]\n', encoding="utf-8")
    from tests.conftest import invoke
    shown = invoke("changes", "--config", config)
    assert shown.returncode == 2 and "Traceback" not in shown.stderr and "cannot be upgraded here" in shown.stderr


def test_an_old_writable_archive_read_is_upgraded_and_says_so_once(old_archive, caplog):
    with caplog.at_level("WARNING", logger="remarkwatch.storage.db"):
        open_db(old_archive, readonly=True)
        open_db(old_archive, readonly=True)
    said = [r.getMessage() for r in caplog.records if "was upgraded" in r.getMessage()]
    from remarkwatch.storage.migrations import step_names
    assert len(said) == 1 and step_names()[-1] in said[0]
