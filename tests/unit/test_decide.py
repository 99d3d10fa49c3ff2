"""core/decide.py and core/fields.py: the kinds decided after comparing, one rule each for every
route into the archive, and a stored version read back as detect's fields."""
from __future__ import annotations

import json

import pytest

from remarkwatch.core import decide, detect
from remarkwatch.core.detect import Change
from remarkwatch.core.fields import LIST_FIELDS, version_fields


def edit(significance: int = 80) -> Change:
    return Change(detect.EDITED, ["body"], classes=["wording"], significance=significance,
                  summary="turn 1, MR PRICE: 'forces' -> 'refugees'")


@pytest.mark.parametrize("change, kind, significance, summary", [
    (None, detect.RESTORED, detect.KIND_FLOOR[detect.RESTORED], "restored: back at https://x/a, content unchanged"),
    (edit(80), detect.RESTORED, 80, "restored with changes: turn 1, MR PRICE: 'forces' -> 'refugees'"),
    (edit(10), detect.RESTORED, detect.KIND_FLOOR[detect.RESTORED], "restored with changes: turn 1"),
])
def test_restored(change, kind, significance, summary):
    got = decide.restored(change, "https://x/a")
    assert (got.kind, got.significance) == (kind, significance) and got.summary.startswith(summary)


@pytest.mark.parametrize("relabel, args, summary", [
    (decide.reextracted, ("state.gov/3",), "re-extraction (state.gov/3): turn 1"),
    (decide.extractor_switched, ("state.gov/2", "fallback:state.gov/2"),
     "extractor switched (state.gov/2 -> fallback:state.gov/2), not an edit by the site: turn 1"),
    (decide.extractor_switched, (None, "state.gov/2"), "extractor switched (unknown -> state.gov/2)"),
])
def test_a_parser_change_is_recorded_never_alerted(relabel, args, summary):
    got = relabel(edit(), *args)
    assert got.kind == detect.REEXTRACTED and got.significance == 0 and not got.alerting
    assert got.summary.startswith(summary) and got.classes == ["wording"]


def test_version_fields_decodes_the_json_lists_and_keeps_the_rest():
    row = {"id": 7, "title": "T", **{name: json.dumps([f"{name}-1"]) for name in LIST_FIELDS}, "tags": None}
    fields = version_fields(row)
    assert fields["speakers"] == ["speakers-1"] and fields["tags"] == [] and fields["title"] == "T"
    assert row["speakers"] == '["speakers-1"]', "the row itself is left as it was"
