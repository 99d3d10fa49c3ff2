"""What the archive writer accepts from the capture stream: entries read with a size bound (an
entry past it is never read whole: Redis hands back only its small fields), signed with the
cluster secret, of the form a worker writes, for a configured source, on that source's hosts and
within the crawl's page size. Anything else raises `Refused` and goes to the dead letters.

Whoever can write to the Redis could otherwise have any page recorded as a release or an edit
(and alerted), or hand the writer a 300 MB body (it grew to 995 MB).
"""
from __future__ import annotations

from remarkwatch.crawler.cluster.signing import Signer
from remarkwatch.crawler.cluster.stream import capture_from_entry, entry_fields
from remarkwatch.crawler.items import OFFSITE, Capture
from remarkwatch.crawler.middlewares.offsite import host_allowed, site_ports

# A capture entry is its body (at most max_page_bytes) and its JSON: headers, the extracted text and
# HTML (each at most the body's size, and JSON escaping can double them), so four bodies and a MB.
ENTRY_BODIES = 4
ENTRY_SLACK = 1024 * 1024
SMALL_FIELD = 300         # of an entry past the bound, only fields this short are read (type, source, key)
# XREADGROUP in a script (no BLOCK there): entries past the bound come back as their size and small fields.
READ = """
local reply = redis.call('XREADGROUP', 'GROUP', ARGV[1], ARGV[2], 'COUNT', ARGV[4], 'STREAMS', KEYS[1], ARGV[3])
if not reply then return {} end
local cap, small = tonumber(ARGV[5]), tonumber(ARGV[6])
local out = {}
for _, entry in ipairs(reply[1][2]) do
  local f = entry[2]
  if not f then f = {} end
  local size = 0
  for i = 1, #f do size = size + string.len(f[i]) end
  if size > cap then
    local kept = {'_too_large', tostring(size)}
    for i = 1, #f, 2 do
      if string.len(f[i + 1]) <= small then kept[#kept + 1] = f[i]; kept[#kept + 1] = f[i + 1] end
    end
    out[#out + 1] = {entry[1], kept}
  else
    out[#out + 1] = {entry[1], f}
  end
end
return out
"""


class Refused(ValueError):
    """A stream entry the writer does not accept (see the module docstring)."""


def entry_bound(max_page_bytes: int) -> int:
    return ENTRY_BODIES * max_page_bytes + ENTRY_SLACK


def read(redis, stream: str, group: str, consumer: str, *, pending: bool, count: int, bound: int) -> list:
    """Up to `count` entries of the consumer group, as (id, fields) pairs; no waiting."""
    reply = redis.eval(READ, 1, stream, group, consumer, "0" if pending else ">", count, bound, SMALL_FIELD)
    return [(entry_id, dict(zip(flat[::2], flat[1::2]))) for entry_id, flat in reply]


def accept(fields: dict, signer: Signer, sources: dict, max_page_bytes: int) -> tuple[str, object, Capture | None]:
    """(kind, source, capture or None) of an entry the writer may record; Refused if not."""
    if b"_too_large" in fields:
        raise Refused(f"an entry of {int(fields[b'_too_large']):,} bytes, over the bound of "
                      f"{entry_bound(max_page_bytes):,} (max_page_mb)")
    try:
        signer.check_fields(fields)
        kind, name = entry_fields(fields)
    except ValueError as exc:
        raise Refused(str(exc)) from None
    source = sources.get(name)
    if source is None:
        raise Refused(f"an entry for source {name[:60]!r}, which this config does not have")
    if kind != "capture":
        return kind, source, None
    try:
        capture = capture_from_entry(fields)
    except (ValueError, TypeError) as exc:
        raise Refused(f"{type(exc).__name__}: {exc}") from None
    check_capture(capture, source, max_page_bytes)
    return kind, source, capture


def check_capture(capture: Capture, source, max_page_bytes: int) -> None:
    """A capture of `source`'s pages, as a worker keeping the offsite rule and the size limit
    could have made it: an offsite one records only that (no body, no fields)."""
    if capture.source != source.name:
        raise Refused(f"a capture of source {capture.source[:60]!r} in an entry of {source.name!r}")
    if len(capture.body) > max_page_bytes:
        raise Refused(f"a body of {len(capture.body):,} bytes, over max_page_mb ({max_page_bytes:,})")
    if capture.outcome == OFFSITE:
        if capture.body or capture.fields is not None:
            raise Refused("an offsite capture with a body or fields")
        return
    ports = site_ports(source.start_urls)
    for url in (capture.url, capture.final_url, *capture.redirect_urls):
        if not host_allowed(url, source.allowed_domains, ports):
            raise Refused(f"a capture of {url[:200]}, outside the source's allowed_domains and ports")
