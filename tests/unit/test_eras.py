"""Every era of each site (issue 13 part 2): real captured pages of each era extract with their
profile (never the generic fallback), eras are told by elements (not substrings), archive hosts
are recognised, and the two 2020 captures of one briefing make no change at all."""
from __future__ import annotations

from dataclasses import asdict

import pytest

from remarkwatch.crawler.extract import extract_article
from remarkwatch.crawler.items import OK
from remarkwatch.crawler.profiles import get_profile, load_profiles
from remarkwatch.core import detect
from remarkwatch.passes.check import pick_profile
from tests.conftest import FIXTURES, SHARED

PAGES = SHARED / "fixtures" / "real" / "pages"
WH = "https://www.whitehouse.gov"
# Real releases by era: (file under pages/, the URL it was captured at, the era it must be read in).
REAL_RELEASES = [
    ("whitehouse-2017-drupal/2017-10-06-readout-president-donald-j-trumps-call-president-emmanuel-macron-france.html",
     f"{WH}/the-press-office/2017/10/06/readout-president-donald-j-trumps-call-president-emmanuel-macron-france", "2009-2017"),
    ("whitehouse-obama-archive/weekly-address-tuition-free-community-college.html",
     "https://obamawhitehouse.archives.gov/the-press-office/2015/04/11/weekly-address-tuition-free-community-college", "2009-2017"),
    ("whitehouse-trump45/coronavirus-task-force-briefing-April-01-2020_before.html",
     f"{WH}/briefings-statements/remarks-president-trump-vice-president-pence-members-coronavirus-task-force-press-briefing-16/", "2017-2021"),
    ("whitehouse-trump45/coronavirus-task-force-briefing-April-01-2020_after.html",
     f"{WH}/briefings-statements/remarks-president-trump-vice-president-pence-members-coronavirus-task-force-press-briefing-16/", "2017-2021"),
]


def real(name: str) -> str:
    path = PAGES / name
    if not path.exists():
        pytest.skip(f"{path} is not available (../shared is absent)")
    return path.read_text(encoding="utf-8", errors="replace")


@pytest.mark.parametrize("name, url, era", REAL_RELEASES, ids=[r[0].split("/")[0] + ":" + r[2] for r in REAL_RELEASES])
def test_real_release_pages_extract_with_their_profile_and_era(name, url, era):
    html = real(name)
    profile = pick_profile(load_profiles(), url, None)          # archive hosts too, no --profile
    assert profile.name == "whitehouse.gov"
    from parsel import Selector
    assert profile.for_page(Selector(text=html)).era == era
    result = extract_article(html, url, profile)
    assert result.outcome == OK, result.problem
    fields = result.fields
    assert fields.title and fields.published and fields.post_id and len(fields.body_text) > 500
    assert "Share this page" not in fields.body_text and "All News" not in fields.body_text


def test_the_two_2020_captures_of_one_briefing_make_no_change():
    before, after = (extract_article(real(f"whitehouse-trump45/coronavirus-task-force-briefing-April-01-2020_{which}.html"),
                                     REAL_RELEASES[2][1], get_profile("whitehouse.gov")) for which in ("before", "after"))
    assert detect.compare({**asdict(before.fields), "url": "u"}, {**asdict(after.fields), "url": "u"}) is None
    turns = [t for t in before.fields.body_text.split("\n\n") if t.startswith(("THE PRESIDENT:", "Q "))]
    assert len(turns) > 20


@pytest.mark.parametrize("name", sorted(p.name for p in (PAGES / "gov.uk").glob("*.json")) if (PAGES / "gov.uk").exists() else ["-"])
def test_real_govuk_items_extract_with_the_govuk_profile(name):
    text = real(f"gov.uk/{name}")
    result = extract_article(text, "https://www.gov.uk/api/content/government/speeches/x", get_profile("gov.uk"))
    assert result.outcome == OK, (name, result.problem)
    assert result.fields.title and result.fields.post_id


def test_an_era_is_told_by_elements_not_by_a_substring():
    from parsel import Selector
    profile = get_profile("whitehouse.gov")
    page = (FIXTURES / "pages" / "wh-2025-remarks.html").read_text(encoding="utf-8")
    # The class names of older layouts in inline CSS or a script do not make a page one of theirs.
    decoy = page.replace("</head>", "<style>.page-content__content.editor{} .pane-node-field-forall-body{}</style>"
                                    "<script>var x = 'div.page-content__content editor';</script></head>")
    assert profile.for_page(Selector(text=decoy)).era == ""
    assert extract_article(decoy, f"{WH}/remarks/2026/09/x/", profile).fields.body_text == \
        extract_article(page, f"{WH}/remarks/2026/09/x/", profile).fields.body_text


@pytest.mark.parametrize("url, name", [
    ("https://obamawhitehouse.archives.gov/the-press-office/2015/04/11/x", "whitehouse.gov"),
    ("https://trumpwhitehouse.archives.gov/briefings-statements/x/", "whitehouse.gov"),
    ("https://bidenwhitehouse.archives.gov/briefing-room/x/", "whitehouse.gov"),
    ("https://2017-2021.state.gov/x/", "state.gov"),
    ("https://2021-2025.state.gov/x/", "state.gov"),
    ("https://www.war.gov/News/Transcripts/Transcript/Article/1/x/", "defense.gov"),
    ("https://2009-2017.state.gov/secretary/remarks/2013/05/209065.htm", "state.gov-archive"),
    ("https://www.state.gov/briefings/x/", "state.gov"),
])
def test_archive_hosts_are_recognised_without_a_profile_flag(url, name):
    assert pick_profile(load_profiles(), url, None).name == name
