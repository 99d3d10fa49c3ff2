"""A whole site's decade in the replica Wayback Machine, with its edits planted (seeded), for
`backfill --discover`'s tests and bench: releases published over `years` years, each captured a
few times from publication on, some edited (silently or with a new modified time) and some edits
reverted; releases published before mid-2019 may change slug then (WordPress keeps the post id,
the old URL answers 301 from then on). Beside them the pages discovery must leave alone: listings,
a section page, searches, tags, feeds, a stylesheet and a 404.

`PlantedSite.expected()` gives the statistics `remarkwatch report` must find: per year of
publication, releases, releases edited, edits (reverts included), reverts and the share of
edits that were silent (the page's modified time unchanged)."""
from __future__ import annotations

import random
import re
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta, timezone

from remarkwatch.demo.replica.content import Release, generated_releases
from remarkwatch.demo.replica.site import article_2019, listing_page
from remarkwatch.demo.replica.wayback import ArchivedCapture, stamp

MOVED_ON = datetime(2019, 6, 1, tzinfo=timezone.utc)     # the slug changes of the 2019 redesign
_GROWN = re.compile(r"grown by \d+ percent")


@dataclass
class Planted:
    """One release as planted: its URLs (two when its slug changed) and its edits."""
    post_id: int
    published: date
    urls: list[str]
    edits: int = 0           # `edited` changes (each a new text never seen before)
    reverts: int = 0         # back to the text before the last edit
    silent: int = 0          # edits and reverts that kept article:modified_time
    captures: int = 0


@dataclass
class PlantedSite:
    captures: list[ArchivedCapture]
    releases: list[Planted]
    other_urls: list[str] = field(default_factory=list)     # captured, never releases

    def expected(self) -> list[dict]:
        """Per year of publication: releases, releases edited, edits (reverts included), reverts, and
        the share of edits that were silent."""
        years: dict[str, dict] = defaultdict(lambda: dict.fromkeys(("releases", "edited", "edits", "reverts", "silent"), 0))
        for planted in self.releases:
            row = years[str(planted.published.year)]
            row["releases"] += 1
            row["edited"] += planted.edits > 0
            row["edits"] += planted.edits + planted.reverts
            row["reverts"] += planted.reverts
            row["silent"] += planted.silent
        return [{"year": year, "releases": row["releases"], "edited": row["edited"], "edits": row["edits"],
                 "reverts": row["reverts"], "silent_share": round(row["silent"] / row["edits"], 4) if row["edits"] else None}
                for year, row in sorted(years.items())]


def planted_site(base: str, count: int, *, seed: int = 7, first: date = date(2015, 1, 1), years: int = 10,
                 captures: tuple[int, int] = (3, 12), edit_chance: float = 0.15, revert_chance: float = 0.3,
                 move_chance: float = 0.2) -> PlantedSite:
    """`count` releases published over `years` years from `first`, captured under `base`."""
    rng = random.Random(seed)
    end = datetime(first.year + years, 1, 1, tzinfo=timezone.utc)
    site = PlantedSite([], [])
    for index, release in enumerate(generated_releases(count, seed)):
        published = first + timedelta(days=rng.randrange((end.date() - first).days - 60))
        release = replace(release, published=published, layout="2019", modified="")
        site.releases.append(_history(site, release, base, rng, end, (captures, edit_chance, revert_chance, move_chance)))
    site.other_urls = _others(site, base, rng, first, end)
    return site


def _history(site: PlantedSite, release: Release, base: str, rng: random.Random, end: datetime, odds) -> Planted:
    (low, high), edit_chance, revert_chance, move_chance = odds
    start = datetime.combine(release.published, datetime.min.time(), timezone.utc) + timedelta(hours=rng.randint(9, 40))
    times = sorted({start, *(start + timedelta(seconds=rng.randrange(int((end - start).total_seconds())))
                             for _ in range(rng.randint(low, high) - 1))})
    moves = start < MOVED_ON < times[-1] and rng.random() < move_chance
    planted = Planted(release.post_id, release.published, [base + release.path], captures=len(times))
    current, before, bodies, moved = release, [], {}, False
    for number, when in enumerate(times):
        revisit = False
        if moves and not moved and when > MOVED_ON:
            moved, before = True, []     # a revert never reaches back past the move
            site.captures.append(ArchivedCapture(base + current.path, stamp(MOVED_ON), status=301, body=b""))
            current = replace(current, slug=current.slug + "-statement")
            planted.urls.append(base + current.path)
        elif number and before and rng.random() < edit_chance * revert_chance:
            (current, silent), revisit = before.pop(), True     # silent when the edit it undoes was
            planted.reverts += 1
            planted.silent += silent
        elif number and rng.random() < edit_chance:
            silent = rng.random() < 0.5
            before.append((current, silent))
            current = _edited(current, 101 + planted.edits, None if silent else when)
            planted.edits += 1
            planted.silent += silent
        body = bodies.setdefault(id(current), (current, article_2019(current, base).encode()))[1]
        site.captures.append(ArchivedCapture(base + current.path, stamp(when), body=body, revisit=revisit))
    return planted


def _edited(release: Release, percent: int, when: datetime | None) -> Release:
    """The release with its last paragraph's figure changed to one it never had."""
    last = _GROWN.sub(f"grown by {percent} percent", release.paragraphs[-1])
    modified = when.isoformat(timespec="seconds") if when else release.modified
    return replace(release, paragraphs=[*release.paragraphs[:-1], last], modified=modified)


def _others(site: PlantedSite, base: str, rng: random.Random, first: date, end: datetime) -> list[str]:
    """Captures of pages that are not releases: each must be left out by the profile or the index."""
    pages = [
        ("/press-releases/", "text/html", 200), ("/press-releases/page/2/", "text/html", 200),
        ("/about/", "text/html", 200), ("/?s=ruto", "text/html", 200), ("/countries-areas/kenya/", "text/html", 200),
        ("/tag/kenya/", "text/html", 200), ("/press-releases/feed/", "application/rss+xml", 200),
        ("/wp-content/themes/state/style.css", "text/css", 200), ("/no-such-release/", "text/html", 404),
    ]
    listing = (listing_page([], 1, 10, base) or "<html><body>Press Releases</body></html>").encode()
    span = int((end - datetime.combine(first, datetime.min.time(), timezone.utc)).total_seconds())
    for path, kind, status in pages:
        for _ in range(3):
            when = datetime.combine(first, datetime.min.time(), timezone.utc) + timedelta(seconds=rng.randrange(span))
            site.captures.append(ArchivedCapture(base + path, stamp(when), status=status, body=listing,
                                                 content_type=kind))
    return [base + path for path, _, _ in pages]
