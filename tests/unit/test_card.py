"""publish/: a change's share card: the edit cut to its sentence, the alt text, and the PNG itself
compared with a golden image (tests/fixtures/cards/). The golden image is regenerated, after a
deliberate change to the card's look, with
`UPDATE_GOLDEN=1 .venv/bin/python -m pytest -p no:cacheprovider tests/unit/test_card.py`
(then look at the new PNG before committing it)."""
from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageDraw

from remarkwatch.core.sides import side_by_side
from remarkwatch.publish import card as drawing
from remarkwatch.publish.edit import alt_text, card_edit, human_date, permalink, sentence

GOLDEN = Path(__file__).resolve().parents[1] / "fixtures" / "cards"
BODY = ("MR PRICE: Good afternoon. We call on all armed actors in Tigray to stop attacks against Eritrean forces "
        "and all refugees. We will have more to say.\n\nQUESTION: Thanks, Ned. How many were displaced?")
EDITED = BODY.replace("Eritrean forces", "Eritrean refugees")
CHANGE = {"id": 36, "kind": "edited", "title": "Department Press Briefing – July 27, 2021 (“Tigray”, Addis Ababa)",
          "source": "state-press-briefings", "detected_at": "2026-12-02T02:56:11+00:00", "silent": True,
          "url": "https://www.state.gov/briefing/",
          "edits": [{"field": "body", "op": "replace", "old": "forces", "new": "refugees", "turn": 1,
                     "speaker": "MR PRICE", "para": 1}]}
LINK = "https://archive.example.org/-/change/36"


def the_card(change=CHANGE, old=BODY, new=EDITED):
    return card_edit(change, side_by_side(old, new), LINK)


@pytest.mark.parametrize("inline, expected", [
    # the sentence around the edit, not the paragraph
    ([("One. We call on Eritrean", "same"), ("forces", "del"), ("refugees", "ins"), ("to leave. Two.", "same")],
     [("We call on Eritrean", "same"), ("forces", "del"), ("refugees", "ins"), ("to leave.", "same")]),
    # an edit at the start and one at the end: both, with what lies between
    ([("Hello", "del"), ("there. Then", "same"), ("more", "ins")],
     [("Hello", "del"), ("there. Then", "same"), ("more", "ins")]),
    # a question and a closing quote end a sentence too
    ([("Why? “Because.” He said", "same"), ("no", "del")], [("He said", "same"), ("no", "del")]),
    # an endless sentence is cut with an ellipsis on each side
    ([("word " * 60, "same"), ("x", "ins"), ("word " * 60, "same")],
     [("… " + ("word " * 27).strip(), "same"), ("x", "ins"), (("word " * 28).strip() + " …", "same")]),
    ([("nothing changed", "same")], []),
])
def test_the_edit_is_cut_to_its_sentence(inline, expected):
    assert sentence(inline) == expected


def test_the_card_names_the_speaker_and_drops_the_label_from_the_sentence():
    card = the_card()
    assert (card.speaker, card.where, card.date) == ("MR PRICE", "turn 1, MR PRICE", "2 Dec 2026, 02:56 UTC")
    assert card.segments == [("We call on all armed actors in Tigray to stop attacks against Eritrean", "same"),
                             ("forces", "del"), ("refugees", "ins"), ("and all refugees.", "same")]


@pytest.mark.parametrize("edit, where, segments", [
    ({"field": "title", "op": "replace", "old": "Remarks", "new": "Remarks to the Press"}, "title",
     [("Remarks", "del"), ("Remarks to the Press", "ins")]),
    # no stored rows (test-alert's sample): the located edit stands for the sentence
    ({"field": "body", "op": "delete", "old": "Eritrean forces", "new": "", "turn": 2, "speaker": "MS PORTER"},
     "turn 2, MS PORTER", [("Eritrean forces", "del")]),
])
def test_without_rows_the_card_shows_the_located_edit(edit, where, segments):
    card = card_edit({**CHANGE, "silent": False, "edits": [edit]}, [], LINK)
    assert (card.where, card.segments) == (where, segments)


@pytest.mark.parametrize("said", [
    "Silent edit to “Department Press Briefing – July 27, 2021 (“Tigray”, Addis Ababa)”, state-press-briefings, "
    "detected 2 Dec 2026, 02:56 UTC.",
    "The page's own modified time did not change.",
    "turn 1, MR PRICE, now reads: “We call on all armed actors in Tigray to stop attacks against Eritrean refugees "
    "and all refugees.”",
    "Before: “We call on all armed actors in Tigray to stop attacks against Eritrean forces and all refugees.”",
    "Removed (struck through on the card): “forces”.",
    "Added (highlighted on the card): “refugees”.",
    f"Permalink: {LINK}",
])
def test_the_alt_text_says_what_the_card_shows(said):
    assert said in alt_text(the_card())


def test_a_loud_edit_is_not_called_silent():
    text = alt_text(card_edit({**CHANGE, "silent": False}, side_by_side(BODY, EDITED), LINK))
    assert text.startswith("Edit to ") and "modified time" not in text


@pytest.mark.parametrize("public_url, expected", [
    ("https://archive.example.org/", LINK),
    (None, "https://www.state.gov/briefing/"),
])
def test_the_permalink_is_the_change_page_where_the_archive_is_served(public_url, expected):
    assert permalink(CHANGE, public_url) == expected


@pytest.mark.parametrize("iso, shown", [
    ("2026-12-02T02:56:11+00:00", "2 Dec 2026, 02:56 UTC"),
    ("2021-07-27T15:04:00Z", "27 Jul 2021, 15:04 UTC"),
    ("yesterday", "yesterday"),
    (None, ""),
])
def test_human_date(iso, shown):
    assert human_date(iso) == shown


def _pixels(png: bytes) -> Image.Image:
    return Image.open(io.BytesIO(png)).convert("RGB")


def test_the_card_matches_the_golden_image():
    png = drawing.render(the_card())
    golden = GOLDEN / "silent-edit.png"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_bytes(png)
    image, expected = _pixels(png), _pixels(golden.read_bytes())
    assert image.size == expected.size == (1200, 675)
    # A tight tolerance rather than equality of bytes: PNG compression may differ between zlib
    # builds; a FreeType update may move a few anti-aliased edge pixels, never a word.
    changed = sum(ImageChops.difference(image, expected).convert("L").histogram()[41:])
    assert changed <= 0.001 * 1200 * 675, f"{changed} pixels differ from {golden}"


def test_rendering_is_deterministic_and_survives_hostile_text():
    hostile = {**CHANGE, "title": "Remarks\x1b[31m\u202egnp.exe\x00 " + "long " * 80 + "x" * 100_000,
               "source": "s" * 300}
    card = card_edit(hostile, side_by_side(BODY, EDITED.replace("refugees", "refugees " + "x" * 5_000)), LINK)
    first, second = drawing.render(card), drawing.render(card)
    assert first == second and _pixels(first).size == (1200, 675)


@pytest.mark.parametrize("text", ["é", "ü", "ç", "ñ", "ø", "ł", "ő", "’", "“", "”", "–", "—", "…", "€"])
def test_the_bundled_font_has_the_glyphs_a_release_uses(text):
    def drawn(char: str) -> bytes:
        image = Image.new("L", (60, 60))
        ImageDraw.Draw(image).text((5, 5), char, font=drawing.font(36), fill=255)
        return image.tobytes()
    assert drawn(text) != drawn("\ue000")            # a private-use code point: the font's "missing" box
