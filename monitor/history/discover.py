"""`remarkwatch backfill --discover`: a whole site's releases from a web archive's index, not only
the documents already watched.

The CDX is asked for every URL under the source's host and the profile's `[discover]` prefixes
(`matchType=prefix`, or `domain` for every host of the site), one line per URL
(`collapse=urlkey`), captured as an HTML page (`filter=statuscode:200`, `filter=mimetype:text/html`),
page by page with resume keys. The URLs the profile calls releases are kept, one per `urlkey`
(a URL listed again at the top of the next page, as the real index may, counts once), and each is
backfilled like a watched document (monitor/history/backfill.py). Identity is the archive's own:
a release whose slug changed is found under two URLs, and its captures under the second are filed
with the document the first made, by its post id (`record.rows.identity_key`).

Resumable: each page's releases are written with the resume key of the next page, and each
release is marked backfilled in the transaction that writes its history (storage/discovery.py).
A run stopped at any moment and started again asks again for at most the page or the release's
capture list it was reading, and fetches no memento twice (they are stored as they come).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit

from remarkwatch.clock import utcnow
from remarkwatch.config import Source
from remarkwatch.errors import ConfigError
from remarkwatch.history.backfill import REVISIT, Backfiller
from remarkwatch.history.targets import Target, of_source
from remarkwatch.history.urlkey import surt_key
from remarkwatch.history.wayback import archive_error, cdx_page
from remarkwatch.storage import discovery as store

PAGE_LINES = 1000        # the `wayback` package's own page size
FILTERS = ["statuscode:200", "mimetype:text/html"]


def queries(source: Source) -> list[tuple[str, str]]:
    """The CDX queries (url, matchType) that list the source's site: each `[discover]` prefix under
    each host of its start URLs, or with `domain` the site's domain (every host of it)."""
    found: dict[tuple[str, str], None] = {}
    discover = source.profile.discover
    for start in source.start_urls:
        host = urlsplit(start).netloc
        if discover.domain:
            found[(host.removeprefix("www."), "domain")] = None
        else:
            for prefix in discover.prefixes:
                found[(host + prefix, "prefix")] = None
    return list(found)


def is_release(source: Source, url: str) -> bool:
    """A URL of the source's hosts whose path (and query) the profile calls a release."""
    parts = urlsplit(url)
    where = parts.path + (f"?{parts.query}" if parts.query else "")
    return of_source(source, url) and source.profile.discover.is_release(where)


@dataclass
class DiscoverResult:
    pages: int = 0
    lines: int = 0
    found: int = 0
    before: int = 0          # releases backfilled by earlier runs of this discovery
    finished: bool = False
    problems: list = field(default_factory=list)

    def summary(self) -> str:
        state = "every release backfilled" if self.finished else "not finished: the next run goes on from here"
        return (f"discover: {self.pages} index pages read ({self.lines} URLs), {self.found} release URLs found, "
                f"{self.before} backfilled by earlier runs; {state}")


class _Overall:
    """Backfill's progress over the whole discovery (releases done by earlier runs included)."""

    def __init__(self, progress, before: int):
        self.progress, self.before = progress, before

    def update(self, result, *, done: int, total: int) -> None:
        self.progress.update(result, done=self.before + done, total=self.before + total)

    def problem(self, message: str) -> None:
        self.progress.problem(message)


