"""Captures and the spider's other reports as entries of the Redis Stream the coordinator's archive
writer reads: each capture with a key of its own, so an entry delivered twice is written once."""
from __future__ import annotations

import json
import uuid
from dataclasses import asdict

from remarkwatch.crawler.items import Capture, Extracted


def capture_to_entry(capture: Capture) -> dict:
    data = asdict(capture)
    body = data.pop("body") or b""
    data.pop("prepared", None)      # a worker's pool is off: the writer computes it
    return {"type": "capture", "source": capture.source, "key": uuid.uuid4().hex,
            "capture": json.dumps(data, ensure_ascii=False), "body": body}


def capture_from_entry(entry: dict) -> Capture:
    data = json.loads(entry[b"capture"])
    fields = data.pop("fields")
    capture = Capture(**{**data, "body": entry.get(b"body", b"")})
    capture.fields = Extracted(**fields) if fields is not None else None
    if capture.headers is not None:
        capture.headers = [tuple(pair) for pair in capture.headers]
    return capture
