"""Politeness: robots.txt Crawl-delay and Retry-After, as the replica sees the requests arrive."""
from __future__ import annotations

import time

import pytest

from remarkwatch.demo.replica.content import demo_releases
from remarkwatch.demo.replica.server import ReplicaServer
from remarkwatch.demo.replica.site import LISTING, Response, Site
from tests.conftest import crawl, db_at, forked, write_config


def article_hits(site: Site) -> list[float]:
    return [t for path, t in site.hit_times if path not in (LISTING, "/robots.txt") and "/page/" not in path
            and "sitemap" not in path and "rss-feed" not in path and not path.startswith("/wp-json/")]


@pytest.mark.slow
def test_crawl_delay_from_robots_txt_is_honoured(tmp_path):
    site = Site(demo_releases()[:3], robots="User-agent: *\nCrawl-delay: 1\nDisallow: /private/\n")
    with ReplicaServer(site) as server:
        config_path = write_config(tmp_path, server.base_url)
        assert "3 new" in crawl(config_path).stdout
    times = sorted(article_hits(site))
    assert len(times) == 3
    # Stamped by the replica's thread: a late stamp shortens one gap by what it adds to the next
    # (seen: 0.945 s on a busy machine), so the two gaps together must hold twice the delay.
    assert times[2] - times[0] >= 2 * 1 - 0.05 and all(b - a >= 0.8 for a, b in zip(times, times[1:])), times


def test_a_crawl_delay_past_the_next_pass_leaves_the_host_for_it(tmp_path):
    """Issue 27, item 5: `Crawl-delay: 100000` once held the whole pass (and its lock) for good.
    Capped as a long Retry-After is: the pass ends at once, failed (exit 3: its listing was not
    read) with the reason, and the source is tried again at its next pass."""
    site = Site(demo_releases()[:3], robots="User-agent: *\nCrawl-delay: 100000\n")
    with ReplicaServer(site) as server:
        config_path = write_config(tmp_path, server.base_url)
        started = time.monotonic()
        result = forked("crawl", "--config", config_path)
        took = time.monotonic() - started
    assert result.returncode == 3 and took < 60, result.stdout + result.stderr
    assert "Crawl-delay of 100000 s, longer than until this source's next pass" in result.stdout + result.stderr
    assert not article_hits(site)


def test_one_request_at_a_time_per_host_without_a_delay(tmp_path):
    """`concurrency = 1` holds even for a source with no delay (Scrapy 2.19 starts every queued
    request of a slot at once when its delay is 0)."""
    site = Site(demo_releases()[:8])
    site.latency_s = 0.1
    with ReplicaServer(site) as server:
        config_path = write_config(tmp_path, server.base_url)
        text = config_path.read_text(encoding="utf-8").replace("concurrency = 4", "concurrency = 1")
        config_path.write_text(text, encoding="utf-8")
        assert "8 new" in crawl(config_path).stdout
    assert site.max_in_flight == 1


@pytest.mark.slow
def test_retry_after_on_429_is_waited_out(tmp_path):
    site = Site(demo_releases()[:2])
    path = sorted(site.releases)[0]
    site.once[path] = Response(429, b"<h1>Too Many Requests</h1>", headers=(("Retry-After", "2"),))
    with ReplicaServer(site) as server:
        config_path = write_config(tmp_path, server.base_url)
        result = crawl(config_path)
    assert "2 new" in result.stdout and "0 failed" in result.stdout
    hits = [t for p, t in site.hit_times if p == path]
    assert len(hits) == 2 and hits[1] - hits[0] >= 1.9
    assert db_at(config_path)["versions"].count == 2


def test_an_unreachable_host_is_left_for_the_next_pass(tmp_path):
    """A host that stops answering (connections refused) is given up after a dozen failed
    attempts in a row: its other documents are recorded as left for the next pass, not each
    tried three times, and the next pass, with the host back, re-checks every one."""
    site = Site(demo_releases())
    server = ReplicaServer(site).start()
    config_path = write_config(tmp_path, server.base_url)
    assert "34 new" in crawl(config_path).stdout
    port = server.port
    server.stop()
    out = forked("crawl", "--config", config_path).stdout
    assert "34 failed" in out and "(failed)" in out
    db = db_at(config_path)
    rows = db.execute("SELECT outcome, error FROM captures WHERE run_id = (SELECT MAX(id) FROM runs)").fetchall()
    left = [error for outcome, error in rows if "is unreachable (" in (error or "")]
    assert len(rows) == 34 and {outcome for outcome, _ in rows} == {"network_error"}
    assert len(left) >= 20, rows           # at most a dozen attempts were made in all
    assert "connection attempts in a row failed" in left[0] and "left for the next pass" in left[0]
    with ReplicaServer(site, port=port):
        assert "34 unchanged" in crawl(config_path).stdout


REFRESH = '<meta http-equiv="refresh" content="0; url=/next/">'


@pytest.mark.parametrize("body, encoding", [
    (f"<html><head>{REFRESH}</head><body>Hi</body></html>", "utf-8"),
    (f"<html><head>{REFRESH.upper().replace('/NEXT/', '/next/')}</head></html>", "utf-8"),
    (f"<html><head><title>Déclaration — «remarques»</title>{REFRESH}</head></html>", "utf-8"),
    (f"<html><head>{REFRESH}</head></html>", "utf-16"),
    ("<html><head><title>Remarks</title></head><body><p>Nothing to follow here.</p></body></html>", "utf-8"),
    ("<html><head><title>Remarks</title></head><body><p>Nothing to follow here.</p></body></html>", "utf-16"),
])
def test_the_quick_meta_refresh_check_redirects_exactly_as_scrapys(body, encoding):
    """Meta refresh redirects are Scrapy's: the quick check only skips decoding pages that
    cannot hold a refresh tag (and reads every UTF-16 page in full)."""
    from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware
    from scrapy.http import HtmlResponse, Request
    from scrapy.utils.test import get_crawler

    from remarkwatch.crawler.middlewares.metarefresh import QuickMetaRefreshMiddleware

    crawler = get_crawler(settings_dict={"METAREFRESH_ENABLED": True})
    request = Request("https://www.state.gov/page/")

    def response():
        return HtmlResponse(request.url, body=body.encode(encoding), encoding=encoding, request=request)

    ours = QuickMetaRefreshMiddleware.from_crawler(crawler).process_response(request, response())
    scrapys = MetaRefreshMiddleware.from_crawler(crawler).process_response(request, response())
    assert type(ours) is type(scrapys)
    if isinstance(scrapys, Request):
        assert ours.url == scrapys.url and scrapys.url.startswith("https://www.state.gov/next/")
    else:
        assert "refresh" not in body


def test_a_page_without_a_refresh_tag_is_not_decoded_for_one():
    from scrapy.http import HtmlResponse, Request
    from scrapy.utils.test import get_crawler

    from remarkwatch.crawler.middlewares.metarefresh import QuickMetaRefreshMiddleware

    request = Request("https://www.state.gov/page/")
    page = HtmlResponse(request.url, body=b"<html><body><p>Remarks.</p></body></html>", request=request)
    assert QuickMetaRefreshMiddleware.from_crawler(get_crawler()).process_response(request, page) is page
    assert getattr(page, "_cached_ubody", None) is None