class Discoverer:
    """Lists a source's releases in the archive's index, then backfills each (see the module)."""

    def __init__(self, backfiller: Backfiller, *, page_lines: int = PAGE_LINES, progress=None, now=utcnow):
        self.backfiller, self.db, self.client = backfiller, backfiller.db, backfiller.client
        self.page_lines, self.progress, self.now = page_lines, progress, now
        self.result = DiscoverResult()

    def run(self, source: Source, since: datetime | None, until: datetime | None) -> DiscoverResult:
        found = self._index(source, since, until)
        pending = store.pending_urls(self.db, found["id"])
        keys = {row["url"]: row["urlkey"] for row in pending}
        self.backfiller.on_complete = lambda target: store.mark_backfilled(
            self.db, found["id"], keys[target.url], self.now())
        if self.progress is not None:
            self.backfiller.progress = _Overall(self.progress, self.result.before)
        self.backfiller.run([Target(source, row["url"]) for row in pending])
        if not store.open_queries(self.db, found["id"]) and not store.pending_urls(self.db, found["id"]):
            store.finish(self.db, found["id"], self.now())
            self.result.finished = True
        return self.result

    def estimate(self, source: Source, since: datetime | None, until: datetime | None, *, sample: int = 20,
                 limits: dict[str, tuple[float, float]]) -> dict:
        """`--plan`: the index listed (and kept, so the run that follows does not list it again),
        the capture lists of `sample` releases spread over it read, no memento fetched; the plan
        for every release found at each of `limits` (name: searches and mementos a minute)."""
        found = self._index(source, since, until)
        pending = store.pending_urls(self.db, found["id"])
        picks = pending[::max(1, len(pending) // sample)][:sample]
        captures = mementos = 0
        for row in picks:
            records = self.backfiller.patiently(lambda: list(self.client.search(
                row["url"], from_date=since, to_date=until, skip_malformed_results=False)), listing=True)
            kept = [r for r in records if surt_key(r.original) == row["urlkey"]
                    and (r.statuscode == 200 or r.mimetype == REVISIT)]
            captures += len(kept)
            mementos += sum(1 for a, b in zip([None, *kept], kept) if a is None or a.digest != b.digest)
        per = max(len(picks), 1)
        figures = {name: plan(len(pending), captures_per_release=captures / per, mementos_per_release=mementos / per,
                              urls_listed=0, searches_per_minute=searches, mementos_per_minute=per_minute)
                   for name, (searches, per_minute) in limits.items()}
        return {"pending": len(pending), "sampled": len(picks), "captures": round(captures / per, 1),
                "mementos": round(mementos / per, 1), "plans": figures}

    def _index(self, source: Source, since: datetime | None, until: datetime | None) -> dict:
        """The source's discovery, its index listed to the end (or as far as the archive let it)."""
        if source.profile.discover is None:
            raise ConfigError(f"source {source.name}: its profile {source.profile.name} has no [discover] table "
                              f"(which URLs are releases); see docs/profiles.md")
        span = (since.strftime("%Y%m%d%H%M%S") if since else "", until.strftime("%Y%m%d%H%M%S") if until else "")
        found = store.open_discovery(self.db, source.name, *span, self.now(), queries(source))
        try:
            for query in store.open_queries(self.db, found["id"]):
                self._list(source, found["id"], query, span)
            store.mark_listed(self.db, found["id"], self.now())
        except Exception as exc:  # noqa: BLE001 (the archive's failure is reported; what was found is backfilled)
            if not archive_error(exc):
                raise
            self.backfiller.result.counts["errors"] += 1
            self.backfiller.problem(f"{source.name}: the archive's index failed: {type(exc).__name__}: {exc} "
                                    f"(the next run asks again from the page it stopped at)")
        counts = store.counts(self.db, found["id"])
        self.result.pages, self.result.lines = counts["pages"], counts["seen"]
        self.result.found, self.result.before = counts["found"], counts["backfilled"]
        return found

    def _list(self, source: Source, discovery_id: int, query: dict, span: tuple[str, str]) -> None:
        """Every page of one query, from its stored resume key on; each page stored with the next key."""
        params = {"url": query["query"], "matchType": query["match_type"], "collapse": "urlkey",
                  "filter": FILTERS, "limit": str(self.page_lines),
                  **({"from": span[0]} if span[0] else {}), **({"to": span[1]} if span[1] else {})}
        resume_key, pages = query["resume_key"], query["pages"]
        while not self.backfiller.stopping:
            lines, seen, next_key = self.backfiller.patiently(lambda: cdx_page(self.client, params, resume_key))
            releases = [(key, url) for key, url in lines if is_release(source, url)]
            store.save_page(self.db, discovery_id, query["query"], releases, seen, next_key, self.now())
            pages += 1
            if self.progress is not None:
                self.progress.listing(query["query"], pages, store.counts(self.db, discovery_id)["found"])
            if next_key is None:
                return
            resume_key = next_key


def plan(releases: int, *, captures_per_release: float, mementos_per_release: float, urls_listed: int | None = None,
         urls_per_release: float = 1.0, searches_per_minute: float, mementos_per_minute: float,
         page_lines: int = PAGE_LINES) -> dict:
    """Requests and hours a discovery of `releases` releases costs at the given rates: the index
    pages (`urls_listed` URLs of the site, `page_lines` a page, and the empty page after a full one), one
    capture listing per release URL (a page per 1,000 captures), and the distinct mementos
    fetched. Backfill sends one request at a time, so the two kinds of waits add up."""
    urls_listed = urls_listed if urls_listed is not None else releases * 4
    index_pages = urls_listed // page_lines + 1 if urls_listed else 0     # 0: the index is read already
    listings = math.ceil(releases * urls_per_release) * max(1, math.ceil(captures_per_release / PAGE_LINES))
    searches, mementos = index_pages + listings, math.ceil(releases * mementos_per_release)
    minutes = searches / searches_per_minute + mementos / mementos_per_minute
    return {"releases": releases, "index_pages": index_pages, "searches": searches, "mementos": mementos,
            "requests": searches + mementos, "minutes": round(minutes, 1), "hours": round(minutes / 60, 1)}
