"""The change page: metadata, changed fields, located edits, and the diff inline or side by side."""
from __future__ import annotations

import sqlite_utils
from datasette.utils.asgi import NotFound, Response

from monitor.sides import rows_from_json, side_by_side
from storage import archive


def _load(conn, change_id: int) -> dict | None:
    db = sqlite_utils.Database(conn)
    change = archive.get_change(db, change_id)
    if change is None:
        return None
    old = archive.get_version(db, change["from_version_id"]) if change["from_version_id"] else None
    new = archive.get_version(db, change["to_version_id"]) if change["to_version_id"] else None
    document = archive.get_document(db, change["document_id"])
    rows = []
    if old and new and "body" in change["changed_fields"]:
        stored = archive.change_sides(db, change_id)
        rows = rows_from_json(stored) if stored else side_by_side(old["body_text"], new["body_text"])
    return {"change": change, "old": old, "new": new, "document": document, "rows": rows,
            "versions": archive.document_versions(db, change["document_id"])}


async def change_page(request, datasette):
    change_id = int(request.url_vars["change_id"])
    database = datasette.get_database()
    context = await database.execute_fn(lambda conn: _load(conn, change_id))
    if context is None:
        raise NotFound(f"No change #{change_id}")
    name = database.name
    context.update(
        database=name, view="side" if request.args.get("view") == "side" else "inline",
        document_url=datasette.urls.row(name, "documents", context["document"]["id"]),
        version_url=lambda version_id: datasette.urls.row(name, "versions", version_id),
        changes_url=datasette.urls.table(name, "changes") + f"?document_id={context['document']['id']}",
        change_url=lambda other: datasette.urls.path(f"/-/change/{other}"),
    )
    html = await datasette.render_template("remarkwatch_change.html", context, request=request)
    return Response.html(html)
