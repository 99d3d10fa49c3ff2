"""The Datasette plugin's hooks (web/plugin.py), in process through Datasette's own client on real
SQLite files: the SQL functions every connection gets, metadata for each archive served whatever
its file is called (and only for archives), and the change links in table cells. The newsroom
pages themselves are tests/integration/test_pages.py's."""
from __future__ import annotations

import asyncio
import shutil
import sqlite3
from urllib.parse import quote

import pytest

from remarkwatch.web import plugin
from remarkwatch.web.server import build_datasette


@pytest.fixture
def archive(_migrated, tmp_path):
    """archive(name): a path to a new empty archive called `name`.db."""
    def made(name: str):
        shutil.copyfile(_migrated, tmp_path / f"{name}.db")
        return tmp_path / f"{name}.db"
    return made


def query(datasette, sql: str, database: str = "archive") -> list:
    response = asyncio.run(datasette.client.get(f"/{database}.json?sql={quote(sql)}&_shape=arrays"))
    assert response.status_code == 200, response.text[:300]
    return response.json()["rows"]


def test_change_links_in_sql_are_absolute_when_a_public_url_is_set(served, archive):
    assert query(served, "select rw_change_url(5)") == [["/-/change/5"]]
    # With several archives served a link names its own (?db=), the public URL without its last slash.
    several = build_datasette(archive("archive"), archive("other"), public_url="https://desk.example.org/")
    assert query(several, "select rw_change_url(5)") == [["https://desk.example.org/-/change/5?db=archive"]]
    assert query(several, "select rw_change_url(6)", "other") == [["https://desk.example.org/-/change/6?db=other"]]


@pytest.mark.parametrize("text, safe", [
    ("Remarks\x01 on\x0b the\ufffe day", "Remarks on the day"),
    ("Plain \u2019quotes\u2019 stay", "Plain \u2019quotes\u2019 stay"),
])
def test_xml_safe_drops_what_xml_forbids(served, text, safe):
    assert query(served, f"select xml_safe('{text}')") == [[safe]]


def test_metadata_is_given_to_every_archive_and_only_to_archives(tmp_path, archive):
    plain = tmp_path / "plain.db"
    sqlite3.connect(plain).execute("CREATE TABLE notes (id INTEGER PRIMARY KEY)")
    datasette = build_datasette(archive("a"), archive("b"), plain)
    databases = plugin.get_metadata(datasette, None, None, None)["databases"]
    assert sorted(databases) == ["a", "b"]
    assert {"changes", "versions"} <= set(databases["a"]["tables"])
    assert "latest_changes" in databases["b"]["queries"]


@pytest.mark.parametrize("table, column, value, row, cell", [
    ("changes", "kind", "edited", {"id": 7}, '<a href="/-/change/7">edited</a>'),
    ("changes", "kind", "<b>x</b>", {"id": 7}, '<a href="/-/change/7">&lt;b&gt;x&lt;/b&gt;</a>'),
    ("latest_changes", "change_id", 12, {}, '<a href="/-/change/12">12</a>'),
    ("latest_changes", "change_id", "12 or 1=1", {}, None),
    ("changes", "summary", "edited", {"id": 7}, None),
    ("changes", "kind", None, {"id": 7}, None),
])
def test_change_cells_link_to_the_change_page(served, table, column, value, row, cell):
    shown = plugin.render_cell(row, value, column, table, "archive", served)
    assert (str(shown) if shown is not None else None) == cell


def test_every_printed_value_shows_a_bidi_override_instead_of_applying_it(served):
    asyncio.run(served.invoke_startup())
    template = served.jinja_env.from_string("{{ title }}")
    assert template.render(title="Transcript \u202egnp.exe") == "Transcript [U+202E]gnp.exe"
