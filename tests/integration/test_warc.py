"""`remarkwatch export warc`: WARC 1.1 that archivists' own tools accept (`warcio check`), read
back record by record, and replayed by pywb on loopback."""
from __future__ import annotations

import json
import os
import sqlite3
import shutil
import subprocess
import sys
import time
import urllib.request
from contextlib import closing
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from remarkwatch.demo.replica.content import demo_releases
from remarkwatch.demo.replica.server import ReplicaServer
from remarkwatch.demo.replica.site import Site
from remarkwatch.storage import blobs
from remarkwatch.storage.db import open_db
from tests.conftest import ROOT, crawl, invoke, write_config
from tests.receivers import free_port

PYWB = ROOT / ".venv-pywb"
WARCIO = Path(sys.executable).parent / "warcio"


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    """A replica crawled twice with an edit between: captures, versions and an `edited` change."""
    folder = tmp_path_factory.mktemp("warc")
    site = Site(demo_releases())
    with ReplicaServer(site) as server:
        config = write_config(folder, server.base_url)
        assert crawl(config).returncode == 0
        site.edit(demo_releases()[0].slug, "Eritrean forces", "Eritrean refugees")
        assert crawl(config, "--full").returncode == 0
    return config


def export(config, *args):
    return invoke("export", "warc", "--config", str(config), *args)


def records(path: Path) -> list:
    with path.open("rb") as stream:
        return [(r.rec_type, r.rec_headers, r.http_headers, r.content_stream().read())
                for r in ArchiveIterator(stream)]


