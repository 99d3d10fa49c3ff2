"""The cluster coordinator's parts that need no Redis, in process: the configuration fingerprint a
worker must share, the start requests it seeds (the single-machine spider's own, tagged with their
source), and how its archive writer handles each kind of stream entry: signed ones of a worker's
form on the source's hosts are written, any other is refused (issue 27, item 10). Seeding and
draining a real frontier and stream are tests/system/test_cluster.py's."""
from __future__ import annotations

import pytest

import json

from remarkwatch.cluster.coordinator import ClusterPass, _Seeder, fingerprint
from remarkwatch.cluster.intake import Refused, accept
from remarkwatch.crawler.cluster.frontier import Keys
from remarkwatch.crawler.cluster.signing import Signer
from remarkwatch.crawler.cluster.stream import capture_to_entry
from remarkwatch.crawler.items import OFFSITE, OK, Capture, Extracted
from remarkwatch.storage.db import open_db
from tests.unit.conftest import STATE, as_redis_returns, state_config

SOURCE = {"name": "state", "profile": "state.gov", "start_urls": [STATE + "/remarks/"]}
CLUSTER = {"redis_url": "redis://127.0.0.1:9/0"}
# ClusterPass connects to Redis only when given no client; the writer's entry handling never uses it.
NOT_REDIS = object()
SIGNER = Signer(b"a cluster secret for the tests")


@pytest.fixture(scope="module")
def base_fingerprint(tmp_path_factory):
    return fingerprint(state_config(tmp_path_factory.mktemp("fingerprint"), sources=[SOURCE]))


@pytest.mark.parametrize("change, same", [
    ({}, True),
    ({"user_agent": "another agent/1.0"}, True),        # how a worker introduces itself is its own
    ({"concurrency": 8}, True),
    ({"sources": [{**SOURCE, "delay_s": 9}]}, False),
    ({"sources": [{**SOURCE, "start_urls": [STATE + "/briefings/"]}]}, False),
    ({"sources": [{**SOURCE, "max_listing_pages": 7}]}, False),
    ({"sources": [{**SOURCE, "selectors": {"body": ["div.other"]}}]}, False),
    ({"sources": [{**SOURCE, "profile": "generic"}]}, False),
    ({"sources": [SOURCE, {**SOURCE, "name": "state2"}]}, False),
])
def test_the_fingerprint_changes_with_what_a_worker_must_share(tmp_path, base_fingerprint, change, same):
    base = base_fingerprint
    assert (fingerprint(state_config(tmp_path, **{"sources": [SOURCE], **change})) == base) is same
    assert len(base) == 64


@pytest.mark.parametrize("known, checked, since, expected", [
    ([], {}, None, [(STATE + "/remarks/", 0), (STATE + "/rss-feed/press-releases/feed/", 2)]),
    ([{"url": STATE + "/a/", "etag": '"e"'}], {STATE + "/a/": "2026-01-10T00:00:00+00:00"},
     "2026-01-10T00:00:00+00:00",
     [(STATE + "/remarks/", 0), (STATE + "/sitemap_index.xml", 2), ("rest", 2), ("rest", 2),
      (STATE + "/rss-feed/press-releases/feed/", 2), (STATE + "/a/", -1)]),
])
def test_the_seeded_requests_are_the_spiders_own_tagged_with_their_source(tmp_path, known, checked, since, expected):
    config = state_config(tmp_path, sources=[{**SOURCE, "delay_s": 2.5}])
    found = _Seeder(Keys("rw")).requests(config.sources[0], known, frozenset(), checked, since)
    assert [("rest" if "/wp-json/" in r.url else r.url, r.priority) for r in found] == expected
    assert {(r.meta["rw_source"], r.meta["rw_delay"]) for r in found} == {("state", 2.5)}
    assert [r.headers.get("If-None-Match") for r in found if r.priority == -1] == [b'"e"'] * len(known)


def test_a_sites_signals_are_seeded_once_naming_every_source_that_needs_them(tmp_path):
    from remarkwatch.crawler.cluster.worker import fold_signal

    sources = [{"name": name, "profile": "state.gov", "start_urls": [STATE + listing]}
               for name, listing in (("releases", "/press-releases/"), ("briefings", "/department-press-briefings/"))]
    config = state_config(tmp_path, sources=sources)
    since = "2026-01-10T00:00:00+00:00"
    signals, pushed = {}, []
    for source in config.sources:
        for request in _Seeder(Keys("rw")).requests(source, [], frozenset(), {STATE + "/a/": since}, since):
            if not fold_signal(request, source.name, signals):
                pushed.append(request)
    assert [r.url for r in pushed] == [STATE + "/press-releases/", STATE + "/department-press-briefings/"]
    assert len(signals) == 4            # the sitemap index, two REST queries, the feed: once each
    assert {(r.meta["rw_source"], tuple(r.meta["rw_also"])) for r in signals.values()} == {("releases", ("briefings",))}


@pytest.fixture
def writer(tmp_path, archive_path):
    config = state_config(tmp_path, sources=[SOURCE], cluster=CLUSTER)
    cluster_pass = ClusterPass(config, open_db(config.db_path), config.sources, redis=NOT_REDIS, signer=SIGNER)
    cluster_pass.book.open()
    cluster_pass._handlers = {s.name: cluster_pass.book.handlers(s) for s in cluster_pass.sources}
    yield cluster_pass
    cluster_pass.book.close()


def entry(source: str = "state", **fields) -> dict:
    return as_redis_returns(SIGNER.sign_fields({"source": source, **fields}))


