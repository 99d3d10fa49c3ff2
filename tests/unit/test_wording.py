"""monitor/core/wording.py: times, field names and edits in a reader's words; an edit in its sentence."""
from __future__ import annotations

import pytest

from remarkwatch.core import wording
from remarkwatch.core.sides import rows_json, side_by_side


@pytest.mark.parametrize("value, shown", [
    ("2026-12-02T02:56:10+00:00", "2 Dec 2026, 02:56 UTC"),
    ("2026-09-18T15:04:00-04:00", "18 Sep 2026, 19:04 UTC"),       # another offset, shown in UTC
    ("2026-09-18T15:04:00Z", "18 Sep 2026, 15:04 UTC"),
    ("2026-09-18T15:04:00", "18 Sep 2026, 15:04 UTC"),             # stored without offset: UTC
    ("2026-09-18", "18 Sep 2026"),                                 # a date alone has no time
    ("September 18, 2026", "September 18, 2026"),                  # not ISO: as it is
    (None, ""),
])
def test_human_time(value, shown):
    assert wording.human_time(value) == shown


@pytest.mark.parametrize("edit, described", [
    ({"field": "modified_time", "op": "replace", "old": "2026-09-18T15:04:00+00:00", "new": "2026-09-19T09:00:00+00:00"},
     "Modified time: 18 Sep 2026, 15:04 UTC → 19 Sep 2026, 09:00 UTC"),
    ({"field": "body", "op": "replace", "old": "forces", "new": "refugees", "turn": 1, "speaker": "MR PRICE"},
     "turn 1, MR PRICE: “forces” → “refugees”"),
    ({"field": "body", "op": "insert", "old": "", "new": "and all refugees", "para": 4}, "para 4: added “and all refugees”"),
    ({"field": "doc_type", "op": "delete", "old": "Press Briefing", "new": ""}, "Document type: removed “Press Briefing”"),
    ({"field": "body", "op": "reflow"}, "text: paragraphs re-split"),
])
def test_an_edit_in_words(edit, described):
    assert wording.describe(edit) == described


def test_summary_most_significant_first_and_stored_summary_times_in_words():
    edits = [{"field": "modified_time", "op": "replace", "old": "2026-09-18T15:04:00+00:00", "new": "2026-09-19",
              "significance": 5},
             {"field": "title", "op": "replace", "old": "Briefing", "new": "Press Briefing", "significance": 60}]
    assert wording.summary(edits) == "Title: “Briefing” → “Press Briefing”; Modified time: 18 Sep 2026, 15:04 UTC → 19 Sep 2026"
    assert wording.summary([], "gone since 2026-11-27T12:00:06+00:00") == "gone since 27 Nov 2026, 12:00 UTC"


LONG = ("We said so before. We call on all armed actors to stop attacks against Eritrean forces and all "
        "refugees, wherever they are, at once. Thank you.")


@pytest.mark.parametrize("inline, shown", [
    # Back to the sentence's start and on to its end, the neighbouring sentences left out.
    ([("We said so before. We call on Eritrean", "same"), ("forces", "del"), ("refugees", "ins"),
      ("to leave. Thank you.", "same")],
     "We call on Eritrean [-forces-] {+refugees+} to leave."),
    # At most eight words either side, "…" where cut.
    ([("MR PRICE: We call on all armed actors to stop attacks against Eritrean", "same"), ("forces", "del"),
      ("refugees", "ins"), ("and all refugees, wherever they are, at once and for good now.", "same")],
     "… all armed actors to stop attacks against Eritrean [-forces-] {+refugees+} and all refugees, wherever "
     "they are, at once …"),
    # "Mr." and initials do not end a sentence.
    ([("Thanks. Mr. Price told the U.S. side that", "same"), ("136", "del"), ("13.6", "ins"), ("left.", "same")],
     "Mr. Price told the U.S. side that [-136-] {+13.6+} left."),
    # Between two edits, eight words from each.
    ([("A", "same"), ("b", "del"), (" ".join(f"w{i}" for i in range(20)), "same"), ("c", "ins")],
     "A [-b-] w0 w1 w2 w3 w4 w5 w6 w7 … w12 w13 w14 w15 w16 w17 w18 w19 {+c+}"),
])
def test_an_edit_in_its_sentence(inline, shown):
    assert wording.pieces_text(wording.excerpt(inline)) == shown


def test_first_edit_of_stored_sides_without_the_turns_own_label():
    old = "MR PRICE: Good afternoon.\n\n" + LONG + "\n\nQUESTION: One.\n\nMR PRICE: Two.\n\nQUESTION: Thanks."
    new = (("MR PRICE: Good afternoon.\n\n" + LONG + "\n\nQUESTION: One.\n\nMR PRICE: Two.\n\nQUESTION: Thanks, Ned.")
           .replace("Eritrean forces", "Eritrean refugees"))
    edits = [{"field": "body", "op": "replace", "old": "forces", "new": "refugees", "para": 2, "turn": 1,
              "speaker": "MR PRICE"}]
    first = wording.first_edit(rows_json(side_by_side(old, new)), edits)
    assert (first["speaker"], first["turn"], first["para"], first["more"]) == ("MR PRICE", 1, 2, 1)
    assert wording.pieces_text(first["pieces"]) == ("… all armed actors to stop attacks against Eritrean [-forces-] "
                                                    "{+refugees+} and all refugees, wherever they are, at once.")
    labelled = wording.first_edit(rows_json(side_by_side("MR PRICE: It is 136.", "MR PRICE: It is 13.6.")), [])
    assert labelled["pieces"][0] == ("It is", "same")       # "MR PRICE:" is shown beside it, not twice
    assert wording.first_edit(None, edits) is None


@pytest.mark.parametrize("change, sentence, in_words", [
    ({"kind": "edited", "edits": [{"field": "title", "op": "replace", "old": "A", "new": "B", "significance": 60}]},
     False, "Title: “A” → “B”"),
    ({"kind": "removed", "edits": [], "summary": "removed: HTTP 404"}, False, "removed: HTTP 404"),
])
def test_for_list_without_a_body_edit_says_the_edits_in_words(change, sentence, in_words):
    shown = wording.for_list(change)
    assert (shown["sentence"] is not None, shown["in_words"]) == (sentence, in_words)


@pytest.mark.parametrize("has, said", [
    ([True], "in its only version"),
    ([True, True], "in both versions"),
    ([True, True, True, True], "in all 4 versions"),
    ([True, True, True, False], "in versions 1–3, removed in version 4"),
    ([False, True, True], "in versions 2–3"),
    ([True, False, True, True], "in versions 1 and 3–4"),
    ([False, True, False, False], "in version 2, removed in version 3"),
    ([False, False], "in none of its versions"),
])
def test_which_versions_hold_a_passage(has, said):
    assert wording.presence([{"seq": n, "has": h} for n, h in enumerate(has, 1)]) == said


@pytest.mark.parametrize("versions, said", [
    ([{"has": True, "origin": "wayback"}, {"has": True, "origin": "live"}], ["live site", "web archive"]),
    ([{"has": True, "origin": "wayback"}, {"has": False, "origin": "live"}], ["web archive"]),
    ([{"has": True, "origin": None}], ["live site"]),
])
def test_where_the_matching_versions_were_read(versions, said):
    assert wording.origins(versions) == said
