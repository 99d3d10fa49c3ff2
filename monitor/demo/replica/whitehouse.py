"""The replica in whitehouse.gov's 2025+ block-theme markup: remarks listing and article pages.

Transcript text is written for this project in the White House's conventions (a centred
location, a time stamp, "THE PRESIDENT:", a bare "Q", <s>wrong</s> [right], END).
"""
from __future__ import annotations

import html
from datetime import date, timedelta

from remarkwatch.demo.replica.content import Release

e = html.escape
LISTING = "/remarks/"


def wh_paragraph(text: str) -> str:
    body = e(text).replace("~~", "\x00")
    parts = body.split("\x00")   # ~~x~~ in the release text is served as <s>x</s>
    body = "".join(f"<s>{p}</s>" if i % 2 else p for i, p in enumerate(parts))
    if text.startswith("Q "):
        body = "Q&nbsp;&nbsp;&nbsp; " + body[2:]
    return f"<p>{body}</p>"


def wh_article(release: Release, base: str, teaser: str = "") -> str:
    url = base + release.path
    location = "".join(f'<p class="has-text-align-center">{e(line)}</p>\n' for line in (release.location, release.audience) if line)
    body = "\n".join(wh_paragraph(p) for p in release.paragraphs)
    return f"""<!DOCTYPE html>
<html lang="en-US"><head><meta charset="UTF-8">
<title>{e(release.title)} &#8211; The White House</title>
<link rel="canonical" href="{e(url)}">
<link rel="shortlink" href="{base}/?p={release.post_id}">
<link rel="alternate" type="application/json" href="{base}/wp-json/wp/v2/posts/{release.post_id}">
<meta property="og:title" content="{e(release.title)}">
<meta property="article:modified_time" content="{release.modified_time()}">
</head>
<body class="wp-singular post-template-default single single-post postid-{release.post_id}">
<header class="wp-block-template-part"><nav><a href="/">The White House</a> <a href="{LISTING}">Remarks</a></nav></header>
<main class="wp-block-group">
<div class="wp-block-group">
<h1 class="wp-block-post-title">{e(release.title)}</h1>
<div class="wp-block-post-terms"><a href="{base}{LISTING}" rel="tag">{e(release.doc_type)}</a></div>
<div class="wp-block-post-date"><time datetime="{release.published.isoformat()}T12:00:00-04:00">{release.published:%B} {release.published.day}, {release.published.year}</time></div>
</div>
<div class="entry-content wp-block-post-content">
{location}{body}
<div class="wp-block-buttons"><a class="wp-block-button__link" href="#">Share</a></div>
</div>
{teaser}
</main>
<footer><a href="/privacy/">Privacy</a></footer>
</body></html>"""


def wh_listing(releases: list[Release], page: int, per_page: int, base: str) -> str | None:
    pages = max(1, -(-len(releases) // per_page))
    if page > pages:
        return None
    items = "".join(
        f'<li class="wp-block-post"><h2 class="wp-block-post-title"><a href="{e(base + r.path)}">{e(r.title)}</a></h2>'
        f'<div class="wp-block-post-date"><time datetime="{r.published.isoformat()}">{r.published:%B %d, %Y}</time></div></li>'
        for r in releases[(page - 1) * per_page: page * per_page])
    nxt = (f'<a class="wp-block-query-pagination-next" href="{base}{LISTING}page/{page + 1}/">Next Page</a>'
           if page < pages else "")
    return f"""<!DOCTYPE html><html lang="en-US"><head><meta charset="UTF-8"><title>Remarks &#8211; The White House</title></head>
<body><main><h1>Remarks</h1><ul class="wp-block-post-template">{items}</ul>
<nav class="wp-block-query-pagination">{nxt}</nav></main></body></html>"""


def wh_releases(count: int = 12) -> list[Release]:
    """Two transcripts and routine statements, as the White House publishes them."""
    start = date(2026, 9, 18)
    transcripts = [
        Release(71234, "remarks-by-president-trump-before-marine-one-departure-7",
                "Remarks by President Trump Before Marine One Departure", "Remarks", [], start, [
                    "5:02 P.M. EDT",
                    "THE PRESIDENT: Thank you very much. We had a great day.",
                    "Q Mr. President, will you meet with the Prime Minister next week?",
                    "THE PRESIDENT: We will. I don't think we have set the date. ~~eight~~ [nine] countries will be there.",
                    "Q (Inaudible.)",
                    "THE PRESIDENT: Thank you, everybody.",
                    "END 5:09 P.M. EDT",
                ], location="South Lawn", layout="wh"),
        Release(71301, "press-briefing-by-press-secretary-3", "Press Briefing by the Press Secretary",
                "Briefings", [], start - timedelta(days=1), [
                    "1:14 P.M. EDT",
                    "THE PRESS SECRETARY: Good afternoon, everyone.",
                    "Q Thank you. Is the summit still on for Thursday?",
                    "THE PRESS SECRETARY: It is. Back over to you, Josh.",
                    "END 1:52 P.M. EDT",
                ], location="James S. Brady Press Briefing Room", layout="wh"),
    ]
    statements = [
        Release(71400 + i, f"statement-on-national-day-{i}", f"Statement on the National Day of Partner {i}", "Statements",
                [], start - timedelta(days=2 + i), [f"Today we celebrate our partnership with country {i}.",
                                                     "We look forward to many more years of cooperation."], layout="wh")
        for i in range(count - len(transcripts))
    ]
    return transcripts + statements
