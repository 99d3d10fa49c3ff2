"""The one table of edit classes (`remarkwatch.core.classes`) and everything that names classes:
detection's weights and order, the web pages' labels, the Datasette metadata's lists."""
from __future__ import annotations

import ast
import inspect
import json
import re

import pytest

from remarkwatch.core import classes, detect
from remarkwatch.crawler.profiles import config_dir
from remarkwatch.web import pages


def _archive_metadata() -> dict:
    return json.loads((config_dir() / "datasette.json").read_text(encoding="utf-8"))["archive"]


def _listed(text: str) -> list[str]:
    """'a, b, c or d.' -> ['a', 'b', 'c', 'd']"""
    return [w for w in re.split(r",\s*|\s+or\s+", text.strip().rstrip(".")) if w]


@pytest.mark.parametrize("row", classes.CLASS_TABLE, ids=lambda row: row.name)
def test_row(row):
    assert row.label.strip() and row.label == row.label.strip()
    assert row.description.strip() and "\n" not in row.description
    assert 0 <= row.weight <= 100
    assert detect.WEIGHTS[row.name] == row.weight          # what detection scores an edit of it
    assert pages.CLASS_WORDS[row.name] == row.label         # what the web pages call it
    assert classes.BY_NAME[row.name] is row


def test_detect_classes_are_the_table():
    assert set(detect.CLASSES) == set(classes.NAMES)
    assert detect.CLASSES == tuple(row.name for row in classes.CLASS_TABLE)   # stored order
    assert len(classes.NAMES) == len(classes.CLASS_TABLE)                     # no name twice
    assert set(detect.WEIGHTS) == set(classes.NAMES)


def test_every_class_detect_names_is_in_the_table():
    """Each class literal in detect (`classes.append("x")`, `WEIGHTS["x"]`, `["x"]` lists of an
    Edit) is a row of the table."""
    tree = ast.parse(inspect.getsource(detect))
    named = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "append" \
                and isinstance(node.func.value, ast.Name) and node.func.value.id == "classes":
            named.update(a.value for a in node.args if isinstance(a, ast.Constant))
        elif isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and node.value.id == "WEIGHTS" \
                and isinstance(node.slice, ast.Constant):
            named.add(node.slice.value)
    named.update(detect.COARSE_CLASS.values())
    assert named and named <= set(classes.NAMES)


def test_web_menu_lists_every_class_once():
    assert list(pages.CLASS_WORDS) == [row.name for row in sorted(classes.CLASS_TABLE, key=lambda r: r.menu)]
    assert sorted(row.menu for row in classes.CLASS_TABLE) == list(range(1, len(classes.CLASS_TABLE) + 1))


def test_datasette_class_list_is_the_table():
    description = _archive_metadata()["queries"]["changes_by_class"]["description"]
    listed = _listed(description.split(":", 1)[1])
    assert sorted(listed) == sorted(classes.NAMES)


def test_datasette_kind_list_is_detects():
    described = _archive_metadata()["tables"]["changes"]["columns"]["kind"]
    assert _listed(described) == list(detect.KINDS)
