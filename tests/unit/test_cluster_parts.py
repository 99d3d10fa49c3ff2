"""The cluster's pure parts, in process: the Redis URL as it may be shown, captures through stream
entries (as Redis hands them back: bytes keys and values), requests through the frontier's JSON,
the signatures with the cluster secret and where the secret and Redis credentials come from."""
from __future__ import annotations

import re

import pytest
import scrapy

from remarkwatch.cluster.connection import PASSWORD_ENV, safe_url
from remarkwatch.crawler.cluster.signing import SECRET_ENV, BadSignature, Signer
from remarkwatch.crawler.cluster.frontier import request_from_json, request_to_json
from remarkwatch.crawler.cluster.stream import capture_from_entry, capture_to_entry
from remarkwatch.crawler.items import OK, Capture, Extracted
from tests.unit.conftest import as_redis_returns


@pytest.mark.parametrize("url, shown", [
    ("redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379/0"),
    ("redis://:hunter2@redis.internal:6379/1", "redis://:***@redis.internal:6379/1"),
    ("rediss://user:s3cret@host/0", "rediss://user:***@host/0"),
])
def test_safe_url_hides_the_password(url, shown):
    assert safe_url(url) == shown


@pytest.mark.parametrize("fields, headers, body", [
    (Extracted(title="Briefing", body_text="Text.", speakers=["MR PRICE"], post_id="7"),
     [("Content-Type", "text/html")], b"<html>\xe2\x80\x99</html>"),
    (None, None, b""),
])
def test_a_capture_survives_the_stream(fields, headers, body):
    capture = Capture(source="s", url="http://h/1", final_url="http://h/1", status=200, fetched_at="t",
                      outcome=OK, body=body, fields=fields, headers=headers)
    entry = capture_to_entry(capture)
    assert entry["type"] == "capture" and entry["source"] == "s" and len(entry["key"]) == 32
    back = capture_from_entry(as_redis_returns(entry))
    assert back == capture


class Spider(scrapy.Spider):
    name = "t"

    def parse_article(self, response):
        pass


@pytest.mark.parametrize("callback, meta", [
    ("parse_article", {"rw_source": "s", "rw_delay": 0.5, "_private": object(), "download_slot": "h"}),
    (None, {"rw_source": "s", "not_json": object()}),
])
def test_a_request_survives_the_frontier_as_json(callback, meta):
    spider = Spider()
    request = scrapy.Request("http://h/1", callback=getattr(spider, callback) if callback else None,
                             meta=meta, priority=3, headers={"If-None-Match": '"x"'})
    back = request_from_json(request_to_json(request), spider)
    assert (back.url, back.priority, back.headers.get("If-None-Match")) == ("http://h/1", 3, b'"x"')
    assert back.meta == {k: v for k, v in meta.items() if k in ("rw_source", "rw_delay")}
    assert (back.callback.__name__ if back.callback else None) == callback


def test_a_frontier_request_names_only_known_callbacks():
    data = request_to_json(scrapy.Request("http://h/1"))
    with pytest.raises(ValueError, match="unknown callback 'eval'"):
        request_from_json({**data, "callback": "eval"}, Spider())


class Server:
    """What the stall watch reads of Redis: INFO's run_id, which a restarted server changes."""

    def __init__(self, run_id: str):
        self.run_id = run_id

    def info(self, section: str) -> dict:
        assert section == "server"
        return {"run_id": self.run_id}


@pytest.mark.parametrize("disturb, moves, stalls", [
    (None, False, False),           # no outage: a pass may wait as long as its workers do
    ("outage", False, True),        # Redis went away and nothing moves after: fail cleanly
    ("restart", False, True),       # a restart between two calls, seen by its new run_id
    ("outage", True, False),        # Redis went away but the pass goes on: no limit reached
])
def test_a_pass_that_stops_moving_after_redis_went_away_fails(disturb, moves, stalls):
    from remarkwatch.cluster.coordinator import _Stall

    watch, server = _Stall(limit_s=30), Server("a")
    watch.server(server)
    assert watch.stalled(0.0, 0, ("frontier", 5)) is None
    if disturb == "outage":
        watch.outage()
    elif disturb == "restart":
        server.run_id = "b"
        watch.server(server)
    said = None
    for second in range(1, 61):
        said = said or watch.stalled(float(second), 1 if moves else 0, ("frontier", second if moves else 5))
    assert bool(said) is stalls
    if stalls:
        assert said == "no progress for 30 s since Redis went away mid-pass"


