"""Arbitrary SQL is bounded in memory as Datasette bounds it in time (`sql_time_limit_ms`):

- every connection gets SQLite's own SQLITE_LIMIT_LENGTH, so no value larger than the answer
  budget is ever made (`select zeroblob(1000000000)` fails inside SQLite instead of allocating a
  gigabyte: it once drove `serve` into the kernel's OOM killer);
- each query's answer is read a row at a time and refused once its values pass the budget (so
  `max_returned_rows` rows of a few megabytes each cannot add up to gigabytes).

Datasette 0.65 has no hook for the second, so each database's `execute` is replaced by the same
method (`datasette.database.Database.execute`, copied) with a budgeted fetch instead of
`fetchmany`/`fetchall`. Pinned by the `datasette` bound in pyproject.toml.
"""
from __future__ import annotations

import sqlite3
import sys
import types

from datasette.database import QueryInterrupted, Results
from datasette.tracer import trace
from datasette.utils import sqlite_timelimit

ANSWER_BYTES = 64 * 1024 * 1024


class AnswerTooLarge(sqlite3.OperationalError):
    pass


def answer_budget(max_page_bytes: int) -> int:
    """The most one answer may hold: 64 MB, or twice the largest page an archive can store."""
    return max(ANSWER_BYTES, 2 * max_page_bytes)


def limit_connection(conn: sqlite3.Connection, max_bytes: int) -> None:
    conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, max_bytes)


def _size(row) -> int:
    return sum(len(v) if isinstance(v, (str, bytes)) else 8 for v in row)


def _fetch(cursor, limit: int | None, max_bytes: int) -> list:
    """Up to `limit` rows, one at a time: the budget is checked before the next row is read."""
    rows, size = [], 0
    for row in cursor:
        size += _size(row)
        if size > max_bytes:
            raise AnswerTooLarge(f"the answer is larger than {max_bytes // 2 ** 20} MB: ask for fewer rows or columns")
        rows.append(row)
        if limit is not None and len(rows) >= limit:
            break
    return rows


def bound_answers(datasette, max_bytes: int) -> None:
    """Give every database of `datasette` the budgeted `execute`."""
    for database in datasette.databases.values():
        database.execute = types.MethodType(_budgeted_execute(max_bytes), database)


def _budgeted_execute(max_bytes: int):
    async def execute(self, sql, params=None, truncate=False, custom_time_limit=None, page_size=None,
                      log_sql_errors=True):
        page_size = page_size or self.ds.page_size

        def sql_operation_in_thread(conn):
            time_limit_ms = self.ds.sql_time_limit_ms
            if custom_time_limit and custom_time_limit < time_limit_ms:
                time_limit_ms = custom_time_limit
            with sqlite_timelimit(conn, time_limit_ms):
                try:
                    cursor = conn.cursor()
                    cursor.execute(sql, params if params is not None else {})
                    max_returned_rows = self.ds.max_returned_rows
                    if max_returned_rows == page_size:
                        max_returned_rows += 1
                    if max_returned_rows and truncate:
                        rows = _fetch(cursor, max_returned_rows + 1, max_bytes)
                        truncated = len(rows) > max_returned_rows
                        rows = rows[:max_returned_rows]
                    else:
                        rows, truncated = _fetch(cursor, None, max_bytes), False
                except (sqlite3.OperationalError, sqlite3.DatabaseError) as e:
                    if e.args == ("interrupted",):
                        raise QueryInterrupted(e, sql, params)
                    if log_sql_errors:
                        sys.stderr.write(f"ERROR: conn={conn}, sql = {sql!r}, params = {params}: {e}\n")
                        sys.stderr.flush()
                    raise
            return Results(rows, truncated, cursor.description)

        with trace("sql", database=self.name, sql=sql.strip(), params=params):
            return await self.execute_fn(sql_operation_in_thread)
    return execute
