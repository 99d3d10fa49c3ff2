"""Datasette plugin: the newsroom pages, links between rows, canned queries and table metadata
for every remarkwatch archive served (whatever its file is called), and the SQL helpers the feeds
use. Registered by entry point, so plain `datasette FILE.db` gets all of it too."""
from __future__ import annotations

import json

from datasette import hookimpl
from markupsafe import Markup, escape

from remarkwatch.crawler.profiles import config_dir
from remarkwatch import untrusted
from remarkwatch.core import wording
from remarkwatch.web import downloads, feeds, pages
from remarkwatch.web.limits import ANSWER_BYTES, limit_connection
from remarkwatch.web.pages import archive_names
from remarkwatch.web.report_page import report_page

ROUTES = [
    (r"^/$", pages.front_page),
    (r"^/-/search$", pages.search_page),
    (r"^/-/change/(?P<change_id>\d+)$", pages.change_page),
    (r"^/-/change/(?P<change_id>\d+)/card\.png$", pages.card_png),
    (r"^/-/change/(?P<change_id>\d+)\.(?P<fmt>json|csv|warc\.gz)$", downloads.change_download),
    (r"^/-/version/(?P<version_id>\d+)$", pages.version_page),
    (r"^/-/document/(?P<document_id>\d+)$", pages.document_page),
    (r"^/-/compare$", pages.compare_page),
    (r"^/-/report$", report_page),
]
_ARCHIVE = None


def archive_metadata() -> dict:
    """The `archive` section of config/datasette.json: table descriptions and canned queries."""
    global _ARCHIVE
    if _ARCHIVE is None:
        _ARCHIVE = json.loads((config_dir() / "datasette.json").read_text(encoding="utf-8"))["archive"]
    return _ARCHIVE


@hookimpl
def get_metadata(datasette, key, database, table):
    """Table descriptions, hidden internal tables and the canned queries (feeds included), for
    each archive under its own name: nothing is tied to a file name."""
    section = archive_metadata()
    return {"databases": {name: {"tables": section["tables"], "queries": section["queries"]}
                          for name in archive_names(datasette)}}


@hookimpl
def prepare_connection(conn, database, datasette):
    """`xml_safe(text)`: a control character in a page title must not break a feed.
    `rw_change_url(id)`: the change page's address, absolute when `public_url` is configured.
    `rw_feed_text(...)`: a feed entry's content in words (feeds.entry_text)."""
    conn.create_function("xml_safe", 1, untrusted.xml, deterministic=True)
    conn.create_function("rw_feed_text", 13, feeds.entry_text, deterministic=True)
    plugin = datasette.plugin_config("remarkwatch") or {}
    limit_connection(conn, plugin.get("answer_bytes") or ANSWER_BYTES)     # no value past the answer budget
    public = (plugin.get("public_url") or "").rstrip("/")
    several = len(archive_names(datasette)) > 1
    suffix = f"?db={database}" if several else ""
    conn.create_function("rw_change_url", 1, lambda change_id: f"{public}/-/change/{change_id}{suffix}",
                         deterministic=True)


@hookimpl
def prepare_jinja2_environment(env, datasette):
    """Every value a template prints (ours and Datasette's table views) shows a bidirectional
    override from a page as its code point instead of applying it (untrusted.bidi_marked).
    `rw_when` prints a stored ISO time as people read it ("2 Dec 2026, 02:56 UTC")."""
    env.filters["rw_when"] = wording.human_time
    previous = env.finalize

    def finalize(value):
        return untrusted.bidi_marked(previous(value) if previous else value)
    env.finalize = finalize


@hookimpl
def register_routes():
    return ROUTES


@hookimpl
def render_cell(row, value, column, table, database, datasette):
    """Link to the change page: a change's `kind` in the changes table (Datasette keeps the
    primary-key cell for itself), and every `change_id` column of the canned queries."""
    if value is None:
        return None
    suffix = f"?db={database}" if len(archive_names(datasette)) > 1 else ""
    if table == "changes" and column == "kind":
        return _link(datasette, row["id"], value, suffix)
    if column == "change_id" and str(value).isdigit():
        return _link(datasette, value, value, suffix)
    return None


def _link(datasette, change_id, text, suffix: str) -> Markup:
    return Markup(f'<a href="{datasette.urls.path("/-/change/")}{escape(change_id)}{escape(suffix)}">{escape(text)}</a>')
