"""Normalisation and detection, including the real 2021-07-28 silent edit on state.gov."""
from __future__ import annotations

from crawler.items import Extracted
from monitor import detect, normalize
from tests.conftest import shared_file
from tests.test_extract import extract_item, feed_items


def fields(**kw) -> dict:
    return Extracted(**{"title": "T", "body_text": "A para.\n\nB para.", **kw}).as_dict()


def test_normalize_folds_noise_only():
    assert normalize.text("Secretary\xa0Blinken’s  call") == normalize.text("Secretary Blinken's call")
    assert normalize.text("work\u200bforce – now") == normalize.text("workforce - now")
    assert normalize.text("supporters") != normalize.text("supporter's")
    assert normalize.text("&#8217;") == "'"


def test_identical_after_normalisation_is_no_change():
    before = fields(title="Remarks\xa0to the Press", body_text="One.  Two.\n\nThree’s")
    after = fields(title="Remarks to the Press", body_text="One. Two.\n\nThree's")
    assert detect.compare(before, after) is None
    assert normalize.content_hash(before) == normalize.content_hash(after)
    assert normalize.raw_hash(before) != normalize.raw_hash(after)


def test_new_document():
    change = detect.compare(None, fields(speakers=["X, Secretary"]))
    assert change.kind == "new" and "speakers" in change.changed_fields


def test_word_edit_is_located():
    before = fields(body_text="Intro.\n\nWe call on all armed actors to stop attacks against Eritrean forces and all refugees.")
    after = fields(body_text="Intro.\n\nWe call on all armed actors to stop attacks against Eritrean refugees and all refugees.")
    change = detect.compare(before, after)
    assert change.kind == "edited" and change.changed_fields == ["body"]
    assert change.summary == "body para 2: 'forces' -> 'refugees'"
    assert "-We call" in change.diff and "+We call" in change.diff
    assert change.field_diffs == {}


def test_metadata_fields_each_reported():
    before = fields(title="Visas Restrictions", location="Duluth, Wisconsin", speakers=["A, Secretary"])
    after = fields(title="Visa Restrictions", location="Duluth, Minnesota", speakers=["A, Secretary", "B, Minister"])
    change = detect.compare(before, after)
    assert change.changed_fields == ["title", "speakers", "location"]
    assert change.field_diffs["location"] == {"old": "Duluth, Wisconsin", "new": "Duluth, Minnesota"}
    assert change.diff == ""


def test_paragraph_added_and_removed():
    before = fields(body_text="One.\n\nTwo.\n\nThree.")
    after = fields(body_text="One.\n\nThree.\n\nFour is new.")
    edits = detect.body_edits(before["body_text"], after["body_text"])
    assert ("delete" in [e[1] for e in edits]) and ("insert" in [e[1] for e in edits])


def test_modified_time_alone_is_not_a_change():
    assert detect.compare(fields(modified_time="2021-01-01T00:00:00"), fields(modified_time="2021-02-02T00:00:00")) is None


def test_real_silent_edit_eritrean_forces_to_refugees():
    """The real 2021-07-28 state.gov edit is an edit of the body and of nothing else."""
    before = {i["guid"]: i for i in feed_items(shared_file("fixtures", "real", "state_gov__rss_edit_pair_2021-07-28__before.xml"))}
    after = {i["guid"]: i for i in feed_items(shared_file("fixtures", "real", "state_gov__rss_edit_pair_2021-07-28__after.xml"))}
    assert before.keys() == after.keys()
    changed = {}
    for guid in before:
        change = detect.compare(extract_item(before[guid]).fields.as_dict(), extract_item(after[guid]).fields.as_dict())
        if change is not None:
            changed[guid] = change
    assert list(changed) == ["https://www.state.gov/?post_type=state_briefing&p=262710"]
    change = changed["https://www.state.gov/?post_type=state_briefing&p=262710"]
    assert change.kind == "edited" and change.changed_fields == ["body"]
    assert "'forces' -> 'refugees'" in change.summary


def test_real_title_change_is_title_only():
    before = {i["guid"]: i for i in feed_items(shared_file("fixtures", "real", "state_gov__rss_slug_change_2022-06-13__before.xml"))}
    after = {i["guid"]: i for i in feed_items(shared_file("fixtures", "real", "state_gov__rss_slug_change_2022-06-13__after.xml"))}
    guid = "https://www.state.gov/?page_id=352170"
    change = detect.compare(extract_item(before[guid]).fields.as_dict(), extract_item(after[guid]).fields.as_dict())
    assert change.changed_fields == ["title"]
    assert change.field_diffs["title"]["new"].startswith("Visa Restrictions")
