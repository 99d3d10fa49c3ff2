"""Write documents, versions or changes as JSON lines or CSV, streaming, newest schema columns as stored."""
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
    edits = json.loads(row.get("edits") or "[]")
    out["edits"] = "\n".join(_edit_text(e) for e in edits)[:CELL_LIMIT]
    out["diff"] = (row.get("diff") or "")[:CELL_LIMIT]
    out.pop("field_diffs", None)
    return out


def _edit_text(edit: dict) -> str:
    where = f"turn {edit['turn']}, {edit['speaker']}" if edit.get("turn") and edit.get("speaker") else edit["field"]
    return f"{where}: '{edit.get('old') or ''}' -> '{edit.get('new') or ''}' ({', '.join(edit.get('classes') or [])})"


def export(db, table: str, out: IO[str], fmt: str = "jsonl", source: str | None = None) -> int:
    """Write every row of `table` (of one source, when given) to `out`; return how many."""
    rows = archive.export_rows(db, table, source)
    count = 0
    writer = None
    for row in rows:
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
