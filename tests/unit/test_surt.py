"""monitor/history/surt.py: the CDX match key that groups a URL's captures, as the Wayback Machine does."""
from __future__ import annotations

import pytest

from remarkwatch.history.surt import surt_key


@pytest.mark.parametrize("url, key", [
    ("https://www.state.gov/briefing/", "state.gov/briefing"),
    ("http://state.gov/briefing", "state.gov/briefing"),           # scheme and www. do not count
    ("https://WWW.State.GOV/Briefing/", "state.gov/Briefing"),     # the host is lower-cased, the path is not
    ("https://www.state.gov/", "state.gov/"),
    ("https://www.state.gov", "state.gov/"),
    ("https://www.state.gov/p/?id=7&x=1", "state.gov/p?id=7&x=1"),
    ("https://www.state.gov:8080/p/", "state.gov/p"),              # the port is not part of the key
    ("https://wwwx.state.gov/p", "wwwx.state.gov/p"),
])
def test_surt_key(url, key):
    assert surt_key(url) == key
