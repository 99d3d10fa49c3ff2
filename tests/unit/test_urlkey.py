"""The CDX match key is the Internet Archive's SURT (issue 24, item 3): the cases the real CDX
server shows in EDGI's recordings, and the ones a hand-written key got wrong."""
from __future__ import annotations

import pytest

from remarkwatch.history.urlkey import surt_key


@pytest.mark.parametrize("url, key", [
    # test_search_with_filter.yaml: the real CDX's urlkey for this URL
    ("https://www.nasa.gov/%E2%80%A2/", "gov,nasa)/%e2%80%a2"),
    ("https://www2.state.gov/secretary/remarks/2009/01/115007.htm", "gov,state)/secretary/remarks/2009/01/115007.htm"),
    ("https://state.gov/secretary/remarks/2009/01/115007.htm", "gov,state)/secretary/remarks/2009/01/115007.htm"),
    ("https://www.state.gov/briefings/?b=2&a=1", "gov,state)/briefings?a=1&b=2"),
    ("http://WWW.State.Gov/Remarks/Secretary-Blinken/", "gov,state)/remarks/secretary-blinken"),
    ("https://www.state.gov/", "gov,state)/"),
])
def test_the_key_is_the_archives_own(url, key):
    assert surt_key(url) == key


def test_an_upper_case_escape_and_its_lower_case_twin_are_one_page():
    assert surt_key("https://www.state.gov/caf%C3%A9/") == surt_key("https://www.state.gov/caf%c3%a9")
