"""publish/post.py: the words of a post about one alert, fitted to a service's limit (Mastodon
500 with links counted as 23, Bluesky 300 graphemes, Apprise plugins' own)."""
from __future__ import annotations

import re

import pytest

from remarkwatch.alerts.sample import sample_change
from remarkwatch.publish.post import BLUESKY_GRAPHEMES, MASTODON_CHARS, MASTODON_URL_CHARS, post_text

LONG = {**sample_change(), "title": "Remarks to the Press on “Tigray” – é " * 30,
        "url": "https://www.state.gov/" + "slug-" * 30,
        "edits": [{"field": "body", "op": "replace", "old": "forces " * 80, "new": "refugees " * 80,
                   "turn": 3, "speaker": "SECRETARY BLINKEN"}]}


@pytest.mark.parametrize("item, limit, url_chars", [
    (sample_change(), MASTODON_CHARS, MASTODON_URL_CHARS),
    (LONG, MASTODON_CHARS, MASTODON_URL_CHARS),
    (LONG, BLUESKY_GRAPHEMES, None),
    (LONG, 280, None),                   # Apprise's Bluesky plugin
    ({**LONG, "change_url": "https://archive.example.org/-/change/7"}, 280, None),
])
def test_the_post_fits_and_keeps_its_link_whole(item, limit, url_chars):
    text = post_text(item, limit, url_chars)
    link = item.get("change_url") or item["url"]
    counted = re.sub(r"https?://\S+", "x" * url_chars, text) if url_chars else text
    assert len(counted) <= limit and text.endswith("\n" + link)
    assert text.startswith("Silent edit: “")


def test_a_link_longer_than_the_limit_is_posted_alone():
    item = {**sample_change(), "url": "https://www.state.gov/" + "x" * 400}
    assert post_text(item, 300) == item["url"]
    assert post_text(item, 500, 23).endswith(item["url"]) and post_text(item, 500, 23).startswith("Silent edit")


@pytest.mark.parametrize("edit, line", [
    ({"field": "body", "op": "replace", "old": "forces", "new": "refugees", "turn": 1, "speaker": "MR PRICE"},
     "turn 1, MR PRICE: “forces” → “refugees”"),
    ({"field": "body", "op": "delete", "old": "Eritrean", "new": "", "para": 4}, "para 4: removed “Eritrean”"),
    ({"field": "title", "op": "replace", "old": "Remarks", "new": "Remarks to the Press"},
     "Title: “Remarks” → “Remarks to the Press”"),
    ({"field": "modified_time", "op": "replace", "old": "2026-09-18T15:04:00+00:00", "new": "2026-09-19T09:00:00Z"},
     "Modified time: 18 Sep 2026, 15:04 UTC → 19 Sep 2026, 09:00 UTC"),
    ({"field": "body", "op": "cosmetic", "old": "a", "new": "a"}, "turn 2, MS PORTER: 'forces' -> 'refugees'"),
])
def test_the_post_says_where_the_edit_is_and_what_it_was(edit, line):
    text = post_text({**sample_change(), "edits": [edit]}, 500)
    assert text.splitlines()[1] == line     # a cosmetic edit: the change's summary instead
