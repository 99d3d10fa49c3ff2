"""The report page (`/-/report`): `remarkwatch report` in the browser, a table and a chart per
source that a reporter can screenshot."""
from __future__ import annotations

import sqlite_utils

from remarkwatch.history.report import summarise
from remarkwatch.storage.report import report_rows
from remarkwatch.web.chart import edit_chart
from remarkwatch.web.pages import archive_of, render, text_arg


async def report_page(request, datasette):
    database, links = await archive_of(request, datasette)
    source = text_arg(request.args.get("source"), 200) or None

    def read(conn):
        return summarise(*report_rows(sqlite_utils.Database(conn), source))
    rows = await database.execute_fn(read)
    sources: dict[str, list[dict]] = {}
    for row in rows:
        sources.setdefault(row["source"], []).append(row)
    return await render(datasette, request, "remarkwatch_report.html", links, {
        "source": source, "sources": [(name, years, edit_chart(name, years)) for name, years in sources.items()]})
