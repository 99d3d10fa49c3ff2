"""What `remarkwatch backfill` reads (history/targets.py), on a real SQLite file: the URLs given
(each a document of the archive or a page of a configured source), the named sources' documents,
or all of them; and which URLs an archive may name as a source's page."""
from __future__ import annotations

import pytest

from remarkwatch.crawler.items import OK, Capture, Extracted
from remarkwatch.errors import ConfigError
from remarkwatch.history.targets import of_source, targets
from remarkwatch.record.ingest import ingest
from remarkwatch.storage.db import open_db
from tests.unit.conftest import STATE, state_config

SOURCES = [{"name": "state", "profile": "state.gov", "start_urls": [STATE + "/remarks/"]},
           {"name": "wh", "profile": "whitehouse.gov", "start_urls": ["https://www.whitehouse.gov/remarks/"]}]
A, B = STATE + "/releases/a/", "https://www.whitehouse.gov/remarks/b/"


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    """Two sources with one document each; A was first seen at an older address. Only read."""
    config = state_config(tmp_path_factory.mktemp("targets"), sources=SOURCES)
    db = open_db(config.db_path)
    for source, url, asked in (("state", A, STATE + "/old-a/"), ("wh", B, B)):
        ingest(db, Capture(source=source, url=asked, final_url=url, status=200, fetched_at="t", outcome=OK,
                           redirect_urls=[asked] if asked != url else [],
                           fields=Extracted(title="T", body_text=f"Words of {url}.")),
               site=source, run_id=None, now="2026-01-10T00:00:00+00:00")
    return config, db


def listed(found) -> list[tuple]:
    return [(t.source.name, t.url, t.document_id is not None) for t in found]


@pytest.mark.parametrize("names, urls, expected", [
    ([], [], [("state", A, True), ("wh", B, True)]),                          # every source's documents
    (["wh"], [], [("wh", B, True)]),
    ([], [STATE + "/old-a/"], [("state", A, True)]),                          # a document by an old address
    ([], [STATE + "/new/"], [("state", STATE + "/new/", False)]),              # a page new to the archive
    (["wh"], [STATE + "/new/"], [("state", STATE + "/new/", False), ("wh", B, True)]),
])
def test_what_is_read(archive, names, urls, expected):
    config, db = archive
    assert listed(targets(db, config, names, urls)) == expected


def test_without_an_archive_only_the_urls_given_are_read(archive):
    config, _ = archive
    assert listed(targets(None, config, ["state"], [A])) == [("state", A, False)]


@pytest.mark.parametrize("url, message", [
    ("javascript:alert(1)", "is not an http(s) URL"),
    ("https:///no-host", "is not an http(s) URL"),
    ("https://evil.example/a", "no configured source reads evil.example (sources: state, wh)"),
])
def test_a_url_no_source_reads_is_a_config_error(archive, url, message):
    config, db = archive
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        targets(db, config, [], [url])


@pytest.mark.parametrize("url, ours", [
    (A, True),
    ("http://www.state.gov/releases/a/", True),
    ("https://2021-2025.state.gov/releases/a/", True),         # the profile's site and its hosts
    ("https://www.state.gov.evil.example/a/", False),
    ("ftp://www.state.gov/a", False),
    ("javascript:alert(document.domain)", False),
    (None, False),
    ("", False),
])
def test_which_urls_an_archive_may_name_as_the_sources_page(archive, url, ours):
    config, _ = archive
    assert of_source(config.sources[0], url) is ours
