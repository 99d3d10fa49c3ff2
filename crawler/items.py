"""What the crawler hands on: the fields extracted from a page, and a capture of one fetch."""
from __future__ import annotations

from dataclasses import dataclass, field, fields

# Fetch outcomes. Only "ok" can become a version; every other one is recorded and nothing more.
OK = "ok"
BLOCKED = "blocked"            # decoy, WAF, captcha or edge page in place of the article
NO_BODY = "no_body"            # the profile's body selector matched nothing
EMPTY_BODY = "empty_body"      # the body matched but holds no text
HTTP_ERROR = "http_error"      # a non-2xx answer
NETWORK_ERROR = "network_error"
OFFSITE = "offsite"            # redirected outside allowed_domains
NOT_HTML = "not_html"
ROBOTS = "robots_disallowed"   # robots.txt forbids the URL; we obey and record it
TRUNCATED = "truncated"        # the HTML stops before its end (</html>)
INCOMPLETE = "incomplete"      # an article without a title: a fragment, not the page
GONE = "gone"                  # 404/410, a "page not found" page, or a redirect to the home/listing page
NOT_MODIFIED = "not_modified"  # 304 to a conditional request: checked, unchanged, nothing stored
SAME_BYTES = "same_bytes"      # answered with the very bytes of its last good page: checked, unchanged, nothing stored
EXTRACT_ERROR = "extract_error"  # the extractor failed on this page (the error is recorded)
TOO_LARGE = "too_large"        # the response (or its decompressed body) is over the size limit
UNPLAYABLE = "unplayable"      # a web archive lists the capture but cannot play it back (it redirects elsewhere)
FALLBACK_PREFIX = "fallback:"   # an extractor name with it: the generic extractor stood in for the profile
OUTCOMES = (OK, BLOCKED, NO_BODY, EMPTY_BODY, HTTP_ERROR, NETWORK_ERROR, OFFSITE, NOT_HTML, ROBOTS,
            TRUNCATED, INCOMPLETE, GONE, NOT_MODIFIED, SAME_BYTES, EXTRACT_ERROR, TOO_LARGE, UNPLAYABLE)


def extractor_family(extractor: str | None) -> str:
    """Profile or generic fallback: versions of one family are compared as edits."""
    return "fallback" if (extractor or "").startswith(FALLBACK_PREFIX) else "profile"


@dataclass
class Extracted:
    title: str | None = None
    doc_type: str | None = None
    speakers: list[str] = field(default_factory=list)
    audience: str | None = None
    location: str | None = None
    published: str | None = None          # ISO date parsed from published_text
    published_text: str | None = None     # the date as the page prints it
    modified_time: str | None = None      # article:modified_time when present
    tags: list[str] = field(default_factory=list)
    post_id: str | None = None
    canonical_url: str | None = None
    body_html: str = ""
    body_text: str = ""
    links: list[str] = field(default_factory=list)
    media: list[str] = field(default_factory=list)   # embedded video/audio/iframe sources

    def as_dict(self) -> dict:
        """The fields by name, lists copied (dataclasses.asdict deep-copies every value, a
        measurable share of a page's time, twice a page: docs/performance.md)."""
        return {name: list(value) if isinstance(value, list) else value
                for name, value in ((name, getattr(self, name)) for name in _EXTRACTED_FIELDS)}


_EXTRACTED_FIELDS = tuple(f.name for f in fields(Extracted))


@dataclass
class Extraction:
    outcome: str
    fields: Extracted | None = None
    problem: str | None = None


@dataclass
class Prepared:
    """What recording a capture costs in CPU, computed off the archive writer (a worker process):
    its body's hash and zlib form, and for a page its content and raw hashes, the fields holding a
    value and its speaker turns. The writer uses these instead of computing them again."""
    blob_hash: str | None = None
    blob: bytes | None = None          # the body, zlib-compressed
    blob_size: int = 0
    content_hash: str | None = None
    raw_hash: str | None = None
    present: list[str] | None = None   # the fields with a value (a new document's change)
    turns: list | None = None          # monitor.transcript.Turn of the body


@dataclass
class Capture:
    """One fetch of one article URL, with what was extracted from it."""
    source: str
    url: str
    final_url: str
    status: int | None
    fetched_at: str
    outcome: str
    body: bytes = b""
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    error: str | None = None
    redirect_urls: list[str] = field(default_factory=list)
    fields: Extracted | None = None
    extractor: str = ""
    missed: str | None = None      # what the profile missed when the generic fallback extracted it
    headers: list[tuple[str, str]] | None = None   # the response's headers, as received (WARC evidence)
    origin: str = "live"           # "live": fetched from the site; "wayback": a memento from a web archive
    memento_url: str | None = None     # the archived copy it was read from
    memento_status: int | None = None  # the archive's own answer (the page's status is `status`)
    observed_at: str | None = None     # when the site served it: the memento's time; live: fetched_at
    capture_key: str | None = None     # a cluster worker's key for it: written once, however often delivered
    # (profile, fallback, is_landing, accepts_json): judged by the writer helper as it is written (monitor.pool)
    judge_later: tuple | None = None
    prepared: Prepared | None = None   # computed in a worker process (monitor.prepare); None: the writer computes
    capture_id: int | None = None      # its captures row, once stored (backfill stores as it fetches)
    seen_until: str | None = None      # a memento's: the last time the archive showed the same bytes
