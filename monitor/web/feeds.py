"""The Atom feeds' entries, and an empty feed. Entries are written by the canned queries in
config/datasette.json through `rw_feed_text` (the edit in its sentence, classes and dates in words,
silent said); datasette-atom renders them, but takes the newest entry's time for the feed's
`updated` and fails (a 500) when a feed has no entries yet (a new archive, a filter that matches
nothing). An empty feed is valid Atom: it is answered here, dated now."""
from __future__ import annotations

import json
from datetime import datetime, timezone

from datasette.utils.asgi import Response

from remarkwatch import untrusted
from remarkwatch.core import classes as class_table
from remarkwatch.core import wording


def entry_text(change_id, kind, summary, edits, sides, classes, silent, significance, source, detected_at,
               historical=0, previous_seen_at=None, observed_at=None) -> str:
    """An entry's content as plain text (feed readers show it as it is): the first edit in its
    sentence with [-removed-] and {+added+} marks, the other edits in words, then one line of facts.
    A change found late in a web archive says so, and when it was made."""
    shown = wording.for_list({"kind": kind, "summary": summary, "edits": json.loads(edits or "[]"), "sides": sides})
    lines = []
    if kind != "new" and shown["sentence"]:
        lines.append(wording.sentence_text(shown["sentence"]))
    if shown["in_words"] and kind != "new":
        lines.append(shown["in_words"])
    if silent:
        lines.append("Silent edit: the page's own modified time did not change.")
    dates = {"historical": historical, "previous_seen_at": previous_seen_at, "observed_at": observed_at,
             "detected_at": detected_at}
    if historical:
        said = wording.made_between(dates)
        lines.append(said[0].upper() + said[1:] + ".")
    words = [class_table.LABELS.get(name, name) for name in json.loads(classes or "[]")]
    facts = [kind, source, wording.human_time(wording.made_at(dates)), f"significance {significance}"]
    lines.append(" · ".join([*facts, *([", ".join(words)] if words else []), f"change #{change_id}"]))
    return untrusted.xml("\n".join(lines))
def empty_safe(render):
    """datasette-atom's renderer, answering an empty feed itself. The parameter names are the
    ones Datasette passes by name (`call_with_supported_arguments`)."""
    def render_atom(datasette, request, sql, columns, rows, database, table, query_name, view_name, data):
        if rows:
            return render(datasette, request, sql, columns, rows, database, table, query_name, view_name, data)
        from feedgen.feed import FeedGenerator

        feed = FeedGenerator()
        feed.id(request.url)
        feed.link(href=request.url, rel="self")
        feed.updated(datetime.now(timezone.utc))
        queries = (datasette.metadata(database=database) or {}).get("queries") or {}
        feed.title((queries.get(query_name) or {}).get("title") or query_name or table or "remarkwatch")
        return Response(feed.atom_str(pretty=True), content_type="application/xml; charset=utf-8", status=200)
    return render_atom


def install(datasette) -> None:
    """Put the empty-safe Atom renderer in place of datasette-atom's own."""
    if "atom" in datasette.renderers:
        render, can_render = datasette.renderers["atom"]
        datasette.renderers["atom"] = (empty_safe(render), can_render)