def test_export_is_valid_warc_with_bodies_digests_and_ids(crawled, tmp_path):
    out = tmp_path / "all.warc.gz"
    done = export(crawled, "-o", str(out))
    assert done.returncode == 0, done.stderr
    checked = subprocess.run([str(WARCIO), "check", "-v", str(out)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "digest pass" in checked.stdout
    db = open_db(crawled.parent / "archive.db")
    stored = list(db.query("SELECT * FROM captures WHERE blob_hash IS NOT NULL ORDER BY id"))
    assert all(json.loads(row["headers"]) for row in stored)       # every header, as received
    found = records(out)
    responses = [r for r in found if r[0] == "response"]
    assert found[0][0] == "warcinfo" and found[0][1].get_header("WARC-Type") == "warcinfo"
    assert len(responses) == len(stored) and len([r for r in found if r[0] == "request"]) == len(stored)
    for (kind, warc, http, body), row in zip(responses, stored):
        assert body == blobs.get_blob(db, row["blob_hash"])
        assert warc.get_header("WARC-Target-URI") == row["final_url"]
        assert warc.get_header("WARC-Payload-Digest").startswith("sha1:")
        assert http.get_statuscode() == str(row["status"])
        assert http.get_header("ETag") and http.get_header("Content-Length") == str(len(body))
    metadata = [json.loads(r[3]) for r in found if r[0] == "metadata"]
    assert len(metadata) == db["versions"].count
    edited = db.execute("SELECT id, to_version_id, document_id FROM changes WHERE kind = 'edited'").fetchone()
    named = next(m for m in metadata if m["version_id"] == edited[1])
    assert named["change_ids"] == [edited[0]] and named["document_id"] == edited[2]
    assert all(r[1].get_header("WARC-Refers-To") for r in found if r[0] == "metadata")
    assert found[0][1].get_header("WARC-Filename") == out.name
    assert "captures" in done.stderr and "x their" in done.stderr


def test_one_document_and_since(crawled, tmp_path):
    db = open_db(crawled.parent / "archive.db")
    document = db.execute("SELECT document_id, COUNT(*) FROM captures WHERE blob_hash IS NOT NULL "
                          "AND document_id IS NOT NULL GROUP BY document_id ORDER BY 2 DESC LIMIT 1").fetchone()
    out = tmp_path / "one.warc.gz"
    assert export(crawled, "--document", str(document[0]), "-o", str(out)).returncode == 0
    assert len([r for r in records(out) if r[0] == "response"]) == document[1] == 2
    recent = db.execute("SELECT MAX(fetched_at) FROM captures").fetchone()[0]
    out = tmp_path / "recent.warc.gz"
    assert export(crawled, "--since", recent, "-o", str(out)).returncode == 0
    expected = db.execute("SELECT COUNT(*) FROM captures WHERE blob_hash IS NOT NULL AND fetched_at >= ?",
                          [recent]).fetchone()[0]
    assert len([r for r in records(out) if r[0] == "response"]) == expected


@pytest.mark.parametrize("args, message", [
    (["--document", "999999", "-o", "{tmp}/x.warc.gz"], "no such document"),
    (["--change", "999999", "-o", "{tmp}/x.warc.gz"], "no such change"),
    (["--since", "2999-01-01T00:00", "-o", "{tmp}/x.warc.gz"], "nothing to export"),
    (["-o", "/nonexistent-folder/x.warc.gz"], "cannot write there"),
    ([], "needs -o"),
    (["--source", "nope", "-o", "{tmp}/x.warc.gz"], "no source named 'nope'"),
])
def test_bad_input_exits_2(crawled, tmp_path, args, message):
    done = export(crawled, *[a.replace("{tmp}", str(tmp_path)) for a in args])
    assert done.returncode == 2 and message in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "x.warc.gz").exists() and not list(tmp_path.glob(".export-*"))


HOSTILE_HEADERS = [["Content-Type", "text/html; charset=utf-8"], ["X-Nul", "a\x00b"], ["X-Esc", "\x1b[31mred"],
                   ["Bad Name", "v"], ["X-Huge", "h" * 1_000_000], ["X-Fine", "kept"]]


def test_headers_a_replay_tool_cannot_read_go_to_the_metadata(crawled, tmp_path):
    """Issue 27, item 15: stored headers with a NUL, an escape, a name that is no token or a
    megabyte of value passed `warcio check` but stopped pywb's replay. The response record keeps
    the readable ones; the rest are in the capture's metadata records, escaped and cut."""
    copy = tmp_path / "archive.db"
    with closing(sqlite3.connect(crawled.parent / "archive.db")) as source, closing(sqlite3.connect(copy)) as target:
        source.backup(target)           # the WAL's pages too: a file copy could miss the last pass
    db = open_db(copy)
    row = db.execute("SELECT c.id, c.document_id FROM captures c JOIN changes ch ON ch.to_version_id = c.version_id "
                     "WHERE ch.kind = 'edited'").fetchone()
    with db.conn:
        db.execute("UPDATE captures SET headers = ? WHERE id = ?", [json.dumps(HOSTILE_HEADERS), row[0]])
    db.close()
    out = tmp_path / "hostile.warc.gz"
    done = invoke("export", "warc", "--config", str(crawled), "--db", str(copy), "--document", str(row[1]), "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert subprocess.run([str(WARCIO), "check", str(out)], capture_output=True).returncode == 0
    [shown] = [r[2] for r in records(out) if r[0] == "response" and r[2].get_header("X-Fine")]
    assert [k for k, _ in shown.headers] == ["Content-Type", "X-Fine", "Content-Length"]
    meta = [json.loads(r[3]) for r in records(out) if r[0] == "metadata"]
    aside = next(m["unreplayable_headers"] for m in meta if "unreplayable_headers" in m)
    assert [name for name, _ in aside] == ["X-Nul", "X-Esc", "Bad Name", "X-Huge"]
    assert aside[1][1] == "\x1b[31mred" and len(aside[3][1]) == 2000


def test_a_missing_blob_is_reported_and_the_rest_exported(crawled, tmp_path):
    copy = tmp_path / "archive.db"
    shutil.copy(crawled.parent / "archive.db", copy)
    db = open_db(copy)
    lost = db.execute("SELECT blob_hash FROM captures WHERE blob_hash IS NOT NULL ORDER BY id LIMIT 1").fetchone()[0]
    total = db.execute("SELECT COUNT(*) FROM captures WHERE blob_hash IS NOT NULL").fetchone()[0]
    losing = db.execute("SELECT COUNT(*) FROM captures WHERE blob_hash = ?", [lost]).fetchone()[0]
    with db.conn:
        db.execute("PRAGMA foreign_keys = OFF")
        db.execute("DELETE FROM blobs WHERE hash = ?", [lost])
    db.close()
    out = tmp_path / "partial.warc.gz"
    done = invoke("export", "warc", "--config", str(crawled), "--db", str(copy), "-o", str(out))
    assert done.returncode == 1 and f"{losing} captures have no body" in done.stderr
    assert len([r for r in records(out) if r[0] == "response"]) == total - losing


def _installer_alive() -> bool:
    """Whether dev.py's background install of pywb is still running (its pid in `.installing`);
    an install that never wrote its pid counts as running, an unreadable pid as gone."""
    try:
        pid = int((PYWB / ".installing").read_text().strip())
    except FileNotFoundError:
        return True
    except ValueError:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return (PYWB / ".installed").exists()
    except PermissionError:
        pass
    return True


def pywb_ready(timeout: float = 300) -> Path | None:
    """The pywb venv dev.py installs in the background for this test (pywb pins old redis and
    gevent, so it lives apart from the project's venv); None when it could not be installed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if (PYWB / ".installed").exists():
            return PYWB / "bin"
        if (PYWB / ".failed").exists() or not PYWB.exists() or not _installer_alive():
            return None
        time.sleep(1)
    return None


@pytest.mark.timeout(420)     # waits up to 300 s for dev.py's background install of pywb
@pytest.mark.parametrize("selector", ["--document", "--change"])   # a document's history; one change's evidence
def test_pywb_indexes_and_replays_an_exported_page(crawled, tmp_path, selector):
    tools = pywb_ready()
    if tools is None:
        pytest.skip(f"pywb is not installed in {PYWB} (dev.py installs it in the background where it can; "
                    f"see {PYWB / '.failed'})")
    out = tmp_path / "evidence.warc.gz"
    db = open_db(crawled.parent / "archive.db")
    row = db.execute("SELECT c.document_id, c.final_url, c.fetched_at, c.blob_hash, ch.id FROM captures c "
                     "JOIN changes ch ON ch.to_version_id = c.version_id WHERE ch.kind = 'edited'").fetchone()
    chosen = row[0] if selector == "--document" else row[4]
    assert export(crawled, selector, str(chosen), "-o", str(out)).returncode == 0
    home = tmp_path / "pywb"
    home.mkdir()
    subprocess.run([str(tools / "wb-manager"), "init", "evidence"], cwd=home, check=True, capture_output=True)
    subprocess.run([str(tools / "wb-manager"), "add", "evidence", str(out)], cwd=home, check=True, capture_output=True)
    port = free_port()
    server = subprocess.Popen([str(tools / "wayback"), "-p", str(port), "-b", "127.0.0.1"], cwd=home,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        stamp = row[2][:19].replace("-", "").replace("T", "").replace(":", "")
        url = f"http://127.0.0.1:{port}/evidence/{stamp}id_/{row[1]}"
        body = None
        deadline = time.monotonic() + 30
        while body is None and time.monotonic() < deadline:
            try:
                body = urllib.request.urlopen(url, timeout=5).read()
            except OSError:
                time.sleep(0.3)
        assert body == blobs.get_blob(db, row[3]) and b"Eritrean refugees" in body
    finally:
        server.terminate()
        server.wait(10)
