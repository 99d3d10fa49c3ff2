"""`remarkwatch profiles` and `remarkwatch check`: a profile tried on one page, without a crawl."""
from __future__ import annotations

import json

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


def test_check_a_saved_page_offline():
    out = invoke("check", URL, "--file", PAGE, check=True).stdout       # profile picked by host
    assert "outcome:        ok" in out and "post_id:        262710" in out
    assert "title:          Department Press Briefing – July 27, 2021" in out
    assert "turns:          5 (MR PRICE, QUESTION, MR PRICE, QUESTION, MR PRICE)" in out
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


def test_check_names_the_profiles_it_knows():
    unknown = invoke("check", "https://www.example.org/x/", "--file", PAGE)
    assert unknown.returncode == 1 and "no profile for 'www.example.org'" in unknown.stderr
    wrong = invoke("check", URL, "--file", PAGE, "--profile", "nope")
    assert wrong.returncode == 1 and f"no profile 'nope' (profiles: {', '.join(NAMES)})" in wrong.stderr


def test_check_picks_the_white_house_profile_by_host():
    page = FIXTURES / "pages" / "wh-2025-remarks.html"
    out = invoke("check", "https://www.whitehouse.gov/remarks/2026/09/x/", "--file", page, check=True).stdout
    assert "profile:        whitehouse.gov" in out and "post_id:        71234" in out
    assert "turns:          6 (THE PRESIDENT, Q, THE PRESIDENT, Q, THE PRESIDENT)" in out
