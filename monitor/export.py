"""Write documents, versions or changes as JSON lines or CSV, streaming, newest schema columns as stored."""
from __future__ import annotations

import csv
import json
from typing import IO

from storage import archive

TABLES = ("documents", "versions", "changes")
FORMATS = ("jsonl", "csv")


def export(db, table: str, out: IO[str], fmt: str = "jsonl", source: str | None = None) -> int:
    """Write every row of `table` (of one source, when given) to `out`; return how many."""
    rows = archive.export_rows(db, table, source)
    count = 0
    writer = None
    for row in rows:
        if fmt == "jsonl":
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
        else:
            if writer is None:
                writer = csv.DictWriter(out, fieldnames=list(row))
                writer.writeheader()
            writer.writerow(row)
        count += 1
    return count
