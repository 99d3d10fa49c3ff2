"""The CPU side of recording a page, as pure functions of its bytes: judge and extract it, hash and
compress its body, hash its content and split its turns.

`prepare_capture` is what `ingest` would otherwise compute on the archive writer's thread;
`judge_and_prepare` is the whole job for a worker process of `ExtractPool`, so that the reactor
only fetches and the writer only writes. Both give exactly what the in-process path gives.
"""
from __future__ import annotations

import hashlib
import json
import zlib

from remarkwatch.crawler.judge import judge
from remarkwatch.crawler.items import OK, Capture, Prepared
from remarkwatch.crawler.profiles import Profile
from remarkwatch.core import normalize, transcript

ZLIB_LEVEL = 6


def prepare_capture(capture: Capture) -> Capture:
    """Fill `capture.prepared`: the body's SHA-256 and zlib form, and for a page its content and
    raw hashes, the fields that hold a value and its speaker turns."""
    body = capture.body or b""
    prepared = Prepared(blob_hash=hashlib.sha256(body).hexdigest(), blob=zlib.compress(body, ZLIB_LEVEL),
                        blob_size=len(body)) if body else Prepared()
    if capture.outcome == OK and capture.fields is not None:
        fields = capture.fields.as_dict()
        comparable = normalize.comparable(fields)
        prepared.content_hash = hashlib.sha256(
            json.dumps(comparable, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()
        prepared.raw_hash = normalize.raw_hash(fields)
        prepared.present = [name for name, value in comparable.items() if value]
        prepared.turns = transcript.split_turns(fields.get("body_text"))
    capture.prepared = prepared
    return capture


def page_text(capture: Capture) -> str:
    """The page decoded exactly as the crawling process would have: the response class Scrapy
    picks for it (by its Content-Type and URL) and that class's decoding (the headers, a BOM, a
    <meta> charset)."""
    from scrapy.http import Headers, TextResponse
    from scrapy.responsetypes import responsetypes

    # Scrapy's own header class: with a plain dict the type lookup misses the Content-Type and
    # falls back to scanning every byte of the body for control characters (docs/performance.md).
    headers = Headers(capture.headers or ([("Content-Type", capture.content_type)] if capture.content_type else []))
    cls = responsetypes.from_args(headers=headers, url=capture.final_url, body=capture.body)
    if not issubclass(cls, TextResponse):
        cls = TextResponse
    return cls(url=capture.final_url, status=capture.status or 200, body=capture.body, headers=headers).text


def judge_and_prepare(capture: Capture, profile: Profile, fallback: Profile | None, is_landing: bool,
                      accepts_json: bool) -> Capture:
    """A worker process's job: the capture judged (outcome, fields) and prepared, its body left
    out of the answer (the caller still holds it)."""
    judge(capture, text=lambda: page_text(capture), profile=profile, fallback=fallback, is_landing=is_landing,
          accepts_json=accepts_json)
    prepare_capture(capture)
    capture.body = b""
    return capture


def warm() -> bool:
    """Run first in each new helper: the imports and compiled selectors are made before real work."""
    from scrapy.http import HtmlResponse
    from scrapy.responsetypes import responsetypes  # noqa: F401

    HtmlResponse(url="http://localhost/", body=b"<html></html>").text  # noqa: B018 - loads the decoders
    return True
