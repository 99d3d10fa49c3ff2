"""The change page's downloads: the change as JSON or CSV (the export's row, with `change_url`,
`historical` and the edit window), and its evidence as WARC: the captures before and after, each
version's metadata naming the change and its Save Page Now memento."""
from __future__ import annotations

import io
import json

import sqlite_utils
from datasette.utils.asgi import NotFound, Response

from remarkwatch.crawler.settings import DEFAULT_USER_AGENT
from remarkwatch.evidence import proof
from remarkwatch.history import export, warc
from remarkwatch.storage import changes as changes_table
from remarkwatch.web.pages import archive_of, int_arg

FORMATS = {"json": "application/json; charset=utf-8", "csv": "text/csv; charset=utf-8",
           "warc.gz": "application/warc"}
JSON_COLUMNS = ("classes", "changed_fields", "edits", "field_diffs")


async def change_download(request, datasette):
    database, _links = await archive_of(request, datasette)
    change_id = int_arg(request.url_vars["change_id"], "change")
    fmt = request.url_vars["fmt"]
    public_url = (datasette.plugin_config("remarkwatch") or {}).get("public_url")
    body = await database.execute_fn(lambda conn: _body(sqlite_utils.Database(conn), change_id, fmt, public_url))
    if body is None:
        raise NotFound(f"No change #{change_id}" + (" with stored captures" if fmt == "warc.gz" else ""))
    return Response(body, content_type=FORMATS[fmt],
                    headers={"Content-Disposition": f'attachment; filename="change-{change_id}.{fmt}"'})


def _body(db, change_id: int, fmt: str, public_url: str | None) -> bytes | None:
    change = changes_table.get_change(db, change_id)
    if change is None:
        return None
    if fmt == "warc.gz":
        rows = warc.select(db, change_id=change_id)
        if not rows:
            return None
        out = io.BytesIO()
        # The web server reads no config: the request records name the default user agent.
        warc.write_records(db, rows, out, name=f"change-{change_id}.warc.gz", user_agent=DEFAULT_USER_AGENT)
        return out.getvalue()
    out = io.StringIO()
    export.export(db, "changes", out, "csv" if fmt == "csv" else "jsonl", public_url=public_url, change_id=change_id)
    if fmt == "csv":
        return ("\ufeff" + out.getvalue()).encode("utf-8")     # a byte-order mark: Excel reads it as UTF-8
    row = json.loads(out.getvalue())
    row.update({name: json.loads(row[name] or "null") for name in JSON_COLUMNS})
    row["evidence"] = {"third_party": proof.third_party(change)}
    return (json.dumps(row, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