def test_stream_entries_reach_the_pass_books(writer):
    writer._handle(entry(type="problem", message="state: listing failed"))
    writer._handle(entry(type="listing", ok="1"))
    writer._handle(entry(type="listing", ok="0"))
    writer._handle(entry(type="signal", kind="sitemap", url=STATE + "/a/"))
    writer._handle(entry(type="dropped", signal="feed www.state.gov/rss-feed/press-releases/feed/", count="7"))
    with pytest.raises(Refused, match="not \\['count', 'signal', 'source', 'type'\\]"):
        writer._handle(entry(type="dropped", signal="feed x", count="1", url="https://x/"))
    with pytest.raises(Refused, match="which this config does not have"):
        writer._handle(entry(source="gone", type="problem", message="not ours"))
    result = writer.result
    assert result.problems == ["state: listing failed"]
    assert (result.sources["state"]["listing_ok"], result.sources["state"]["listing_failed"]) == (1, 1)
    assert result.kinds["via sitemap"] == 1
    assert result.kinds["outside every listing"] == 7          # a worker's count of a shared signal


def test_a_capture_delivered_twice_is_written_once(writer):
    url = STATE + "/releases/a/"
    capture = Capture(source="state", url=url, final_url=url, status=200, fetched_at="2026-01-10T00:00:00+00:00",
                      outcome=OK, body=b"<html></html>",
                      fields=Extracted(title="A briefing", body_text="Words.", post_id="7"))
    raw = as_redis_returns(SIGNER.sign_fields(capture_to_entry(capture)))
    writer._handle(raw)
    writer._handle(raw)
    assert writer.db.execute("SELECT COUNT(*), COUNT(DISTINCT capture_key) FROM captures").fetchone() == (1, 1)
    assert writer.db.execute("SELECT COUNT(*) FROM versions").fetchone()[0] == 1


def _capture(url: str = STATE + "/releases/a/", **changes) -> Capture:
    return Capture(**{"source": "state", "url": url, "final_url": url, "status": 200,
                      "fetched_at": "2026-01-10T00:00:00+00:00", "outcome": OK, "body": b"<html></html>",
                      "fields": Extracted(title="A briefing", body_text="Words.", post_id="7"), **changes})


def _entry(capture: Capture | None = None, signer: Signer = SIGNER, **override) -> dict:
    fields = capture_to_entry(capture or _capture())
    fields.update(override)
    return as_redis_returns(signer.sign_fields(fields))


def _resigned(raw: dict, **changes) -> dict:
    """A signed entry whose capture JSON is changed, signed again (a worker holding the secret
    could not have written it: only the writer's form checks stop it)."""
    fields = {k.decode(): v for k, v in raw.items() if k != b"sig"}
    data = json.loads(fields["capture"])
    data.update(changes)
    fields["capture"] = json.dumps(data)
    return as_redis_returns(SIGNER.sign_fields(fields))


MAX_BYTES = 1000
# Each a stream entry a worker keeping the offsite rule and the size limit, with the cluster
# secret, could not have written: today's writer recorded every one.
REFUSED = [
    ("unsigned", lambda: as_redis_returns(capture_to_entry(_capture())), "not signed"),
    ("another secret", lambda: _entry(signer=Signer(b"some other secret, not ours")), "does not match"),
    ("edited after signing", lambda: {**_entry(), b"body": b"<html>forged</html>"}, "does not match"),
    ("another host", lambda: _entry(_capture("http://127.0.0.1:8080/admin/token")), "outside the source's"),
    ("another port", lambda: _entry(_capture("https://www.state.gov:6379/a/")), "outside the source's"),
    ("redirected off the site", lambda: _entry(_capture(final_url="http://internal/", redirect_urls=[STATE + "/a/"])),
     "outside the source's"),
    ("an offsite capture with a body", lambda: _entry(_capture("http://internal/", outcome=OFFSITE)),
     "offsite capture with a body"),
    ("too large", lambda: _entry(_capture(body=b"x" * (MAX_BYTES + 1))), "over max_page_mb"),
    ("past the read bound", lambda: {b"_too_large": b"314572800", b"type": b"capture"}, "over the bound"),
    ("unknown type", lambda: as_redis_returns(SIGNER.sign_fields({"type": "release", "source": "state"})),
     "unknown type"),
    ("extra field", lambda: _entry(extra="1"), "with fields"),
    ("a source of another entry", lambda: _entry(source="other"), "which this config does not have"),
    ("a field of another type", lambda: _resigned(_entry(), status="200"), "status is str"),
    ("a memento", lambda: _resigned(_entry(), origin="wayback"), "from 'wayback'"),
    ("an unknown outcome", lambda: _resigned(_entry(), outcome="edited"), "outcome 'edited'"),
    ("a field the worker never sends", lambda: _resigned(_entry(), prepared={}), "not a worker's"),
]


@pytest.mark.parametrize("what, make, reason", REFUSED, ids=[row[0] for row in REFUSED])
def test_the_writer_refuses_what_no_worker_could_have_written(tmp_path, what, make, reason):
    config = state_config(tmp_path, sources=[SOURCE], cluster=CLUSTER)
    with pytest.raises(Refused, match=reason):
        accept(make(), SIGNER, {s.name: s for s in config.sources}, MAX_BYTES)


@pytest.mark.parametrize("capture", [
    _capture(),
    _capture(STATE + "/b/", final_url=STATE + "/c/", redirect_urls=[STATE + "/b/"]),
    _capture("http://elsewhere.example/x", outcome=OFFSITE, body=b"", fields=None),   # a link off the site, recorded
])
def test_the_writer_accepts_what_a_worker_writes(tmp_path, capture):
    config = state_config(tmp_path, sources=[SOURCE], cluster=CLUSTER)
    kind, source, back = accept(_entry(capture), SIGNER, {s.name: s for s in config.sources}, MAX_BYTES)
    assert (kind, source.name, back) == ("capture", "state", capture)
