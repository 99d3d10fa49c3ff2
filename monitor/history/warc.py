"""`remarkwatch export warc`: the archive's captures as WARC 1.1, the web-archiving world's
evidence format, written with `warcio` (records gzipped one by one, payload and block digests).

For each capture with a stored body: a `request` record (the GET remarkwatch sent; its own
request headers were not kept, so the request names only what it asked for) and a `response`
record with the status and the full headers as received (migration m010; older captures have
only the content type and validators). The body is stored decoded, as remarkwatch stored it, so
`Content-Encoding`/`Transfer-Encoding` are dropped and `Content-Length` is the body's length; a
replay tool serves exactly the bytes remarkwatch read. Each version the capture produced gets a
`metadata` record (JSON: document, version and change ids, origin and memento, and each change's
independent capture by the Internet Archive's Save Page Now, `third_party`) referring to the
response. A capture read from a web archive (a backfill) is dated with the memento's time and
names the memento in its metadata.
"""
from __future__ import annotations

import io
import json
import os
import re
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.client import responses
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlsplit

from remarkwatch import __version__
from remarkwatch.errors import ConfigError
from remarkwatch.evidence import proof
from remarkwatch.storage import blobs, captures as captures_table, changes as changes_table, documents, versions as versions_table

DROPPED = {"content-encoding", "transfer-encoding", "content-length"}
# A stored header goes into the response record only if a replay tool can read it back: a token
# for a name (RFC 9110 5.1), no control character but tab in the value, and within these sizes.
# The others are kept, escaped by JSON and cut, in the metadata records as `unreplayable_headers`.
TOKEN = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
HEADER_VALUE_MAX, HEADERS_MAX, SET_ASIDE_SHOWN = 8192, 65536, 2000


@dataclass
class WarcResult:
    captures: int = 0
    versions: int = 0
    missing: list = field(default_factory=list)      # capture ids whose body is not in the archive
    bytes_written: int = 0
    blob_bytes: int = 0


def select(db, *, document_id: int | None = None, source: str | None = None, since: str | None = None,
           change_id: int | None = None) -> list[dict]:
    """The captures to export (with a stored body), oldest first; with `change_id`, the change's
    two captures (the evidence of one change)."""
    if document_id is not None and documents.get_document(db, document_id) is None:
        raise ConfigError(f"--document {document_id}: no such document in the archive "
                          f"(see `remarkwatch changes` or the web view for ids)")
    if change_id is not None:
        if changes_table.get_change(db, change_id) is None:
            raise ConfigError(f"--change {change_id}: no such change in the archive (see `remarkwatch changes`)")
        return captures_table.change_captures(db, change_id)
    return captures_table.stored_captures(db, document_id=document_id, source=source, since=since)


def user_mode() -> int:
    """The mode a new file gets under the user's umask (a temporary file is made 0600)."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def write_warc(db, rows: list[dict], output: Path, *, user_agent: str) -> WarcResult:
    """Write `rows` as a WARC file at `output` (through a temporary file, so a failed export
    leaves no half file), with the permissions the user's umask gives a new file."""
    output = Path(output)
    folder = output.resolve().parent
    if not folder.is_dir() or not os.access(folder, os.W_OK):
        raise ConfigError(f"{output}: cannot write there ({folder} is not a writable folder)")
    handle, temporary = tempfile.mkstemp(prefix=".export-", suffix=".warc.gz", dir=folder)
    try:
        with os.fdopen(handle, "wb") as out:
            result = write_records(db, rows, out, name=output.name, user_agent=user_agent)
        os.chmod(temporary, user_mode())
        os.replace(temporary, output)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    result.bytes_written = output.stat().st_size
    return result


def write_records(db, rows: list[dict], out: BinaryIO, *, name: str, user_agent: str) -> WarcResult:
    """The WARC records of `rows` (a warcinfo first) written to the binary stream `out`."""
    from warcio.warcwriter import WARCWriter

    result = WarcResult()
    writer = WARCWriter(out, gzip=True, warc_version="1.1")
    writer.write_record(writer.create_warcinfo_record(name, {
        "software": f"remarkwatch/{__version__} (warcio)", "format": "WARC File Format 1.1",
        "conformsTo": "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
        "description": "captures of government remarks pages kept by remarkwatch",
    }))
    for row in rows:
        body = blobs.get_blob(db, row["blob_hash"])
        if body is None:
            result.missing.append(row["id"])
            continue
        result.versions += _write_capture(db, writer, row, body, user_agent)
        result.captures += 1
        result.blob_bytes += len(body)
    return result


