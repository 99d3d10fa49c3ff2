"""Plain SQL helpers of the per-page path: insert, first row, update (no sqlite-utils introspection)."""
from __future__ import annotations

from typing import Any, Iterable

import sqlite_utils


def insert_row(db: sqlite_utils.Database, table: str, row: dict[str, Any]) -> int:
    """INSERT with plain SQL: the per-page path avoids sqlite-utils' per-call table introspection."""
    columns = ", ".join(row)
    marks = ", ".join("?" * len(row))
    return db.execute(f"INSERT INTO {table} ({columns}) VALUES ({marks})", list(row.values())).lastrowid


def first_row(db: sqlite_utils.Database, sql: str, params: Iterable = ()) -> dict | None:
    """The first row of a SELECT as a dict, or None: the per-page reads skip `db.query`'s savepoint
    around every statement (three statements for one)."""
    cursor = db.execute(sql, list(params))
    row = cursor.fetchone()
    return None if row is None else dict(zip((column[0] for column in cursor.description), row))


def update_row(db: sqlite_utils.Database, table: str, row_id: int, fields: dict[str, Any]) -> None:
    assignments = ", ".join(f"{name} = ?" for name in fields)
    db.execute(f"UPDATE {table} SET {assignments} WHERE id = ?", [*fields.values(), row_id])
