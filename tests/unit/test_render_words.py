"""The terminal's `history` and `diff` header read times and summaries in words; the stored rows
and `--json` keep ISO times and the raw summary."""
from __future__ import annotations

import re

import pytest

from remarkwatch.cli import render

ISO = re.compile(r"\d{4}-\d\d-\d\dT")
DOCUMENT = {"id": 7, "title": "Department Press Briefing", "key": "state.gov/briefing", "source": "state",
            "state": "removed", "state_since": "2026-11-27T12:00:06+00:00",
            "first_seen": "2026-09-18T15:04:00+00:00", "last_seen": "2026-11-27T12:00:06+00:00"}
URLS = [{"url": "https://www.state.gov/briefing/", "first_seen": "2026-09-18T15:04:00+00:00",
         "last_seen": "2026-11-27T12:00:06+00:00"}]
VERSIONS = [{"number": 1, "observed_at": "2026-09-18T15:04:00+00:00", "created_at": "2026-09-18T15:04:00+00:00",
             "turns": 5, "words": 900, "content_hash": "abcdef0123456789", "title": "Department Press Briefing"}]
BODY_EDIT = {"field": "body", "op": "replace", "old": "forces", "new": "refugees", "turn": 1, "speaker": "MR PRICE",
             "significance": 60}
TIME_EDIT = {"field": "modified_time", "op": "replace", "old": "2026-09-18T15:04:00+00:00",
             "new": "2026-09-19T09:00:00+00:00", "significance": 5}


def _change(**extra) -> dict:
    return {"id": 3, "kind": "edited", "detected_at": "2026-09-19T09:30:00+00:00", "significance": 60,
            "classes": ["wording"], "historical": False, **extra}


@pytest.mark.parametrize("change, said", [
    (_change(edits=[BODY_EDIT], summary="turn 1, MR PRICE: 'forces' -> 'refugees'"),
     "turn 1, MR PRICE: “forces” → “refugees”"),
    (_change(edits=[TIME_EDIT], summary="modified_time: '2026-09-18T15:04:00+00:00' -> '2026-09-19T09:00:00+00:00'"),
     "Modified time: 18 Sep 2026, 15:04 UTC → 19 Sep 2026, 09:00 UTC"),
    (_change(kind="removed", edits=[], summary="gone since 2026-11-27T12:00:06+00:00"),
     "gone since 27 Nov 2026, 12:00 UTC"),
])
def test_history_reads_in_words(change, said):
    shown = render.history(DOCUMENT, URLS, VERSIONS, [change], color=False)
    assert said in shown and not ISO.search(shown)
    assert "state:    removed since 27 Nov 2026, 12:00 UTC" in shown
    assert "v1   18 Sep 2026, 15:04 UTC" in shown and "#3     19 Sep 2026, 09:30 UTC" in shown


@pytest.mark.parametrize("edits, summary, said", [
    ([TIME_EDIT], "modified_time: '2026-09-18T15:04:00+00:00' -> '2026-09-19T09:00:00+00:00'",
     "summary:  Modified time: 18 Sep 2026, 15:04 UTC → 19 Sep 2026, 09:00 UTC"),
    ([], "gone since 2026-11-27T12:00:06+00:00", "summary:  gone since 27 Nov 2026, 12:00 UTC"),
])
def test_the_diff_header_summary_reads_in_words(edits, summary, said):
    change = _change(edits=edits, summary=summary, url="https://www.state.gov/briefing/", source="state",
                     title="Briefing", changed_fields=["modified_time"])
    shown = render.change_detail(change, color=False)
    assert said in shown.splitlines()
    assert "modified_time: '" not in shown


def test_json_keeps_the_stored_summary_and_iso():
    stored = "modified_time: '2026-09-18T15:04:00+00:00' -> '2026-09-19T09:00:00+00:00'"
    [row] = __import__("json").loads(render.changes_json([_change(edits=[TIME_EDIT], summary=stored)]))
    assert (row["summary"], row["detected_at"]) == (stored, "2026-09-19T09:30:00+00:00")