def _write_capture(db, writer, row: dict, body: bytes, user_agent: str) -> int:
    """One capture's response, request and per-version metadata records; the versions written."""
    from warcio.statusandheaders import StatusAndHeaders

    when = _warc_date(row["observed_at"] if row.get("origin") == "wayback" and row.get("observed_at")
                      else row["fetched_at"])
    uri = row["final_url"] or row["url"]
    kept, set_aside = _headers(row, len(body))
    http = StatusAndHeaders(f"{row['status']} {responses.get(row['status'], 'Unknown')}", kept, protocol="HTTP/1.1")
    response = writer.create_warc_record(uri, "response", payload=io.BytesIO(body), http_headers=http,
                                         warc_headers_dict={"WARC-Date": when})
    parts = urlsplit(uri)
    request = writer.create_warc_record(uri, "request", http_headers=StatusAndHeaders(
        f"GET {parts.path or '/'}{'?' + parts.query if parts.query else ''} HTTP/1.1",
        [("Host", parts.netloc), ("User-Agent", user_agent)], is_http_request=True),
        warc_headers_dict={"WARC-Date": when})
    request.rec_headers.add_header("WARC-Concurrent-To", response.rec_headers.get_header("WARC-Record-ID"))
    writer.write_record(response)
    writer.write_record(request)
    written = 0
    for version_id, meta in _metadata(db, row, set_aside):
        # Its own URI, so replay tools never serve it in place of the page.
        record = writer.create_warc_record(f"urn:remarkwatch:version:{version_id}", "metadata",
                                           payload=io.BytesIO(meta), warc_content_type="application/json",
                                           warc_headers_dict={"WARC-Date": when})
        record.rec_headers.add_header("WARC-Refers-To", response.rec_headers.get_header("WARC-Record-ID"))
        record.rec_headers.add_header("WARC-Refers-To-Target-URI", uri)
        writer.write_record(record)
        written += 1
    return written


def _headers(row: dict, length: int) -> tuple[list[tuple[str, str]], list[list[str]]]:
    """(the headers the response record carries, those set aside as a replay tool could not read them)."""
    if row.get("headers"):
        pairs = [(str(k), str(v)) for k, v in json.loads(row["headers"])]
    else:
        pairs = [(name, row[key]) for name, key in (("Content-Type", "content_type"), ("ETag", "etag"),
                                                    ("Last-Modified", "last_modified")) if row.get(key)]
    kept, set_aside, size = [], [], 0
    for name, value in pairs:
        if name.lower() in DROPPED:
            continue
        cost = len(name) + len(value) + 4
        if TOKEN.match(name) and len(value) <= HEADER_VALUE_MAX and size + cost <= HEADERS_MAX \
                and not any(ord(c) < 32 and c != "\t" or ord(c) == 127 for c in value):
            kept.append((name, value))
            size += cost
        else:
            set_aside.append([name[:200], value[:SET_ASIDE_SHOWN]])
    return kept + [("Content-Length", str(length))], set_aside


def _metadata(db, row: dict, set_aside: list[list[str]] = ()) -> list[tuple[int, bytes]]:
    found = []
    for version in versions_table.capture_versions(db, row["id"]):
        changes = changes_table.change_ids_to(db, version["id"])
        found.append((version["id"], json.dumps({
            "document_id": version["document_id"], "version_id": version["id"], "version_seq": version["seq"],
            "change_ids": changes, "capture_id": row["id"], "source": row["source"], "title": version["title"],
            "observed_at": version["observed_at"], "origin": version["origin"] or "live",
            "memento_url": version["memento_url"], "content_hash": version["content_hash"],
            "third_party": _third_party(db, changes),
            **({"unreplayable_headers": list(set_aside)} if set_aside else {}),
        }, ensure_ascii=False, indent=1).encode("utf-8")))
    return found


def _third_party(db, change_ids: list[int]) -> list[dict]:
    """The Save Page Now captures asked for the changes that lead to a version."""
    found = []
    for change_id in change_ids:
        change = changes_table.get_change(db, change_id)
        captured = proof.third_party(change) if change else None
        if captured is not None:
            found.append({"change_id": change_id, **captured})
    return found


def _warc_date(value: str) -> str:
    when = datetime.fromisoformat(value)
    when = when if when.tzinfo else when.replace(tzinfo=timezone.utc)
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
