"""monitor/web/limits.py: an answer of `serve` bounded in memory, on a real SQLite connection."""
from __future__ import annotations

import sqlite3

import pytest

from remarkwatch.web import limits


@pytest.fixture
def conn():
    connection = sqlite3.connect(":memory:")
    limits.limit_connection(connection, 1000)
    yield connection
    connection.close()


@pytest.mark.parametrize("max_page_bytes, budget", [(5 * 2 ** 20, 64 * 2 ** 20), (100 * 2 ** 20, 200 * 2 ** 20)])
def test_answer_budget(max_page_bytes, budget):
    assert limits.answer_budget(max_page_bytes) == budget


def test_no_value_past_the_budget_is_made(conn):
    assert conn.execute("select length(zeroblob(1000))").fetchone() == (1000,)
    with pytest.raises(sqlite3.DataError, match="too big"):
        conn.execute("select zeroblob(1001)").fetchone()


@pytest.mark.parametrize("rows, limit, expect", [
    (5, None, 5), (5, 3, 3), (9, None, 9),          # 9 rows of 100 bytes: just under the budget
])
def test_fetch_reads_rows_within_the_budget(conn, rows, limit, expect):
    cursor = conn.execute(f"with n(i) as (select 1 union all select i + 1 from n limit {rows}) "
                          f"select zeroblob(100) from n")
    assert len(limits._fetch(cursor, limit, 1000)) == expect


def test_fetch_refuses_an_answer_past_the_budget_before_reading_on(conn):
    cursor = conn.execute("with n(i) as (select 1 union all select i + 1 from n limit 1000000) "
                          "select zeroblob(400) from n")
    with pytest.raises(limits.AnswerTooLarge, match="larger than"):
        limits._fetch(cursor, None, 1000)
    assert cursor.fetchone() is not None, "the rest of the answer was never read"
