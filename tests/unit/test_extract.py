"""Extraction: golden tests over saved pages, the seed transcript, and the real state.gov feeds."""
from __future__ import annotations

import json
import os
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from remarkwatch.crawler.extract import extract_article, extract_feed_item, extract_listing, parse_date
from remarkwatch.crawler.items import BLOCKED, EMPTY_BODY, NO_BODY, OK
from remarkwatch.crawler.profiles import get_profile
from remarkwatch.demo.replica.content import Release
from remarkwatch.demo.replica.site import article_2019, listing_page
from tests.conftest import FIXTURES, REAL, shared_file

PAGES = sorted((FIXTURES / "pages").glob("*.html"))
PROFILE = get_profile("state.gov")
NS = {"content": "http://purl.org/rss/1.0/modules/content/", "dc": "http://purl.org/dc/elements/1.1/"}


# Saved pages of other sites, by file-name prefix: (profile, the URL they are read as).
OTHER_SITES = {"wh-2017-2021-": ("whitehouse.gov", "https://trumpwhitehouse.archives.gov/briefings-statements/{stem}/"),
               "wh-2009-2017-": ("whitehouse.gov", "https://obamawhitehouse.archives.gov/the-press-office/2016/06/18/{stem}"),
               "wh-": ("whitehouse.gov", "https://www.whitehouse.gov/remarks/2026/09/{stem}/"),
               "state2009-": ("state.gov-archive", "https://2009-2017.state.gov/secretary/remarks/2013/05/209065.htm"),
               "generic-": ("generic", "https://www.example.gov/speeches/harbour-forum-2026"),
               "dod-": ("defense.gov", "https://www.war.gov/News/Transcripts/Transcript/Article/4301123/x/")}


def _golden(page: Path) -> dict:
    profile, url = PROFILE, f"https://www.state.gov/{page.stem}/"
    for prefix, (name, pattern) in OTHER_SITES.items():
        if page.stem.startswith(prefix):
            profile, url = get_profile(name), pattern.format(stem=page.stem)
            break
    result = extract_article(page.read_text(encoding="utf-8"), url, profile)
    fields = result.fields.as_dict() if result.fields else None
    if fields:
        fields.pop("body_html")
    return {"url": url, "outcome": result.outcome, "problem": result.problem, "fields": fields}


