"""storage/migrations.py: every step applied once, in order, and an archive stopped at any step
upgrades to exactly the schema a new archive gets."""
from __future__ import annotations

import re

import pytest
from sqlite_utils import Database

from remarkwatch.storage.db import integrity_check, open_db
from remarkwatch.storage.migrations import migrations, step_names

STEPS = step_names()


def schema(db) -> list[tuple]:
    """Tables, indexes, triggers and views with their SQL, whitespace folded, bookkeeping left out."""
    rows = db.execute("SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' "
                      "AND name != '_sqlite_migrations' ORDER BY type, name").fetchall()
    return [(kind, name, re.sub(r"\s+", " ", sql or "")) for kind, name, sql in rows]


def test_steps_are_numbered_in_order_and_named_once():
    assert STEPS == sorted(STEPS) and len(set(STEPS)) == len(STEPS)
    assert all(re.fullmatch(r"m\d{3}_[a-z0-9_]+", name) for name in STEPS)
    assert [int(name[1:4]) for name in STEPS] == list(range(1, len(STEPS) + 1))


def test_a_new_archive_has_every_step_and_none_pending(tmp_path):
    db = open_db(tmp_path / "a.db")
    assert [m.name for m in migrations.applied(db)] == STEPS
    assert migrations.pending(db) == []
    before = schema(db)
    migrations.apply(db)                          # nothing left to do
    assert schema(db) == before


@pytest.fixture(scope="module")
def fresh(tmp_path_factory):
    """The schema of a new archive (built once: each step's test compares against it)."""
    return schema(open_db(tmp_path_factory.mktemp("fresh") / "a.db"))


@pytest.mark.parametrize("stop", STEPS[1:])
def test_an_archive_stopped_at_any_step_upgrades_to_the_same_schema(tmp_path, stop, fresh):
    old = Database(tmp_path / "old.db")
    migrations.apply(old, stop_before=stop)
    assert [m.name for m in migrations.pending(old)] == STEPS[STEPS.index(stop):]
    old.close()
    upgraded = open_db(tmp_path / "old.db")
    assert schema(upgraded) == fresh and integrity_check(upgraded) == ["ok"]
