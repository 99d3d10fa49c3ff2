"""The replica in the 2009-2017 static state.gov markup: a monthly index and #centerblock pages."""
from __future__ import annotations

import html
from datetime import date, timedelta

from remarkwatch.demo.replica.content import Release

e = html.escape
INDEX = "/secretary/remarks/index.htm"


def state2009_article(release: Release, base: str, teaser: str = "") -> str:
    body = "\n".join(f"<p>{e(p)}</p>" for p in release.paragraphs)
    return f"""<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html xmlns="http://www.w3.org/1999/xhtml"><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8" />
<title>{e(release.title)}</title></head><body>
<div id="header"><a href="/index.htm">U.S. Department of State</a></div>
<div id="centerblock"><h1>{e(release.title)}</h1>
<div id="date_long">{release.published:%B} {release.published.day}, {release.published.year}</div>
{body}
<div id="tools" class="share"><a href="#">Print</a></div></div>
<div id="footer"><a href="/misc/87529.htm">Privacy Notice</a></div></body></html>"""


def state2009_index(releases: list[Release], base: str) -> str:
    items = "".join(f'<li><a href="{e(base + r.path)}">{e(r.title)}</a> <span>{r.published:%m/%d/%y}</span></li>'
                    for r in releases)
    return f"""<html><head><title>Remarks</title></head><body><div id="tier3-landing-content-wide"><ul>{items}</ul></div></body></html>"""


def state2009_releases(count: int = 5) -> list[Release]:
    start = date(2013, 5, 21)
    return [Release(209065 + i, str(209065 + i), f"Remarks at a Press Availability {i}", "Remarks", [], start - timedelta(days=i), [
        "SECRETARY KERRY: Good afternoon, everybody.",
        f"QUESTION: Mr. Secretary, will the talks resume in {['June', 'July', 'August', 'September', 'October'][i % 5]}?",
        "SECRETARY KERRY: We will meet again soon. (Laughter.)"], layout="state2009") for i in range(count)]
