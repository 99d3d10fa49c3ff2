"""The Atom feeds are datasette-atom's, but for an empty feed: it takes the newest entry's time for
the feed's `updated` and fails (a 500) when a feed has no entries yet (a new archive, a filter
that matches nothing). An empty feed is valid Atom: it is answered here, dated now."""
from __future__ import annotations

from datetime import datetime, timezone

from datasette.utils.asgi import Response


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
