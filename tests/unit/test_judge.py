"""crawler/judge.py: what one answer to an article URL is (ok, gone, blocked ...), never a guess."""
from __future__ import annotations

import pytest

from remarkwatch.crawler import items
from remarkwatch.crawler.judge import is_landing, judge
from remarkwatch.crawler.items import Capture
from remarkwatch.crawler.profiles import get_profile
from tests.conftest import FIXTURES

STATE = get_profile("state.gov")
GENERIC = get_profile("generic")
URL = "https://www.state.gov/department-press-briefing-july-27-2021/"
BRIEFING = (FIXTURES / "pages" / "state-2019-press-briefing.html").read_text(encoding="utf-8")
DECOY = (FIXTURES / "pages" / "decoy-technical-difficulties.html").read_text(encoding="utf-8")


def answer(status=200, content_type="text/html; charset=utf-8", final_url=URL) -> Capture:
    return Capture(source="s", url=URL, final_url=final_url, status=status, fetched_at="t", outcome="",
                   content_type=content_type, extractor="selectors")


def never_read() -> str:
    raise AssertionError("the body of an answer judged by its status or type is never decoded")


@pytest.mark.parametrize("status, outcome, error", [
    (404, items.GONE, "HTTP 404"),
    (410, items.GONE, "HTTP 410"),
    (401, items.BLOCKED, "HTTP 401 (refused by the server or its edge)"),
    (403, items.BLOCKED, "HTTP 403 (refused by the server or its edge)"),
    (429, items.BLOCKED, "HTTP 429 (refused by the server or its edge)"),
    (500, items.HTTP_ERROR, "HTTP 500"),
    (503, items.HTTP_ERROR, "HTTP 503"),
    (304, items.HTTP_ERROR, "HTTP 304"),
    (None, items.HTTP_ERROR, "HTTP 0"),
])
def test_status_decides_before_the_page_is_read(status, outcome, error):
    judged = judge(answer(status), text=never_read, profile=STATE, fallback=GENERIC)
    assert (judged.outcome, judged.error, judged.fields) == (outcome, error, None)


def test_a_redirect_to_a_landing_page_is_a_soft_404():
    judged = judge(answer(final_url="https://www.state.gov/"), text=never_read, profile=STATE, fallback=None,
                   is_landing=True)
    assert (judged.outcome, judged.error) == (items.GONE, "redirected to https://www.state.gov/ (soft 404)")


@pytest.mark.parametrize("content_type, accepts_json, outcome", [
    ("application/pdf", False, items.NOT_HTML),
    ("application/json", False, items.NOT_HTML),
    ("image/png", True, items.NOT_HTML),
])
def test_content_type_that_is_not_a_page(content_type, accepts_json, outcome):
    judged = judge(answer(content_type=content_type), text=never_read, profile=STATE, fallback=None,
                   accepts_json=accepts_json)
    assert judged.outcome == outcome and judged.error == f"content type {content_type!r}"


def test_a_page_is_extracted_by_its_profile():
    judged = judge(answer(), text=lambda: BRIEFING, profile=STATE, fallback=GENERIC)
    assert judged.outcome == items.OK and judged.error is None and judged.missed is None
    assert judged.fields.post_id == "262710" and judged.extractor == "selectors"
    # No content type at all is read as HTML.
    assert judge(answer(content_type=None), text=lambda: BRIEFING, profile=STATE, fallback=None).outcome == items.OK


def test_a_decoy_page_is_blocked_not_a_version():
    judged = judge(answer(), text=lambda: DECOY, profile=STATE, fallback=GENERIC)
    assert (judged.outcome, judged.fields) == (items.BLOCKED, None)
    assert judged.error == "block page ('Technical Difficulties')"


def test_the_generic_extractor_stands_in_when_the_profile_misses_the_page():
    moved = BRIEFING.replace("entry-content", "post-content")        # a redesign the profile has not seen
    alone = judge(answer(), text=lambda: moved, profile=STATE, fallback=None)
    assert alone.outcome == items.NO_BODY
    rescued = judge(answer(), text=lambda: moved, profile=STATE, fallback=GENERIC)
    assert rescued.outcome == items.OK and rescued.extractor == f"{items.FALLBACK_PREFIX}selectors"
    assert rescued.missed == alone.error and alone.error.startswith("no element matches body selectors [")
    assert rescued.error == f"the profile missed this page ({alone.error}); read by the generic extractor"
    assert "Eritrean forces" in rescued.fields.body_text


@pytest.mark.parametrize("url, landing", [
    ("https://www.state.gov/", True),
    ("https://www.state.gov", True),
    ("https://www.state.gov/press-releases/", True),
    ("https://www.state.gov/press-releases/page/3/", True),
    ("https://www.state.gov/press-releases-archive/", False),
    ("https://www.state.gov/department-press-briefing-july-27-2021/", False),
])
def test_is_landing(url, landing):
    assert is_landing(url, ["https://www.state.gov/press-releases/"]) is landing
