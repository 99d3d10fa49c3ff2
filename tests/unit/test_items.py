"""crawler/items.py: the fields of a page and a capture of one fetch."""
from __future__ import annotations

from dataclasses import asdict, fields

import pytest

from remarkwatch.crawler import items
from remarkwatch.crawler.items import Capture, Extracted


def test_outcomes_are_distinct_and_only_ok_is_a_page():
    assert len(set(items.OUTCOMES)) == len(items.OUTCOMES) == 17
    assert items.OK == "ok" and items.FALLBACK_PREFIX == "fallback:" and items.UNPLAYABLE in items.OUTCOMES


@pytest.mark.parametrize("extractor, family", [
    ("state.gov/2", "profile"), ("fallback:state.gov/2", "fallback"), (None, "profile"), ("", "profile"),
])
def test_extractor_family(extractor, family):
    assert items.extractor_family(extractor) == family


def test_as_dict_matches_asdict_and_copies_lists():
    extracted = Extracted(title="T", speakers=["A", "B"], tags=["x"], body_text="b", links=["/l"])
    as_dict = extracted.as_dict()
    assert as_dict == asdict(extracted)
    assert list(as_dict) == [f.name for f in fields(Extracted)]
    as_dict["speakers"].append("C")
    assert extracted.speakers == ["A", "B"]              # a copy, not the field itself


def test_defaults_are_not_shared_between_instances():
    one, two = Extracted(), Extracted()
    one.links.append("/a")
    assert two.links == [] and (one.body_text, one.body_html) == ("", "")
    capture = Capture(source="s", url="u", final_url="u", status=200, fetched_at="t", outcome=items.OK)
    assert (capture.origin, capture.body, capture.redirect_urls, capture.fields) == ("live", b"", [], None)
