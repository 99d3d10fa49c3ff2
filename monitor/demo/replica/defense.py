"""The replica in defense.gov's markup: transcript pages keyed by a numeric article id, an RSS feed."""
from __future__ import annotations

import html
from datetime import date, timedelta

from remarkwatch.demo.replica.content import Release

e = html.escape
FEED = "/DesktopModules/ArticleCS/RSS.ashx"


def dod_article(release: Release, base: str, teaser: str = "") -> str:
    url = base + release.path
    body = "\n".join(f"<p>{e(p)}</p>" for p in release.paragraphs)
    # AP style, as defense.gov prints it: "Sept. 15, 2026", "May 5, 2026", "June 2, 2026".
    month = {1: "Jan.", 2: "Feb.", 3: "March", 4: "April", 5: "May", 6: "June", 7: "July", 8: "Aug.",
             9: "Sept.", 10: "Oct.", 11: "Nov.", 12: "Dec."}[release.published.month]
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{e(release.title)} &gt; U.S. Department of War &gt; Transcript</title>
<link rel="canonical" href="{e(url)}"><meta property="og:url" content="{e(url)}">
<meta property="og:title" content="{e(release.title)}">
<meta property="article:modified_time" content="{release.modified_time()}">
</head><body><div id="content"><article>
<h1 class="maintitle">{e(release.title)}</h1>
<div class="info"><span class="date">{month} {release.published.day}, {release.published.year}</span></div>
<div class="social-share"><a href="#">Share</a></div>
<div class="body">
{body}
</div>
<div class="article-tags"><a href="#">Transcripts</a></div>
</article></div></body></html>"""


def dod_feed(releases: list[Release], base: str) -> str:
    items = "".join(f"<item><title>{e(r.title)}</title><link>{e(base + r.path)}</link>"
                    f"<guid isPermaLink=\"false\">{r.post_id}</guid></item>" for r in releases)
    return f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Transcripts</title>{items}</channel></rss>'


def dod_releases(count: int = 6) -> list[Release]:
    start = date(2026, 9, 15)
    briefing = Release(4301123, "pentagon-press-secretary-holds-a-press-briefing", "Pentagon Press Secretary Holds a Press Briefing",
                       "Transcript", [], start, [
                           "PRESS SECRETARY: Good afternoon. I have one announcement before I take your questions.",
                           "Q: Thank you. Can you confirm the number of troops deploying?",
                           "PRESS SECRETARY: About 3,000 troops will deploy to the region next month.",
                       ], layout="dod")
    others = [Release(4301000 + i, f"readout-of-secretary-meeting-{i}", f"Readout of the Secretary's Meeting {i}",
                      "Release", [], start - timedelta(days=i + 1),
                      [f"The Secretary met with a counterpart from partner nation {i}.", "They discussed security cooperation."],
                      layout="dod") for i in range(count - 1)]
    return [briefing, *others]
