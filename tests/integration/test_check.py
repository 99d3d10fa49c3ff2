"""`remarkwatch profiles` and `remarkwatch check`: a profile tried on one page, without a crawl."""
from __future__ import annotations

import json

import pytest

from remarkwatch.crawler.profiles import load_profiles
from tests.conftest import FIXTURES, invoke

PAGE = FIXTURES / "pages" / "state-2019-press-briefing.html"
NAMES = sorted(load_profiles())
URL = "https://www.state.gov/department-press-briefing-july-27-2021/"


def test_profiles_lists_each_with_its_signals():
    out = invoke("profiles", check=True).stdout
    lines = {line.split()[0]: line for line in out.splitlines() if not line.startswith(" ")}
    assert sorted(lines) == NAMES and {"defense.gov", "state.gov", "whitehouse.gov"} <= set(NAMES)
    assert "signals: sitemaps, feeds, rest" in lines["state.gov"]
    assert "signals: sitemaps, rest" in lines["whitehouse.gov"] and "signals: feeds" in lines["defense.gov"]
    listed = json.loads(invoke("profiles", "--json", check=True).stdout)
    assert sorted(p["name"] for p in listed) == NAMES


@pytest.mark.parametrize("url, page, lines", [
    (URL, PAGE, ["profile:        state.gov", "outcome:        ok", "post_id:        262710",
                 "title:          Department Press Briefing – July 27, 2021",
                 "turns:          5 (MR PRICE, QUESTION, MR PRICE, QUESTION, MR PRICE)"]),
    ("https://www.whitehouse.gov/remarks/2026/09/x/", FIXTURES / "pages" / "wh-2025-remarks.html",
     ["profile:        whitehouse.gov", "outcome:        ok", "post_id:        71234",
      "turns:          6 (THE PRESIDENT, Q, THE PRESIDENT, Q, THE PRESIDENT)"]),
], ids=["state.gov", "whitehouse.gov"])
def test_check_a_saved_page_offline_with_the_profile_of_its_host(url, page, lines):
    out = invoke("check", url, "--file", page, check=True).stdout
    for line in lines:
        assert line in out


def test_check_json():
    report = json.loads(invoke("check", URL, "--file", PAGE, "--json", check=True).stdout)
    assert report["fields"]["speakers"] == ["Ned Price, Department Spokesperson"]
    assert report["turns"][0] == {"seq": 1, "speaker": "MR PRICE", "paragraphs": 3}


def test_check_fetches_a_live_page_and_obeys_robots(server, site):
    path = sorted(site.releases)[0]
    out = invoke("check", server.base_url + path, "--profile", "state.gov", check=True).stdout
    assert "outcome:        ok" in out
    site.robots = f"User-agent: *\nDisallow: {path}\n"
    refused = invoke("check", server.base_url + path, "--profile", "state.gov")
    assert refused.returncode == 1 and "robots.txt does not allow" in refused.stderr


@pytest.mark.parametrize("url, extra, message", [
    ("https://www.example.org/x/", [], "no profile for 'www.example.org'"),
    (URL, ["--profile", "nope"], f"no profile 'nope' (profiles: {', '.join(NAMES)})"),
], ids=["unknown-host", "unknown-profile"])
def test_check_names_the_profiles_it_knows(url, extra, message):
    refused = invoke("check", url, "--file", PAGE, *extra)
    assert refused.returncode == 1 and message in refused.stderr
