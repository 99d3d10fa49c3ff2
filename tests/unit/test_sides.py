"""monitor/core/sides.py: changed paragraphs side by side, word marks, context and the stored form."""
from __future__ import annotations

from remarkwatch.core import sides

OLD = "MR PRICE: Good afternoon.\n\nEritrean forces must leave Tigray.\n\nQUESTION: Thanks.\n\nMR PRICE: Sure."
NEW = "MR PRICE: Good afternoon.\n\nEritrean refugees must leave Tigray.\n\nQUESTION: Thanks.\n\nMR PRICE: Sure."


def test_a_word_edit_is_one_changed_row_with_a_paragraph_of_context_each_side():
    rows = sides.side_by_side(OLD, NEW)
    assert [(r.old_para, r.new_para, r.changed) for r in rows] == [(1, 1, False), (2, 2, True), (3, 3, False)]
    changed = rows[1]
    assert changed.speaker == "MR PRICE"            # the paragraph belongs to the first turn
    assert changed.old == [("Eritrean", "same"), ("forces", "del"), ("must leave Tigray.", "same")]
    assert changed.new == [("Eritrean", "same"), ("refugees", "ins"), ("must leave Tigray.", "same")]
    assert changed.inline == [("Eritrean", "same"), ("forces", "del"), ("refugees", "ins"),
                              ("must leave Tigray.", "same")]
    assert rows[2].speaker == "QUESTION" and rows[2].old == [("QUESTION: Thanks.", "same")]


def test_context_zero_shows_only_changes_and_equal_bodies_nothing():
    assert [r.changed for r in sides.side_by_side(OLD, NEW, context=0)] == [True]
    assert sides.side_by_side(OLD, OLD) == []


def test_inserted_and_deleted_paragraphs_have_one_side_only():
    added = sides.side_by_side("One.\n\nTwo.", "One.\n\nTwo.\n\nThree.")
    inserted = [r for r in added if r.changed]
    assert [(r.old_para, r.new_para, r.old, r.new) for r in inserted] == [(None, 3, [], [("Three.", "ins")])]
    removed = [r for r in sides.side_by_side("One.\n\nTwo.\n\nThree.", "One.\n\nThree.") if r.changed]
    assert [(r.old_para, r.new_para, r.speaker, r.old, r.new) for r in removed] == [
        (2, None, None, [("Two.", "del")], [])]


def test_normalised_differences_are_not_marked():
    rows = sides.side_by_side("It\u2019s  here.\n\nNext.", "It's here.\n\nNext, changed.")
    changed = [r for r in rows if r.changed]
    assert len(changed) == 1 and changed[0].old_para == 2


def test_a_change_too_large_to_align_is_one_clipped_row():
    old = "\n".join(f"old paragraph {i} " + "x" * 10 for i in range(1_600))
    new = "\n".join(f"new paragraph {i} " + "y" * 10 for i in range(1_600))
    rows = sides.side_by_side(old, new)
    assert len(rows) == 1 and rows[0].changed and rows[0].speaker is None
    (text, mark), = rows[0].old
    assert mark == "del" and text.endswith("too large a change to align word by word]")
    assert len(text) < sides.COARSE_SHOWN + 120


def test_rows_round_trip_through_their_stored_json():
    rows = sides.side_by_side(OLD, NEW)
    assert sides.rows_from_json(sides.rows_json(rows)) == rows
