"""Normalisation and detection, including the real 2021-07-28 silent edit on state.gov."""
from __future__ import annotations

import pytest

from remarkwatch.crawler.items import Extracted
from remarkwatch.core import detect, normalize, transcript
from tests.conftest import shared_file
from tests.unit.test_extract import extract_item, feed_items


def fields(**kw) -> dict:
    return Extracted(**{"title": "T", "body_text": "A para.\n\nB para.", **kw}).as_dict()


def test_normalize_folds_noise_only():
    assert normalize.text("Secretary\xa0Blinken’s  call") == normalize.text("Secretary Blinken's call")
    assert normalize.text("work\u200bforce – now") == normalize.text("workforce - now")
    assert normalize.text("supporters") != normalize.text("supporter's")
    assert normalize.text("&#8217;") == "'"


def test_identical_fields_are_no_change():
    assert detect.compare(fields(title="A\xa0b"), fields(title="A\xa0b")) is None


def test_noise_is_recorded_as_cosmetic_and_never_alerts():
    before = fields(title="Remarks\xa0to the Press", body_text="One.  Two.\n\nThree’s")
    after = fields(title="Remarks to the Press", body_text="One. Two.\n\nThree's")
    change = detect.compare(before, after)
    assert change.kind == "edited" and change.classes == ["cosmetic"]
    assert change.changed_fields == ["title", "body"]
    assert change.significance == 0 and not change.alerting and not change.silent
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
    assert change.summary == "para 2: 'forces' -> 'refugees'"
    assert change.classes == ["wording"] and change.alerting
    assert "-We call" in change.diff and "+We call" in change.diff
    assert change.field_diffs == {}


def test_metadata_fields_each_reported():
    before = fields(title="Visas Restrictions", location="Duluth, Wisconsin", speakers=["A, Secretary"])
    after = fields(title="Visa Restrictions", location="Duluth, Minnesota", speakers=["A, Secretary", "B, Minister"])
    change = detect.compare(before, after)
    assert change.changed_fields == ["title", "speakers", "location"]
    assert change.field_diffs["location"] == {"old": "Duluth, Wisconsin", "new": "Duluth, Minnesota"}
    assert change.diff == ""
    assert change.classes == ["title", "metadata", "wording", "speaker"]
    by_field = {e.field: e for e in change.edits}
    assert (by_field["location"].old, by_field["location"].new) == ("Wisconsin", "Minnesota")
    # A byline changes as a whole (who is credited), old list -> new list, not name fragments.
    assert by_field["speakers"].op == "replace" and by_field["speakers"].classes == ["metadata", "speaker"]
    assert (by_field["speakers"].old, by_field["speakers"].new) == ("A, Secretary", "A, Secretary; B, Minister")


def test_paragraph_added_and_removed():
    before = fields(body_text="One.\n\nTwo.\n\nThree.")
    after = fields(body_text="One.\n\nThree.\n\nFour is new.")
    edits = detect.body_edits(before["body_text"], after["body_text"])
    assert [(e.op, e.old, e.new, e.para) for e in edits] == [
        ("delete", "Two.", "", 2), ("insert", "", "Four is new.", 3)]
    assert [e.classes for e in edits] == [["deletion"], ["insertion"]]


def test_modified_time_alone_is_a_quiet_metadata_change():
    change = detect.compare(fields(modified_time="2021-01-01T00:00:00"), fields(modified_time="2021-02-02T00:00:00"))
    assert change.changed_fields == ["modified_time"] and change.classes == ["metadata"]
    assert not change.alerting and not change.silent


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
    assert change.classes == ["wording"] and change.silent
    assert change.summary == "turn 2, MS PORTER: 'forces' -> 'refugees'"


def test_real_title_change_is_title_only():
    before = {i["guid"]: i for i in feed_items(shared_file("fixtures", "real", "state_gov__rss_slug_change_2022-06-13__before.xml"))}
    after = {i["guid"]: i for i in feed_items(shared_file("fixtures", "real", "state_gov__rss_slug_change_2022-06-13__after.xml"))}
    guid = "https://www.state.gov/?page_id=352170"
    change = detect.compare(extract_item(before[guid]).fields.as_dict(), extract_item(after[guid]).fields.as_dict())
    assert change.changed_fields == ["title"]
    assert change.field_diffs["title"]["new"].startswith("Visa Restrictions")
    assert change.classes == ["title", "wording"]


TRANSCRIPT = "\n\n".join([
    "Washington, D.C.",
    "SECRETARY BLINKEN: Good morning. We stand with Eritrean forces today.",
    "(Laughter.)",
    "QUESTION: Thank you. The sanctions do stand in the way?",
    "SECRETARY BLINKEN: They do. I still got 136 million people's debt relieved.",
    "MS. JEAN-PIERRE: Next question. (Inaudible.)",
    "Q Back over to you, Josh.",
])


def body_change(old: str, new: str, earlier=None, **kw) -> detect.Change:
    return detect.compare(fields(body_text=TRANSCRIPT, **kw),
                          fields(body_text=TRANSCRIPT.replace(old, new), **kw), earlier=earlier)


def test_edit_located_by_turn_and_speaker():
    change = body_change("Eritrean forces", "Eritrean refugees")
    assert change.summary == "turn 2, SECRETARY BLINKEN: 'forces' -> 'refugees'"
    edit = change.edits[0]
    assert (edit.turn, edit.speaker, edit.para) == (2, "SECRETARY BLINKEN", 2)


