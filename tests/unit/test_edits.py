"""core/edits.py: what kind of edit one word-level difference is (the class table's rules)."""
from __future__ import annotations

import pytest

from remarkwatch.core.edits import classify, page_url


@pytest.mark.parametrize("op, old, new, classes", [
    ("replace", "Eritrean forces", "Eritrean refugees", ["wording"]),
    ("replace", "136 million", "3.6 million", ["number"]),
    ("replace", "one hundred", "two hundred", ["number"]),
    ("replace", "however, we", "however we", ["punctuation"]),
    ("replace", "The Secretary", "the Secretary", ["case"]),
    ("replace", "~~136~~ [3.6] million", "136 million", ["correction", "number"]),
    ("replace", "(inaudible) said", "Ambassador said", ["inaudible"]),
    ("insert", "", "We stand with them.", ["insertion"]),
    ("delete", "I don't think so.", "", ["deletion"]),
    # an anonymised speaker named: a speaker edit, not a bracketed correction
    ("replace", "[Senior State Department Official] said", "Mr. Smith said", ["speaker"]),
])
def test_classify(op, old, new, classes):
    assert classify(op, old.split(), new.split()) == classes


@pytest.mark.parametrize("url, same_as", [
    ("https://www.state.gov/briefing/?utm_source=x", "https://www.state.gov/briefing/"),
    ("https://www.state.gov/briefing/?ver=3&p=1", "https://www.state.gov/briefing/?p=1"),
])
def test_page_url_drops_tracking_parameters(url, same_as):
    assert page_url({"url": url}) == page_url({"url": same_as})
