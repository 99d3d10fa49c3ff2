"""The web archive client's transport (history/wayback.py), in process against the replica Wayback
Machine on loopback: requests for web.archive.org sent to the configured service and its answers
read back as the archive's, and every bound a hostile archive meets (size, listing pages, resume
keys, hosts, time). Backfills against a hostile archive are tests/integration/test_backfill_hostile.py's."""
from __future__ import annotations

import pytest
import requests
from wayback.exceptions import MementoPlaybackError

from remarkwatch.config import Backfill
from remarkwatch.demo.replica.wayback import ArchivedCapture
from remarkwatch.history import wayback as wb
from remarkwatch.history.wayback import ArchiveAdapter, ArchiveOffsite, ArchiveRefused, TooLarge, service_url
from tests.unit.conftest import URL

ARCHIVE = "https://web.archive.org"
MEMENTO = f"{ARCHIVE}/web/20210727180000id_/{URL}"
SEARCH = f"{ARCHIVE}/cdx/search/cdx?url={URL}&showResumeKey=true"


def session(base: str, max_bytes: int = 1 << 20, total_s: float = 60.0) -> requests.Session:
    adapter = ArchiveAdapter(max_bytes, base, total_s=total_s)
    s = requests.Session()
    for prefix in ("https://", "http://"):
        s.mount(prefix, adapter)
    s.adapter = adapter
    return s


def test_requests_go_to_the_service_and_answers_read_as_the_archives(wayback):
    archive, base = wayback
    archive.add(ArchivedCapture(URL, "20210727180000", body=b"<html>one</html>"))
    archive.add(ArchivedCapture(URL, "20210727190000", body=b"<html>two</html>", playable=False))
    s = session(base)
    answer = s.get(MEMENTO)
    assert (answer.status_code, answer.content, answer.url) == (200, b"<html>one</html>", MEMENTO)
    moved = s.get(MEMENTO.replace("180000", "190000"), allow_redirects=False)
    # The replica's redirect names itself; read back, it names the archive (the package reads times from it).
    assert moved.status_code == 302 and moved.headers["Location"] == MEMENTO
    assert archive.requests["memento"] == 2


def test_a_redirect_to_another_host_is_refused_not_followed(wayback):
    _, base = wayback
    with pytest.raises(ArchiveOffsite, match=r"another host \(evil.example\)"):
        session(base).get("https://evil.example/web/2021/x")


@pytest.mark.parametrize("body, max_bytes, refused", [
    (b"x" * 100, 100, False),
    (b"x" * 101, 100, True),                 # a Content-Length past the limit: not read at all
])
def test_a_memento_past_max_bytes_is_too_large(wayback, body, max_bytes, refused):
    archive, base = wayback
    archive.add(ArchivedCapture(URL, "20210727180000", body=body))
    s = session(base, max_bytes=max_bytes)
    if refused:
        with pytest.raises(TooLarge, match=f"larger than max_page_mb \\({max_bytes} bytes\\)"):
            s.get(MEMENTO)
    else:
        assert s.get(MEMENTO).content == body


def test_a_chunked_listing_past_max_bytes_is_too_large(wayback):
    archive, base = wayback
    archive.search_override = b"gov,state)/x 20210727180000 https://www.state.gov/x text/html 200 AAAA 100\n" * 50
    with pytest.raises(TooLarge):
        session(base, max_bytes=1000).get(SEARCH)


def test_an_answer_outliving_timeout_s_is_refused(wayback):
    archive, base = wayback
    archive.add(ArchivedCapture(URL, "20210727180000", body=b"<html>slow</html>"))
    # Bounded in all, not per read: at 0 s the first chunk read is already too late.
    with pytest.raises(ArchiveRefused, match=r"more than timeout_s \(0 s\) in all"):
        session(base, total_s=0).get(SEARCH)


@pytest.mark.parametrize("bodies, refused", [
    ([b"a 1\nb 2\n\nkey1\n", b"c 3\n\nkey2\n"], False),
    ([b"a 1\nb 2\n\nkey1\n", b"c 3\n\nkey1\n"], True),        # the same key twice: a circle
    ([b"a 1\n", b"a 1\n"], False),                            # no resume key: nothing to compare
    ([b"a 1\n\nkey1\n", b"\n\nkey1\n"], True),
])
def test_a_listing_that_repeats_a_resume_key_is_refused(bodies, refused):
    adapter = ArchiveAdapter(1 << 20)
    *first, last = bodies
    for body in first:
        adapter._check_resume_key(body)
    if refused:
        with pytest.raises(ArchiveRefused, match="repeats a resume key"):
            adapter._check_resume_key(last)
    else:
        adapter._check_resume_key(last)
    adapter.new_document()            # the next document's listing starts with no keys
    adapter._check_resume_key(last)


def test_a_listing_stops_at_the_page_bound_counted_per_document():
    adapter = ArchiveAdapter(1 << 20)
    for _ in range(wb.MAX_SEARCH_PAGES):
        adapter._count_search(SEARCH)
    with pytest.raises(ArchiveRefused, match=f"passed {wb.MAX_SEARCH_PAGES} pages"):
        adapter._count_search(SEARCH)
    adapter.new_document()
    adapter._count_search(SEARCH)
    assert adapter.search_pages == 1


@pytest.mark.parametrize("configured, memento, shown", [
    (ARCHIVE, MEMENTO, MEMENTO),
    ("http://127.0.0.1:8080", MEMENTO, f"http://127.0.0.1:8080/web/20210727180000id_/{URL}"),
    ("http://127.0.0.1:8080", "http://mirror.example/web/1/x", "http://mirror.example/web/1/x"),
])
def test_the_evidence_link_names_the_configured_service(configured, memento, shown):
    assert service_url(Backfill(wayback_url=configured), memento) == shown


@pytest.mark.parametrize("exc, the_archives", [
    (requests.ConnectionError("refused"), True),
    (ArchiveOffsite("elsewhere"), True),
    (MementoPlaybackError("302"), True),
    (ValueError("a bug of ours"), False),
])
def test_which_failures_are_the_archives(exc, the_archives):
    assert wb.archive_error(exc) is the_archives


def test_the_client_counts_the_requests_it_sends(wayback):
    archive, base = wayback
    archive.add(ArchivedCapture(URL, "20210727180000", body=b"<html>one</html>"))
    counts: dict = {}
    client = wb.wayback_client(Backfill(wayback_url=base, search_per_second=200, memento_per_second=200, retries=0),
                               "test-agent", counts)
    listed = list(client.search(URL))
    with client.get_memento(listed[0], exact=True) as memento:
        assert memento.content == b"<html>one</html>" and memento.url == URL
    assert counts == {"search": 1, "memento": 1}