@pytest.mark.parametrize("old, new, classes", [
    ("Eritrean forces", "Eritrean refugees", ["wording"]),
    ("136 million", "~~136~~ [3.6] million", ["correction", "number"]),
    ("136 million", "236 million", ["number"]),
    ("do stand", "do [not] stand", ["correction", "insertion"]),
    ("people's debt", "peoples debt", ["punctuation"]),
    ("Good morning", "good morning", ["case"]),
    ("MS. JEAN-PIERRE:", "MR. KIRBY:", ["speaker"]),
    ("Q Back", "SENIOR ADMINISTRATION OFFICIAL: Back", ["speaker"]),
    ("to you, Josh.", "to you, [senior administration official].", ["speaker"]),
    (" (Inaudible.)", "", ["inaudible", "deletion"]),
    ("(Inaudible.)", "Will you go to Kyiv?", ["inaudible"]),
    ("We stand with Eritrean forces today.", "We stand with Eritrean forces today. And tomorrow.",
     ["insertion"]),
    ("\n\n(Laughter.)", "", ["deletion"]),
])
def test_edit_classes(old, new, classes):
    change = body_change(old, new)
    assert set(change.classes) == set(classes), change.edits
    assert change.alerting == ("case" not in classes)


def test_reflowed_paragraphs_are_cosmetic():
    change = body_change("Good morning. We stand", "Good morning.\n\nWe stand")
    assert change.classes == ["cosmetic"] and not change.alerting


def test_revert_to_an_earlier_version_is_named():
    original = fields(body_text=TRANSCRIPT)
    edited = fields(body_text=TRANSCRIPT.replace("forces", "refugees"))
    change = detect.compare(edited, original, earlier={normalize.content_hash(original): 7})
    assert change.kind == "reverted" and change.reverted_to == 7 and change.alerting


def test_move_and_silent_flag():
    before = fields(canonical_url="https://www.state.gov/visas-restrictions/", modified_time="t1")
    after = fields(canonical_url="https://www.state.gov/visa-restrictions/", modified_time="t1")
    change = detect.compare(before, after)
    assert change.kind == "moved" and change.changed_fields == ["url"] and not change.silent
    tracking = fields(canonical_url="https://www.state.gov/visas-restrictions/?utm_source=x")
    assert detect.compare(fields(canonical_url="https://www.state.gov/visas-restrictions/"), tracking) is None
    assert body_change("forces", "refugees", modified_time="t1").silent
    bumped = detect.compare(fields(body_text=TRANSCRIPT, modified_time="t1"),
                            fields(body_text=TRANSCRIPT.replace("forces", "refugees"), modified_time="t2"))
    assert not bumped.silent


def test_links_and_media_channels():
    change = detect.compare(fields(links=["https://a/"]), fields(links=["https://a/", "https://b/"]))
    assert change.classes == ["links"] and not change.alerting
    change = detect.compare(fields(media=["https://video/1"]), fields(media=["https://video/2"]))
    assert change.classes == ["media"] and change.alerting


def test_turns_split_on_labels():
    turns = transcript.split_turns(TRANSCRIPT)
    assert [(t.seq, t.speaker, t.first_para, t.last_para) for t in turns] == [
        (1, None, 1, 1), (2, "SECRETARY BLINKEN", 2, 3), (3, "QUESTION", 4, 4),
        (4, "SECRETARY BLINKEN", 5, 5), (5, "MS. JEAN-PIERRE", 6, 6), (6, "Q", 7, 7)]
    assert turns[1].text.endswith("(Laughter.)")
    assert transcript.label_of("Thanks: a lot") is None and transcript.label_of("U.S. policy: x") is None


@pytest.mark.parametrize("punctuated", [True, False])
def test_long_paragraph_is_still_diffed_word_by_word(punctuated):
    """Past SENTENCE_ALIGN_WORDS a block is aligned by sentence (or content-defined chunk) first."""
    import random
    rng = random.Random(5)
    vocab = "we will work with partners on security and access for people in the region today".split()
    words = [rng.choice(vocab) + ("." if punctuated and i % 13 == 12 else "") for i in range(6000)]
    edited = list(words)
    edited[1000] = "refugees"
    edited.insert(3000, "[not]")
    del edited[5000]
    change = detect.compare(fields(body_text=" ".join(words)), fields(body_text=" ".join(edited)))
    ops = [(e.op, e.new if e.op != "delete" else e.old) for e in change.edits]
    assert ops == [("replace", "refugees"), ("insert", "[not]"), ("delete", words[4999])]
    assert set(change.classes) == {"wording", "insertion", "correction", "deletion"}


def test_rendering_neutralises_terminal_escapes_in_page_text():
    from remarkwatch.cli import render
    change = {"id": 1, "kind": "edited", "detected_at": "t", "source": "s", "url": "u",
              "title": "Remarks\x1b]0;pwned\x07\x1b[2J", "significance": 70, "classes": ["wording"],
              "changed_fields": ["body"], "summary": "x", "field_diffs": {}, "silent": False,
              "edits": [{"field": "body", "op": "replace", "old": "a\x1b[31m", "new": "b", "classes": ["wording"],
                         "para": 1, "turn": None, "speaker": None}], "diff": "-a\x1b[31m\n+b"}
    for text in (render.change_line(change), render.full_change(change, color=False)):
        assert "\x1b" not in text and "\x07" not in text
    assert "\\x1b]0;pwned\\x07" in render.change_line(change)
