"""crawler/markupcost.py: markup that would cost the HTML5 parser minutes is refused up front."""
from __future__ import annotations

import pytest

from remarkwatch.crawler import markupcost
from remarkwatch.crawler.extract import extract_article, extract_listing
from remarkwatch.crawler.items import EXTRACT_ERROR
from remarkwatch.crawler.profiles import get_profile
from tests.conftest import FIXTURES

PAGES = sorted((FIXTURES / "pages").glob("*.html"))


@pytest.mark.parametrize("markup, refused", [
    ("<div>" * 100_000, True),                                           # 23 s in lexbor before the check
    ("<div>" * 10_000 + "<div>x</div>" * 100_000, True),                 # shallow tags deep down: 4.6 s
    (("<x>" + "<div>" * 50 + "</x>") * 2_000, True),                     # </x> cannot close past a <div>
    ("<section>" * 30_000 + "<p>deep</p>" + "</section>" * 30_000, True),
    ("<span>" * 200_000, False),                                         # no stack walk at a <span>
    ("<ul>" + "<li>item" * 50_000 + "</ul>", False),                     # each <li> closes the last
    ("<p>para" * 50_000, False),
    ("<div><p>x</p></div>" * 30_000, False),
    ("<script>" + "<div>" * 100_000 + "</script><p>after</p>" * 20_000, False),   # script text is no markup
])
def test_costly_markup_is_refused_and_wide_markup_is_not(markup, refused):
    assert (markupcost.parse_steps(markup) > markupcost.MAX_STEPS) is refused


@pytest.mark.parametrize("page", PAGES, ids=[p.stem for p in PAGES])
def test_saved_pages_cost_a_fraction_of_the_limit(page, monkeypatch):
    monkeypatch.setattr(markupcost, "CHEAP_TAGS", 0)            # measure them though they are small
    assert markupcost.parse_steps(page.read_text(encoding="utf-8")) < markupcost.MAX_STEPS / 1000


def test_a_page_nested_too_deep_is_an_extraction_error_and_a_listing_says_why():
    hostile = "<html><head><title>T</title></head><body>" + "<div>" * 100_000 + "x</body></html>"
    result = extract_article(hostile, "https://www.state.gov/x/", get_profile("state.gov"))
    assert result.outcome == EXTRACT_ERROR and "nested too deep to parse" in result.problem
    with pytest.raises(markupcost.MarkupTooCostly, match="a browser keeps 512 levels"):
        extract_listing(hostile, "https://www.state.gov/press-releases/", get_profile("state.gov"))
