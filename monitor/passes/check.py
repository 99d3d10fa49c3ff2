"""`remarkwatch check`: what a profile extracts from one page, fetched or read from a file.

For writing and testing a profile without a crawl. A fetch asks robots.txt first and sends the
configured User-Agent, as a crawl would.
"""
from __future__ import annotations

from dataclasses import asdict
from urllib.parse import urljoin, urlsplit

import requests
import urllib3
from protego import Protego

from remarkwatch.crawler.extract import extract_article
from remarkwatch.crawler.profiles import Profile
from remarkwatch.core import transcript
from remarkwatch.errors import NotFound, RemarkwatchError


def pick_profile(profiles: dict[str, Profile], url: str, name: str | None) -> Profile:
    if name:
        if name not in profiles:
            raise NotFound(f"no profile {name!r} (profiles: {', '.join(sorted(profiles))})")
        return profiles[name]
    host = (urlsplit(url).hostname or "").lower()
    best = max(profiles.values(), key=lambda p: p.reads_host(host), default=None)
    if best is not None and best.reads_host(host):       # its site, or one of its archive hosts
        return best
    raise NotFound(f"no profile for {host or url!r}; name one with --profile (profiles: {', '.join(sorted(profiles))})")


def fetch(url: str, user_agent: str, timeout: float = 30, max_bytes: int = 5 * 1024 * 1024) -> str:
    """The page at `url` as text, after robots.txt allows it. At most `max_bytes` are read, also
    after decompression (a gzip bomb stops there); every failure is one clear RemarkwatchError."""
    try:
        status, robots = _get(urljoin(url, "/robots.txt"), user_agent, timeout, max_bytes)
        if status == 200 and not Protego.parse(robots).can_fetch(url, user_agent):
            raise RemarkwatchError(f"{url}: robots.txt does not allow {user_agent!r} to fetch it")
        status, text = _get(url, user_agent, timeout, max_bytes)
    except (requests.RequestException, urllib3.exceptions.HTTPError) as exc:
        raise RemarkwatchError(f"{url}: cannot fetch it: {_reason(exc)}") from None
    if status != 200:
        raise RemarkwatchError(f"{url}: HTTP {status}")
    return text


def _get(url: str, user_agent: str, timeout: float, max_bytes: int) -> tuple[int, str]:
    with requests.get(url, headers={"User-Agent": user_agent}, timeout=timeout, stream=True) as response:
        body = bytearray()
        for chunk in response.iter_content(64 * 1024):     # decoded: counts what gzip expands to
            body += chunk
            if len(body) > max_bytes:
                raise RemarkwatchError(f"{url}: the response is larger than the page size limit "
                                       f"({max_bytes:,} bytes, max_page_mb)")
        return response.status_code, bytes(body).decode(response.encoding or "utf-8", "replace")


def _reason(exc: BaseException) -> str:
    """The operating system's reason at the bottom of a requests/urllib3 error ("Connection
    refused", "Name or service not known"), not the whole wrapped chain; else the error's kind."""
    reason, seen = None, set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if getattr(exc, "strerror", None):
            reason = exc.strerror
        exc = exc.__cause__ or exc.__context__
    return reason or "no answer (timed out or refused)"


def check(html: str, url: str, profile: Profile) -> dict:
    """The extraction of one page as a dict: outcome, problem, fields, and its speaker turns."""
    result = extract_article(html, url, profile)
    fields = asdict(result.fields) if result.fields else {}
    turns = transcript.split_turns(fields.get("body_text"))
    return {"url": url, "profile": profile.name, "outcome": result.outcome, "problem": result.problem,
            "fields": fields, "turns": [{"seq": t.seq, "speaker": t.speaker, "paragraphs": t.last_para - t.first_para + 1}
                                        for t in turns]}


def render(report: dict, body_lines: int = 6) -> str:
    fields = report["fields"]
    lines = [f"{'url:':<16}{report['url']}", f"{'profile:':<16}{report['profile']}",
             f"{'outcome:':<16}{report['outcome']}" + (f" ({report['problem']})" if report["problem"] else "")]
    for name in ("title", "doc_type", "speakers", "audience", "location", "published_text", "published",
                 "modified_time", "post_id", "canonical_url", "tags", "media"):
        value = fields.get(name)
        if value:
            lines.append(f"{name + ':':<16}{', '.join(value) if isinstance(value, list) else value}")
    paragraphs = transcript.paragraphs(fields.get("body_text"))
    if paragraphs:
        lines.append(f"{'body:':<16}{len(paragraphs)} paragraphs, {len(fields.get('links') or [])} links")
        lines += [f"  {p[:110]}" for p in paragraphs[:body_lines]]
        if len(paragraphs) > body_lines:
            lines.append(f"  … {len(paragraphs) - body_lines} more")
    speakers = [t for t in report["turns"] if t["speaker"]]
    if speakers:
        lines.append(f"{'turns:':<16}{len(report['turns'])} ("
                     + ", ".join(f"{t['speaker']}" for t in speakers[:8]) + (", …" if len(speakers) > 8 else "") + ")")
    return "\n".join(lines)
