"""Facts about and settings of an open archive connection, for the processes that share the file."""
from __future__ import annotations

import sqlite_utils


def database_path(db: sqlite_utils.Database) -> str:
    """The file of the connection's main database, for a helper process to open it too."""
    return db.execute("PRAGMA database_list").fetchone()[2]


def temp_store_in_memory(db: sqlite_utils.Database) -> None:
    """Keep this connection's temporary store in memory instead of temporary files."""
    db.execute("PRAGMA temp_store=MEMORY")