@pytest.mark.parametrize("page", PAGES, ids=[p.stem for p in PAGES])
def test_golden_page(page):
    expected_path = page.with_suffix(".json")
    actual = _golden(page)
    if os.environ.get("UPDATE_GOLDEN"):
        expected_path.write_text(json.dumps(actual, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    assert actual == json.loads(expected_path.read_text(encoding="utf-8"))


def test_outcomes_of_bad_pages():
    outcomes = {p.stem: _golden(p)["outcome"] for p in PAGES}
    assert outcomes["decoy-technical-difficulties"] == BLOCKED
    assert outcomes["no-body-selector"] == NO_BODY
    assert outcomes["empty-body"] == EMPTY_BODY
    assert outcomes["malformed-correction-noise"] == OK


def test_body_keeps_transcript_and_drops_chrome():
    page = FIXTURES / "pages" / "malformed-correction-noise.html"
    fields = extract_article(page.read_text(), "https://www.state.gov/x/", PROFILE).fields
    text = fields.body_text
    assert "~~136~~ [3.6] million" in text            # strike-through kept as a marked token
    assert "(Laughter.)" in text and "(Inaudible.)" in text
    assert "UNDER SECRETARY OFFICIAL:" in text
    for chrome in ("injected", "Facebook", "Lessons of 1989", "official website", "abc123", "Teaser"):
        assert chrome not in text
    assert fields.links == ["https://www.example.org/partners"]
    assert "workforce" in text                          # <wbr> joins, never splits, a word
    assert fields.speakers == ["Jane Q. Official, Under Secretary for Economic Growth", "John Roe, Chamber President"]
    assert "<script" not in fields.body_html and "onerror" not in fields.body_html


def test_body_html_is_sanitised():
    hostile = Release(1, "x", "Hostile", "Remarks", ["A B, Secretary"], parse_date_iso("2024-01-02"), [
        "Plain paragraph.",
    ])
    page = article_2019(hostile, "https://www.state.gov").replace(
        "<p>Plain paragraph.</p>",
        '<p onclick="steal()">Plain paragraph.<img src=x onerror="alert(1)"><a href="javascript:alert(2)">link</a></p>',
    )
    fields = extract_article(page, "https://www.state.gov/x/", PROFILE).fields
    assert "onerror" not in fields.body_html and "onclick" not in fields.body_html
    assert "javascript:" not in fields.body_html
    assert fields.body_text.startswith("Plain paragraph.")


def parse_date_iso(text):
    from datetime import date
    return date.fromisoformat(text)


@pytest.mark.parametrize("text, iso", [
    ("October 8, 2021", "2021-10-08"), ("November\xa03, 2023", "2023-11-03"),
    ("Sept. 15, 2026", "2026-09-15"), ("not a date", None), ("", None),
])
def test_parse_date(text, iso):
    assert parse_date(text, PROFILE.date_formats) == iso


def test_listing_links_and_next_page():
    releases = [Release(i, f"r-{i}", f"Release {i}", "Readout", [], parse_date_iso("2024-05-01"), ["x"]) for i in range(12)]
    html = listing_page(releases, 1, 10, "https://www.state.gov")
    links, next_url = extract_listing(html, "https://www.state.gov/press-releases/", PROFILE)
    assert len(links) == 10 and links[0] == "https://www.state.gov/r-0/"
    assert next_url == "https://www.state.gov/press-releases/page/2/"
    links, next_url = extract_listing(listing_page(releases, 2, 10, "https://www.state.gov"),
                                      "https://www.state.gov/press-releases/page/2/", PROFILE)
    assert len(links) == 2 and next_url is None


def _seed_sections(seed: str) -> tuple[list[str], list[str]]:
    paras = [p.strip() for p in seed.split("\n\n") if p.strip()]
    start = next(i for i, p in enumerate(paras) if p.startswith("SECRETARY BLINKEN:"))
    end = paras.index("U.S. Department of State")
    return paras[:start], paras[start:end]


def test_seed_page_gives_transcript_without_banner_or_teaser():
    """The seed is what a naive scraper got from a real page: banner, transcript, teaser."""
    seed = shared_file("seed", "state-gov-remarks-mission-mexico-2021-10.txt").read_text(encoding="utf-8")
    banner, transcript = _seed_sections(seed)
    release = Release(265880, "secretary-antony-j-blinken-remarks-to-mission-mexico-staff",
                      "Secretary Antony J. Blinken Remarks to Mission Mexico Staff", "Remarks",
                      ["Antony J. Blinken, Secretary of State"], parse_date_iso("2021-10-08"), transcript,
                      audience="U.S. Embassy Mexico City", location="Mexico City, Mexico")
    teaser = "".join(f"<p>{p}</p>" for p in transcript[3:])   # the real teaser repeats body paragraphs
    page = article_2019(release, "https://www.state.gov", teaser=teaser)
    result = extract_article(page, "https://www.state.gov/secretary-antony-j-blinken-remarks-to-mission-mexico-staff/", PROFILE)
    assert result.outcome == OK
    got = result.fields.body_text.split("\n\n")
    def squash(s):
        return re.sub(r"\s+", " ", s.replace("\xa0", " ")).strip()
    assert [squash(p) for p in got] == [squash(p) for p in transcript]
    for line in banner:
        assert squash(line)[:40] not in squash(result.fields.body_text)
    assert "Lessons of 1989" not in result.fields.body_text
    assert result.fields.speakers == ["Antony J. Blinken, Secretary of State"]
    assert (result.fields.location, result.fields.audience) == ("Mexico City, Mexico", "U.S. Embassy Mexico City")
    assert result.fields.published == "2021-10-08" and result.fields.post_id == "265880"


def feed_items(path: Path) -> list[dict]:
    root = ET.parse(path).getroot()
    return [{
        "title": item.findtext("title"), "link": item.findtext("link"), "guid": item.findtext("guid"),
        "creator": item.findtext("dc:creator", namespaces=NS),
        "content": item.findtext("content:encoded", namespaces=NS) or "",
    } for item in root.iter("item")]


def extract_item(item: dict):
    return extract_feed_item(item["content"], url=item["link"], title=item["title"],
                             creator=item["creator"], profile=PROFILE)


STATE_FEEDS = [
    "state_gov__press_releases_rss__2021-05-23.xml", "state_gov__press_releases_rss__2022-08-03.xml",
    "state_gov__press_releases_rss__2026-09-21__excerpt_2_items.xml",
    "state_gov__rss_edit_pair_2021-07-28__before.xml", "state_gov__rss_slug_change_2022-06-13__before.xml",
]


@pytest.mark.parametrize("name", STATE_FEEDS)
def test_real_feed_bodies_extract(name):
    items = feed_items(shared_file("fixtures", "real", name))
    assert items
    for item in items:
        result = extract_item(item)
        assert result.outcome == OK, (item["title"], result.problem)
        text = result.fields.body_text
        assert len(text) > 40
        assert "<script" not in text and "jQuery" not in text and "function(" not in text
        assert not text.startswith(item["creator"].split(",")[0]), "byline leaked into the body"


def test_real_2026_block_layout_item():
    item = feed_items(shared_file("fixtures", "real", STATE_FEEDS[2]))[0]
    fields = extract_item(item).fields
    assert fields.doc_type == "Remarks" and fields.published == "2026-09-21"
    assert fields.speakers == ["Marco Rubio, Secretary of State",
                               "Antonio Tajani, Italian Deputy Prime Minister and Foreign Minister"]
    assert (fields.location, fields.audience) == ("New York City, New York", "Lotte New York Palace")
    assert fields.body_text.startswith("SECRETARY RUBIO:")
    assert "(The Memorandum is signed.)" in fields.body_text
    assert "featured-content__headline" not in fields.body_html


def test_real_listing_fixture_has_no_state_items():
    """The Obama-era White House listing is not state.gov markup: no items, no crash."""
    path = REAL / "whitehouse_gov__obama_speeches_and_remarks_listing__2015-08.html"
    if not path.exists():
        pytest.skip("../shared is absent")
    links, _ = extract_listing(path.read_text(encoding="utf-8", errors="replace"), "https://www.whitehouse.gov/", PROFILE)
    assert links == []


def test_real_white_house_feed_items_extract_with_their_turns():
    """Every item of the real 2022 briefing-room feed extracts with the whitehouse.gov profile,
    and its transcripts split into turns ("THE PRESIDENT:", a bare "Q")."""
    from remarkwatch.core.transcript import split_turns

    profile = get_profile("whitehouse.gov")
    items = feed_items(shared_file("fixtures", "real", "whitehouse_gov__briefing_room_rss__2022-07-22.xml"))
    assert len(items) >= 10
    speakers = set()
    for item in items:
        result = extract_feed_item(item["content"], url=item["link"], title=item["title"],
                                   creator=item["creator"], profile=profile)
        assert result.outcome == OK, (item["link"], result.problem)
        assert result.fields.title and result.fields.body_text.strip()
        speakers |= {t.speaker for t in split_turns(result.fields.body_text) if t.speaker}
    assert {"Q", "THE PRESIDENT"} <= speakers


def test_state_archive_index_page_lists_its_remarks():
    index = """<html><body><div id="tier3-landing-content-wide"><ul>
    <li><a href="/secretary/remarks/2013/05/209065.htm">Remarks With Foreign Minister</a> <span>05/21/13</span></li>
    <li><a href="209101.htm">Press Availability in Amman</a> <span>05/22/13</span></li></ul></div></body></html>"""
    links, next_url = extract_listing(index, "https://2009-2017.state.gov/secretary/remarks/2013/05/index.htm",
                                      get_profile("state.gov-archive"))
    assert links == ["https://2009-2017.state.gov/secretary/remarks/2013/05/209065.htm",
                     "https://2009-2017.state.gov/secretary/remarks/2013/05/209101.htm"] and next_url is None


def test_real_obama_era_listing_page():
    """The real 2015 speeches-and-remarks listing (infinite scroll expanded) with the whitehouse.gov profile."""
    page = shared_file("fixtures", "real", "whitehouse_gov__obama_speeches_and_remarks_listing__2015-08.html")
    links, _ = extract_listing(page.read_text(encoding="utf-8", errors="replace"),
                               "https://obamawhitehouse.archives.gov/briefing-room/speeches-and-remarks",
                               get_profile("whitehouse.gov"))
    assert len(links) > 1500
    assert all(link.startswith("https://obamawhitehouse.archives.gov/the-press-office/") for link in links)


def test_real_govuk_content_items():
    """The real GOV.UK speech items: fields from the JSON; the latest change note is the modified time."""
    profile = get_profile("gov.uk")
    with_updates = extract_article(shared_file("fixtures", "real", "govuk__speech_with_updates__content_api_example.json")
                                   .read_text(encoding="utf-8"), "https://www.gov.uk/api/content/x", profile)
    assert with_updates.outcome == OK
    fields = with_updates.fields
    assert fields.speakers == ["The Rt Hon Lord McNally"] and fields.published == "2012-05-22"
    assert fields.modified_time == "2012-06-13T14:33:09.000+01:00"            # the change note's time
    assert fields.post_id == "5dffd904-7631-11e4-a3cb-005056011aef" and fields.tags == ["Ministry of Justice"]
    assert fields.body_text.startswith("Thank you for inviting me here today.")
    transcript = extract_article(shared_file("fixtures", "real", "govuk__speech_transcript__content_api_example.json")
                                 .read_text(encoding="utf-8"), "https://www.gov.uk/api/content/y", profile)
    assert transcript.outcome == OK and transcript.fields.location == "Anti-Corruption Summit, Lancaster House, London"
    assert transcript.fields.audience == "Transcript of the speech, exactly as it was delivered"
    assert extract_article("<html>not json</html>", "https://www.gov.uk/api/content/z", profile).outcome == "not_html"


def test_real_white_house_edit_pair_with_its_profile():
    """The real 2021-06-12 edit, read with the whitehouse.gov profile: one wording edit, in the Q turn."""
    from remarkwatch.core import detect

    profile = get_profile("whitehouse.gov")
    guid = "https://www.whitehouse.gov/?p=20549"
    pair = []
    for name in ("whitehouse_gov__rss_edit_pair_2021-06-12__before.xml", "whitehouse_gov__rss_edit_pair_2021-06-12__after.xml"):
        item = next(i for i in feed_items(shared_file("fixtures", "real", name)) if i["guid"] == guid)
        pair.append(extract_feed_item(item["content"], url=item["link"], title=item["title"],
                                      creator=item["creator"], profile=profile).fields.as_dict())
    change = detect.compare(*pair)
    assert change.kind == "edited" and change.changed_fields == ["body"] and "wording" in change.classes
    assert change.summary.startswith("turn 11, Q:")


def test_the_generic_fallback_reads_a_redesigned_release_but_not_a_home_page():
    from remarkwatch.crawler.extract import extract_or_fallback, fallback_profile

    fallback = fallback_profile(PROFILE, get_profile("generic"))
    home = (FIXTURES / "pages" / "no-body-selector.html").read_text(encoding="utf-8")
    result, missed = extract_or_fallback(home, "https://www.state.gov/x/", PROFILE, fallback)
    assert result.outcome == NO_BODY and missed is None          # a hero line is no release
    page = (FIXTURES / "pages" / "state-2019-press-briefing.html").read_text(encoding="utf-8")
    redesigned = page.replace("entry-content", "article-body")
    result, missed = extract_or_fallback(redesigned, "https://www.state.gov/x/", PROFILE, fallback)
    assert result.outcome == OK and "no element matches body selectors" in missed
    assert result.fields.post_id == extract_article(page, "https://www.state.gov/x/", PROFILE).fields.post_id


def _video_briefing(word: str) -> str:
    """A briefing whose video sits between paragraphs as an HTML5 <embed> (a void element)."""
    body = ('<p>MR PRICE: Good afternoon.</p>\n<embed src="https://video.example/briefing.mp4" type="video/mp4">\n'
            f"<p>We condemn the attacks and intimidation against Eritrean {word}.</p>\n<p>END</p>")
    release = Release(262710, "department-press-briefing-july-27-2021", "Department Press Briefing – July 27, 2021",
                      "Department Press Briefing", ["Ned Price, Department Spokesperson"], parse_date_iso("2021-07-27"),
                      [], body_html=body)
    return article_2019(release, "https://www.state.gov")


def test_an_html5_embed_does_not_swallow_the_transcript_after_it():
    """Issue 27: libxml2 nested everything after <embed> inside it, so the text after a video was
    lost and an edit there ("forces" -> "refugees") read as unchanged."""
    url = "https://www.state.gov/briefings/department-press-briefing-july-27-2021/"
    before, after = (extract_article(_video_briefing(word), url, PROFILE) for word in ("forces", "refugees"))
    assert before.outcome == after.outcome == OK
    assert before.fields.body_text.split("\n\n") == [
        "MR PRICE: Good afternoon.", "We condemn the attacks and intimidation against Eritrean forces.", "END"]
    assert before.fields.media == ["https://video.example/briefing.mp4"]
    assert after.fields.body_text == before.fields.body_text.replace("forces", "refugees")
    assert "Eritrean refugees" in after.fields.body_html and "<embed" not in after.fields.body_html
