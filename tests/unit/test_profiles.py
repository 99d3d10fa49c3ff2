"""crawler/profiles.py: site profiles from TOML, checked as they load, narrowed by era and host."""
from __future__ import annotations

import pytest
from parsel import Selector

from remarkwatch.crawler.errors import ProfileError
from remarkwatch.crawler.profiles import (config_dir, css_error, get_profile, load_profiles, parse_profile,
                                          profile_files)

MINIMAL = {"name": "t", "site": "t.gov"}


def test_bundled_profiles_load_and_match_their_files():
    profiles = load_profiles()
    assert {"state.gov", "state.gov-archive", "whitehouse.gov", "defense.gov", "gov.uk", "generic"} <= set(profiles)
    assert len(profiles) == len(profile_files()) and (config_dir() / "profiles").is_dir()
    assert get_profile("generic").extractor == "trafilatura"


def test_a_discover_table_says_which_paths_are_releases():
    profile = parse_profile({**MINIMAL, "discover": {"release_url": ["^/[a-z-]+/$"], "skip_url": "^/about/$"}}, "t.toml")
    assert (profile.discover.prefixes, profile.discover.domain) == (("/",), False)
    assert [profile.discover.is_release(p) for p in ("/a-release/", "/about/", "/a/b/")] == [True, False, False]
    assert parse_profile(MINIMAL, "t.toml").discover is None


def test_defaults_of_a_minimal_profile():
    profile = parse_profile(MINIMAL, "t.toml")
    assert (profile.delay_s, profile.date_formats, profile.blocked_markers, profile.expect_html_end) == (
        1.0, ("%B %d, %Y",), (), True)
    assert (profile.extractor, profile.sitemaps, profile.feeds, profile.eras, profile.sel("body")) == (
        "selectors", (), (), (), ())


@pytest.mark.parametrize("extra, message", [
    ({"colour": 1}, "t.toml: unknown key 'colour' (valid: "),
    ({"site": ""}, "key 'site' is required"),
    ({"delay_s": "soon"}, "delay_s must be a number"),
    ({"date_formats": 3}, "date_formats: expected a string or a list of strings"),
    ({"article": {"bodyy": "div"}}, "article.bodyy: unknown selector key"),
    ({"article": {"body": "div[["}}, "article.body: 'div[[' is not a valid CSS selector"),
    ({"article": {"post_id": [{"css": "a"}]}}, "exactly 'css' and 'regex'"),
    ({"article": {"post_id": [{"css": "a", "regex": "("}]}}, "bad regex '('"),
    ({"extractor": "magic"}, "extractor must be one of selectors, trafilatura, govuk"),
    ({"signals": {"rss": []}}, "[signals] takes sitemaps, sitemap_include, feeds, rest"),
    ({"signals": {"sitemap_include": "("}}, "signals.sitemap_include: bad regex"),
    ({"signals": {"feeds": [{"url": "/feed/"}]}}, "signals.feeds[0]: a table takes url (a string) and listings"),
    ({"signals": {"feeds": [{"url": "/feed/", "listings": ["news/"]}]}}, "listings (paths starting with /)"),
    ({"signals": {"rest": [{"url": 3, "listings": "/news/"}]}}, "signals.rest[0]: a table takes url"),
    ({"signals": {"feeds": [{"url": "/f/", "listings": "/n/", "for": 1}]}}, "signals.feeds[0]: a table takes"),
    ({"signals": {"feeds": [4]}}, "signals.feeds: expected a string or a list of strings"),
    ({"eras": [{"name": "old"}]}, "eras[0]: an [[eras]] table takes name, match"),
    ({"discover": {"prefixes": ["/"]}}, "[discover] takes prefixes, domain, release_url, skip_url (release_url required)"),
    ({"discover": {"release_url": "^/x/$", "sites": 1}}, "[discover] takes prefixes"),
    ({"discover": {"release_url": []}}, "discover.release_url: at least one regex"),
    ({"discover": {"release_url": "("}}, "discover.release_url: bad regex"),
    ({"discover": {"release_url": "x", "skip_url": ["["]}}, "discover.skip_url: bad regex"),
    ({"discover": {"release_url": "x", "prefixes": ["releases/"]}}, "discover.prefixes: each is a path starting with /"),
    ({"discover": {"release_url": "x", "domain": "yes"}}, "discover.domain must be true or false"),
])
def test_a_bad_profile_names_the_file_and_key(extra, message):
    with pytest.raises(ProfileError) as info:
        parse_profile({**MINIMAL, **extra}, "t.toml")
    assert message in str(info.value)
    assert str(info.value).startswith("t.toml") or message.startswith("t.toml")


