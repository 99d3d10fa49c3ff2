"""monitor/core/normalize.py: what counts as the same text, and the two hashes of a version."""
from __future__ import annotations

import pytest

from remarkwatch.core import normalize


@pytest.mark.parametrize("raw, folded", [
    ("Secretary\u00a0Blinken", "Secretary Blinken"),                 # NBSP
    ("a\u2009b\u202fc\u3000d", "a b c d"),                           # thin, narrow and ideographic spaces
    ("work\u200bforce", "workforce"),                                # zero-width space
    ("co\u00adoperate", "cooperate"),                                # soft hyphen
    ("\ufeffHello", "Hello"),                                        # byte-order mark
    ("\u201cquoted\u201d", '"quoted"'),
    ("it\u2019s", "it's"),
    ("1990\u20132000 \u2014 now", "1990-2000 - now"),                # en and em dashes
    ("wait\u2026", "wait..."),
    ("&amp; &#8217;", "& '"),                                        # entities decoded
    ("the U.S. and D.C.", "the US and DC"),                          # house styles of abbreviations
    ("A.B.C.D.", "ABCD"),
    ("e.g. this", "e.g. this"),                                      # lower case: not an abbreviation
    ("  many   spaces\there  ", "many spaces here"),
    ("line one\n\n  \nline two", "line one\nline two"),             # blank lines dropped
    ("e\u0301", "\u00e9"),                                           # NFC
    ("", ""),
    (None, ""),
])
def test_text_folds(raw, folded):
    assert normalize.text(raw) == folded


@pytest.mark.parametrize("a, b", [
    ("supporters", "supporter's"),
    ("U.S.", "U.K."),
    ("forces", "refugees"),
])
def test_text_keeps_real_differences(a, b):
    assert normalize.text(a) != normalize.text(b)


def test_body_folds_each_paragraph_and_drops_empty_ones():
    assert normalize.body("One\u00a0two.\n\n\n\n  \n\nThree  four.") == "One two.\n\nThree four."
    assert normalize.body(None) == normalize.body("") == ""


FIELDS = {"title": "A\u00a0title", "doc_type": "Remarks", "speakers": ["Ned\u00a0Price"], "audience": None,
          "location": "Washington,  DC", "published": "2021-07-27", "tags": ["Africa"],
          "body_text": "MR PRICE: Good\u00a0afternoon.", "body_html": "<p>MR PRICE: Good&nbsp;afternoon.</p>"}


def test_comparable_uses_extracted_names_and_folds_them():
    assert normalize.comparable(FIELDS) == {
        "title": "A title", "doc_type": "Remarks", "speakers": ["Ned Price"], "audience": "",
        "location": "Washington, DC", "published": "2021-07-27", "tags": ["Africa"],
        "body": "MR PRICE: Good afternoon."}
    # Without a parsed date, the printed one (folded) stands in.
    assert normalize.comparable({"published_text": "July\u00a027, 2021"})["published"] == "July 27, 2021"


@pytest.mark.parametrize("change, content_same, raw_same", [
    ({"body_text": "MR PRICE: Good afternoon."}, True, False),          # NBSP became a space
    ({"body_html": "<p>MR PRICE: Good afternoon.</p>"}, True, False),   # markup only
    ({"modified_time": "2021-07-28T10:00:00"}, True, False),            # not compared content
    ({"title": "Another title"}, False, False),
    ({"speakers": ["Jen Psaki"]}, False, False),
    ({}, True, True),
])
def test_content_hash_ignores_what_raw_hash_sees(change, content_same, raw_same):
    after = {**FIELDS, **change}
    assert (normalize.content_hash(after) == normalize.content_hash(FIELDS)) is content_same
    assert (normalize.raw_hash(after) == normalize.raw_hash(FIELDS)) is raw_same
    assert len(normalize.content_hash(FIELDS)) == 64
