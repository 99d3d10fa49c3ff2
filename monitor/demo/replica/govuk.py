"""The replica of GOV.UK's APIs: the search API as the listing, content items as the articles.

A release's `modified` stands for its latest public change note: an edit made with a note
updates it, an edit without one (site.edit(..., modified=None)) does not.
"""
from __future__ import annotations

import html
import json
from datetime import date, timedelta

from remarkwatch.demo.replica.content import Release

SEARCH = "/api/search.json"


def govuk_item(release: Release, base: str) -> str:
    body = "".join(f"<p>{html.escape(p)}</p>" for p in release.paragraphs)
    first = f"{release.published.isoformat()}T10:00:00.000+00:00"
    notes = [{"public_timestamp": first, "note": "First published."}]
    if release.modified:
        notes.append({"public_timestamp": release.modified, "note": "Updated to reflect the speech as delivered."})
    return json.dumps({
        "base_path": release.path.replace("/api/content", ""), "content_id": f"c0ffee00-0000-4000-8000-{release.post_id:012d}",
        "document_type": "speech", "schema_name": "speech", "title": release.title, "first_published_at": first,
        "public_updated_at": notes[-1]["public_timestamp"],
        "details": {"body": f'<div class="govspeak">{body}</div>', "delivered_on": first, "location": release.location,
                    "speech_type_explanation": "Transcript of the speech, exactly as it was delivered",
                    "change_history": list(reversed(notes))},
        "links": {"speaker": [{"title": s} for s in release.speakers],
                  "organisations": [{"title": "Foreign, Commonwealth & Development Office"}]},
    })


def govuk_search(releases: list[Release]) -> str:
    return json.dumps({"total": len(releases), "results": [
        {"title": r.title, "link": r.path.replace("/api/content", ""), "format": "speech",
         "public_timestamp": f"{r.published.isoformat()}T10:00:00Z"} for r in releases]})


def govuk_releases(count: int = 4) -> list[Release]:
    start = date(2026, 9, 10)
    return [Release(9100 + i, f"foreign-secretary-speech-{i}", f"Foreign Secretary's speech {i}", "speech",
                    ["The Rt Hon Foreign Secretary"], start - timedelta(days=i), [
                        "Thank you for having me today.",
                        f"Our partnership with the region will grow by {10 + i} percent next year.",
                        "Thank you."], location="Lancaster House, London", layout="govuk")
            for i in range(count)]
