"""Write documents, versions or changes as JSON lines or CSV, streaming, newest schema columns as stored.

A change also gets `change_url`, its page in the served archive (with `public_url`; empty without).
CSV for a spreadsheet is written with a byte-order mark by the caller (`export --format csv -o`):
without one, Excel on Windows reads UTF-8 as a legacy code page and shows "–" and "’" as mojibake."""
from __future__ import annotations

import csv
import json
from typing import IO

from remarkwatch.storage import archive

TABLES = ("documents", "versions", "changes")
FORMATS = ("jsonl", "csv")


CELL_LIMIT = 32_000        # spreadsheets refuse longer cells (Excel's limit is 32,767)


def sheet_row(row: dict) -> dict:
    """A change as a spreadsheet row: lists as "a, b" text, the silent flag as yes/no, the located
    edits as readable lines; the per-field JSON is left to the JSON lines export."""
    out = dict(row)
    for name in ("classes", "changed_fields"):
        out[name] = ", ".join(json.loads(row.get(name) or "[]"))
    out["silent"] = "yes" if row.get("silent") else "no"
    out["historical"] = "yes" if row.get("historical") else "no"
    edits = json.loads(row.get("edits") or "[]")
    out["edits"] = "\n".join(_edit_text(e) for e in edits)[:CELL_LIMIT]
    out["diff"] = (row.get("diff") or "")[:CELL_LIMIT]
    out.pop("field_diffs", None)
    return out


def _edit_text(edit: dict) -> str:
    where = f"turn {edit['turn']}, {edit['speaker']}" if edit.get("turn") and edit.get("speaker") else edit["field"]
    return f"{where}: '{edit.get('old') or ''}' -> '{edit.get('new') or ''}' ({', '.join(edit.get('classes') or [])})"


def change_url(public_url: str | None, change_id: int) -> str:
    return f"{public_url.rstrip('/')}/-/change/{change_id}" if public_url else ""


def export(db, table: str, out: IO[str], fmt: str = "jsonl", source: str | None = None, *,
           since: str | None = None, public_url: str | None = None, change_id: int | None = None) -> int:
    """Write every row of `table` (of one source, from `since` on, or one change) to `out`;
    return how many."""
    rows = archive.export_rows(db, table, source, since=since, change_id=change_id)
    count = 0
    writer = None
    for row in rows:
        if table == "changes":
            row = {"id": row["id"], "change_url": change_url(public_url, row["id"]), **row}
        if fmt == "jsonl":
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
        else:
            row = sheet_row(row) if table == "changes" else row
            if writer is None:
                writer = csv.DictWriter(out, fieldnames=list(row))
                writer.writeheader()
            writer.writerow(row)
        count += 1
    return count