SIGNER = Signer(b"a cluster secret for the tests")


@pytest.mark.parametrize("signed, tamper, error", [
    (b'{"url": "http://h/1"}', lambda v: v, None),
    (b'{"url": "http://h/1"}', lambda v: v.replace(b"h/1", b"internal/"), "does not match"),
    (b'{"url": "http://h/1"}', lambda v: v.split(b".", 2)[2], "not signed"),           # the bare JSON
    (b'{"url": "http://h/1"}', lambda v: Signer(b"another secret, long enough").wrap(v.split(b".", 2)[2]),
     "does not match"),
])
def test_a_frontier_request_is_read_only_with_its_signature(signed, tamper, error):
    value = tamper(SIGNER.wrap(signed))
    if error is None:
        assert SIGNER.unwrap(value) == signed
    else:
        with pytest.raises(BadSignature, match=error):
            SIGNER.unwrap(value)


@pytest.mark.parametrize("fields, forged", [
    ({"type": "listing", "source": "s", "ok": "1"}, {"type": "listing", "source": "s", "ok": "0"}),
    ({"a": "b", "c": "d"}, {"a": "b", "c": "d", "e": ""}),
    ({"ab": "c"}, {"a": "bc"}),           # names and values never run into each other
])
def test_a_stream_entry_is_signed_field_by_field(fields, forged):
    signed = SIGNER.sign_fields(fields)
    SIGNER.check_fields(as_redis_returns(signed))
    with pytest.raises(BadSignature):
        SIGNER.check_fields(as_redis_returns({**forged, "sig": signed["sig"]}))


def test_without_a_secret_nothing_is_signed_or_checked():
    unsigned = Signer(None)
    assert unsigned.wrap(b"{}") == b"{}" and unsigned.unwrap(b"{}") == b"{}"
    assert unsigned.sign_fields({"a": "b"}) == {"a": "b"} and unsigned.fingerprint() == "unsigned"
    assert SIGNER.fingerprint() != Signer(b"another secret, long enough").fingerprint()
    assert b"cluster secret" not in SIGNER.fingerprint().encode()


@pytest.mark.parametrize("env, insecure, expected", [
    ({SECRET_ENV: "x" * 32}, False, True),
    ({SECRET_ENV: "x" * 32}, True, True),          # a secret set is always used
    ({}, True, False),
    ({}, False, "needs a shared secret: set $REMARKWATCH_CLUSTER_SECRET"),
    ({SECRET_ENV: "short"}, False, "is 5 characters; use at least 16"),
])
def test_the_cluster_secret_comes_from_the_environment(tmp_path, env, insecure, expected):
    """Issue 27, item 10: a cluster runs signed, or says how to; unsigned only by an explicit opt-in."""
    from remarkwatch.cluster.connection import cluster_signer
    from remarkwatch.errors import ConfigError
    from tests.unit.conftest import state_config

    cluster = {"redis_url": "redis://127.0.0.1:9/0", **({"insecure_unsigned": True} if insecure else {})}
    config = state_config(tmp_path, cluster=cluster)
    if isinstance(expected, str):
        with pytest.raises(ConfigError, match=re.escape(expected)):
            cluster_signer(config, env)
    else:
        assert cluster_signer(config, env).signing is expected


@pytest.mark.parametrize("url, env, expected", [
    ("redis://remarkwatch@10.0.0.5:6379/0", {PASSWORD_ENV: "pw"}, {"username": "remarkwatch", "password": "pw", "ssl": False}),
    ("redis://remarkwatch:inurl@10.0.0.5:6379/0", {PASSWORD_ENV: "pw"}, {"username": "remarkwatch", "password": "inurl"}),
    ("rediss://10.0.0.5:6380/0?ssl_ca_certs=/etc/ssl/redis-ca.pem", {},
     {"ssl": True, "ssl_ca_certs": "/etc/ssl/redis-ca.pem", "port": 6380}),
])
def test_redis_users_passwords_and_tls_reach_the_client(url, env, expected):
    """ACL users and the password from the environment (tests/system/test_cluster.py connects to a
    real server with them), and rediss:// with a CA file: the client's connection settings."""
    import redis

    from remarkwatch.cluster.connection import redis_params

    pool = redis.Redis.from_url(url, **redis_params(env)).connection_pool
    kwargs = {**pool.connection_kwargs, "ssl": pool.connection_class is redis.SSLConnection}
    assert {k: kwargs.get(k) for k in expected} == expected
