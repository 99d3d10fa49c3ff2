"""`remarkwatch init` and `profiles` (issue 26, item 8): a start for every bundled site profile.
The file init writes passes check-config for each profile, with the other profiles' sources and
one alert channel of each kind commented out, and each of those works once uncommented."""
from __future__ import annotations

import json
import re

import pytest

from remarkwatch.alerts.channels.registry import kinds
from remarkwatch.crawler.errors import ProfileError
from remarkwatch.crawler.profiles import load_profiles, parse_profile
from tests.conftest import invoke

PROFILES = load_profiles()


def _init(tmp_path, *profiles: str) -> tuple[str, str]:
    """The file `init --profile ...` writes, and what check-config says of it."""
    path = tmp_path / "remarkwatch.toml"
    invoke("init", path, *(arg for name in profiles for arg in ("--profile", name)), check=True)
    checked = invoke("check-config", "--config", path, check=True).stdout
    return path.read_text(encoding="utf-8"), checked


@pytest.mark.parametrize("name", sorted(PROFILES))
def test_init_for_each_profile_writes_its_sources_and_passes_check_config(tmp_path, name):
    profile = PROFILES[name]
    assert profile.starts, f"profile {name} offers no [[starts]] for init"
    text, checked = _init(tmp_path, name)
    watched = re.findall(r"^source (\S+): profile (\S+),", checked, flags=re.MULTILINE)
    assert watched == [(start.name, name) for start in profile.starts]
    live = "\n".join(line for line in text.splitlines() if not line.startswith("#"))
    assert all(url in live for start in profile.starts for url in start.start_urls)
    for other in PROFILES.values():          # every other profile's sources are there, commented out
        for start in other.starts if other.name != name else ():
            assert f'# name = "{start.name}"' in text


def test_plain_init_watches_state_gov_and_several_profiles_can_be_chosen(tmp_path):
    _, checked = _init(tmp_path)
    assert re.findall(r"^source (\S+):", checked, flags=re.MULTILINE) == ["state-press-releases",
                                                                          "state-press-briefings"]
    (tmp_path / "remarkwatch.toml").unlink()
    _, every = _init(tmp_path, *sorted(PROFILES))
    assert len(re.findall(r"^source ", every, flags=re.MULTILINE)) == sum(len(p.starts) for p in PROFILES.values())


@pytest.mark.parametrize("kind", sorted(kinds()))
def test_each_commented_alert_channel_works_uncommented(tmp_path, kind):
    text, _ = _init(tmp_path)
    example = kinds()[kind].example
    block = text.split(f"# {kind}: ", 1)[1].split("\n\n", 1)[0].splitlines()[1:]
    assert block[0] == "# [[alerts]]"
    (tmp_path / "remarkwatch.toml").write_text(text + "\n" + "\n".join(line[2:] for line in block) + "\n",
                                               encoding="utf-8")
    env = {example[key]: "set-for-the-test" for key in kinds()[kind].env_keys if key in example}
    checked = invoke("check-config", "--config", tmp_path / "remarkwatch.toml", env=env, check=True).stdout
    assert f"alert channel {example['name']}: {kind}" in checked and "NOT SET" not in checked


def test_init_refuses_an_unknown_profile_and_an_existing_file(tmp_path):
    unknown = invoke("init", tmp_path / "a.toml", "--profile", "cia.gov")
    assert unknown.returncode == 2 and "not a bundled profile (valid: defense.gov" in unknown.stderr
    invoke("init", tmp_path / "a.toml", check=True)
    again = invoke("init", tmp_path / "a.toml")
    assert again.returncode == 2 and "already exists" in again.stderr


def test_profiles_shows_the_starts():
    out = invoke("profiles", check=True).stdout
    for profile in PROFILES.values():
        for start in profile.starts:
            assert f"start {start.name}: {' '.join(start.start_urls)}" in out
    listed = {p["name"]: p for p in json.loads(invoke("profiles", "--json", check=True).stdout)}
    assert [s["name"] for s in listed["whitehouse.gov"]["starts"]] == ["whitehouse-remarks",
                                                                       "whitehouse-briefings-statements"]


@pytest.mark.parametrize("starts", [
    [{"name": "x"}],                                            # no start_urls
    [{"name": "x", "start_urls": ["https://a/"], "pages": 2}],  # an unknown key
    [{"name": "x", "start_urls": ["https://a/"], "max_listing_pages": "2"}],
    ["https://a/"],
])
def test_a_bad_starts_table_is_a_profile_error(starts):
    with pytest.raises(ProfileError, match="starts"):
        parse_profile({"name": "p", "site": "a", "starts": starts}, "p.toml")
