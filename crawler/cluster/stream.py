"""Captures and the spider's other reports as entries of the Redis Stream the coordinator's archive
writer reads: each capture with a key of its own, so an entry delivered twice is written once.

Reading an entry back checks its form (`entry_fields`, `capture_from_entry`): the fields each kind
of entry has, and each capture field's type. A forged entry that a worker could not have written
raises ValueError, and the writer moves it to the dead-letter stream.
"""
from __future__ import annotations

import json
import uuid
from dataclasses import asdict, fields

from remarkwatch.crawler.cluster.signing import SIGNATURE_FIELD
from remarkwatch.crawler.items import OUTCOMES, Capture, Extracted

# The fields of each kind of entry, besides its signature.
ENTRY_FIELDS = {
    "capture": {"type", "source", "key", "capture", "body"},
    "problem": {"type", "source", "message"},
    "listing": {"type", "source", "ok"},
    "signal": {"type", "source", "kind", "url"},
    "dropped": {"type", "source", "signal", "count"},    # new releases of a signal no source holds
}
_TEXT, _NUMBER, _TEXTS = (str, type(None)), (int, type(None)), "texts"
# Each field of a capture as a worker writes it, and what it may hold (a worker's pool is off, so
# nothing judged or prepared travels; neither does anything of a web archive's).
CAPTURE_TYPES = {
    "source": str, "url": str, "final_url": str, "status": _NUMBER, "fetched_at": str, "outcome": str,
    "content_type": _TEXT, "etag": _TEXT, "last_modified": _TEXT, "error": _TEXT, "redirect_urls": _TEXTS,
    "fields": (dict, type(None)), "extractor": str, "missed": _TEXT, "headers": (list, type(None)),
    "origin": str, "memento_url": type(None), "memento_status": type(None), "observed_at": _TEXT,
    "capture_key": _TEXT, "judge_later": type(None), "capture_id": type(None), "seen_until": type(None),
}
_EXTRACTED = {f.name for f in fields(Extracted)}
_LISTS = {"speakers", "tags", "links", "media"}


def capture_to_entry(capture: Capture) -> dict:
    data = asdict(capture)
    body = data.pop("body") or b""
    data.pop("prepared", None)      # a worker's pool is off: the writer computes it
    return {"type": "capture", "source": capture.source, "key": uuid.uuid4().hex,
            "capture": json.dumps(data, ensure_ascii=False), "body": body}


def entry_fields(entry: dict) -> tuple[str, str]:
    """The entry's kind and source, once its fields are those of that kind (ValueError if not)."""
    kind = entry.get(b"type", b"").decode()
    expected = ENTRY_FIELDS.get(kind)
    if expected is None:
        raise ValueError(f"an entry of unknown type {kind[:40]!r}")
    given = {k.decode(errors="replace") for k in entry} - {SIGNATURE_FIELD}
    if given != expected:
        raise ValueError(f"a {kind} entry with fields {sorted(given)[:10]}, not {sorted(expected)}")
    return kind, entry[b"source"].decode()


def capture_from_entry(entry: dict) -> Capture:
    data = json.loads(entry[b"capture"])
    _check_capture(data)
    extracted = data.pop("fields")
    capture = Capture(**{**data, "body": entry.get(b"body", b"")})
    capture.fields = Extracted(**extracted) if extracted is not None else None
    if capture.headers is not None:
        capture.headers = [tuple(pair) for pair in capture.headers]
    return capture


def _check_capture(data) -> None:
    if not isinstance(data, dict):
        raise ValueError("a capture that is not a JSON object")
    if set(data) != set(CAPTURE_TYPES):
        raise ValueError(f"a capture with fields {sorted(data)[:30]}, not a worker's")
    for name, kinds in CAPTURE_TYPES.items():
        value = data[name]
        if kinds == _TEXTS:
            ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
        else:
            ok = isinstance(value, kinds) and not isinstance(value, bool)
        if not ok:
            raise ValueError(f"a capture whose {name} is {type(value).__name__}")
    if data["outcome"] not in OUTCOMES or data["origin"] != "live":
        raise ValueError(f"a capture with outcome {str(data['outcome'])[:40]!r} from {str(data['origin'])[:40]!r}")
    if data["headers"] is not None and not all(
            isinstance(p, list) and len(p) == 2 and all(isinstance(v, str) for v in p) for p in data["headers"]):
        raise ValueError("a capture whose headers are not name and value pairs")
    extracted = data["fields"]
    if extracted is not None:
        if not set(extracted) <= _EXTRACTED:
            raise ValueError("a capture whose fields are not the extractor's")
        for name, value in extracted.items():
            if name in _LISTS:
                ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
            else:
                ok = isinstance(value, (str, type(None)))
            if not ok:
                raise ValueError(f"a capture whose field {name} is {type(value).__name__}")