@pytest.mark.parametrize("selector, valid", [
    ("div.entry-content", True), ("h1::text", True), ("a::attr(href)", True), ("div[[", False), ("", False),
])
def test_css_error(selector, valid):
    assert (css_error(selector) is None) is valid


def test_unknown_profile_lists_the_valid_ones(tmp_path):
    (tmp_path / "one.toml").write_text('name = "one"\nsite = "one.gov"\n', encoding="utf-8")
    assert list(load_profiles(tmp_path)) == ["one"]
    with pytest.raises(ProfileError, match=r"unknown profile 'two' \(valid: one\)"):
        get_profile("two", tmp_path)
    (tmp_path / "broken.toml").write_text("name = ", encoding="utf-8")
    with pytest.raises(ProfileError, match="broken.toml: cannot read profile"):
        load_profiles(tmp_path)



def test_profiles_are_parsed_again_only_when_a_file_changes(tmp_path):
    one = tmp_path / "one.toml"
    one.write_text('name = "one"\nsite = "one.gov"\n', encoding="utf-8")
    first = load_profiles(tmp_path)
    assert load_profiles(tmp_path)["one"] is first["one"]               # the same files: read once
    one.write_text('name = "one"\nsite = "other.gov"\n', encoding="utf-8")
    assert get_profile("one", tmp_path).site == "other.gov"              # changed: read again
    (tmp_path / "two.toml").write_text('name = "two"\nsite = "two.gov"\n', encoding="utf-8")
    assert sorted(load_profiles(tmp_path)) == ["one", "two"]             # added: read again
    load_profiles(tmp_path)["three"] = first["one"]
    assert "three" not in load_profiles(tmp_path)                         # a caller's dict is its own


ERAS = {**MINIMAL, "article": {"body": "div.new", "title": "h1"},
        "eras": [{"name": "2019", "match": "body.old-theme", "article": {
                      "body": "div.old", "post_id": [{"css": "link[rel=shortlink]::attr(href)", "regex": r"p=(\d+)"}]}}]}


def test_for_page_narrows_to_the_era_the_page_shows():
    profile = parse_profile(ERAS, "t.toml")
    old = profile.for_page(Selector(text="<html><body class='old-theme'><div class='old'>x</div></body></html>"))
    assert (old.era, old.sel("body"), old.sel("title"), old.eras) == ("2019", ("div.old",), ("h1",), ())
    assert old.post_id[0].regex.search("?p=42").group(1) == "42"
    current = profile.for_page(Selector(text="<html><body><div class='new'>x</div></body></html>"))
    assert current is profile and current.era == ""


@pytest.mark.parametrize("host, score", [
    ("t.gov", 5), ("www.t.gov", 5), ("WWW.T.GOV", 5), ("archive.t.gov", 13), ("nott.gov", 0), ("t.gov.evil", 0),
])
def test_reads_host_prefers_the_most_specific(host, score):
    profile = parse_profile({**MINIMAL, "hosts": ["archive.t.gov"]}, "t.toml")
    assert profile.reads_host(host) == score


def test_with_overrides_replaces_only_the_given_selectors():
    profile = parse_profile(ERAS, "t.toml")
    changed = profile.with_overrides({"body": ("main",)})
    assert changed.sel("body") == ("main",) and changed.sel("title") == ("h1",) and profile.sel("body") == ("div.new",)
