"""Datasette plugin: a readable page per change, and links between changes, documents, versions."""
from __future__ import annotations

from datasette import hookimpl
from markupsafe import Markup, escape

from monitor import untrusted
from monitor.web.pages import change_page


@hookimpl
def prepare_connection(conn):
    """`xml_safe(text)` for the Atom feeds' SQL: a control character in a page title must not
    make every feed that lists it fail."""
    conn.create_function("xml_safe", 1, untrusted.xml, deterministic=True)


@hookimpl
def register_routes():
    return [(r"^/-/change/(?P<change_id>\d+)$", change_page)]


@hookimpl
def render_cell(row, value, column, table, database, datasette):
    """Link to the change page: a change's `kind` in the changes table (Datasette keeps the
    primary-key cell for itself), and every `change_id` column of the canned queries."""
    if value is None:
        return None
    if table == "changes" and column == "kind":
        return _link(datasette, row["id"], value)
    if column == "change_id" and str(value).isdigit():
        return _link(datasette, value, value)
    return None


def _link(datasette, change_id, text) -> Markup:
    return Markup(f'<a href="{datasette.urls.path("/-/change/")}{escape(change_id)}">{escape(text)}</a>')
