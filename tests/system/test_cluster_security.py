"""The cluster's hostile cases (issue 27, items 3, 10, 22): an attacker who can reach its Redis but
holds no secret writes requests and entries into it; Redis ACL users and TLS. The shared Redis,
workers and replicas come from tests/system/cluster_support.py."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from remarkwatch.crawler.cluster.signing import Signer
from remarkwatch.storage.db import open_db
from tests.conftest import ROOT, forked
from tests.receivers import free_port
from tests.system.cluster_support import (
    REDIS, SECRET, Redis, coordinate, source_table, workers_up)

pytestmark = pytest.mark.skipif(REDIS is None, reason="redis-server is not installed (dev.py installs Debian's "
                                                        "where it can: apt-get as root)")


def dead_letters(client, since: int = 0) -> list[dict]:
    return [fields for _, fields in client.xrange("remarkwatch:captures:dead")][since:]


def test_a_listing_redirect_to_another_host_is_not_followed(cluster):
    """Issue 27, item 3: the worker's spider had no allowed_domains, so a listing answering with a
    redirect to another host (here another port of the loopback, an internal service) was
    followed, and what it linked stored. The offsite rule of one machine holds on every worker."""
    from remarkwatch.demo.replica.site import Response

    workers_up(cluster, "w1", "w2")
    polite = cluster["polite"]
    polite.hit_times.clear()
    target = cluster["polite_url"] + "/internal/token/"
    cluster["site"].once["/press-releases/"] = Response(302, b"", "text/html", (("Location", target),))
    done = coordinate(cluster, "redirect.db", "--source", "replica")
    assert "Traceback" not in done.stderr, done.stderr
    assert [path for path, _ in polite.hit_times if path.startswith("/internal/")] == []
    db = open_db(cluster["folder"] / "redirect.db")
    assert db.execute("SELECT COUNT(*) FROM captures WHERE final_url LIKE ?", [target + "%"]).fetchone()[0] == 0


def wait_for(predicate, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("not reached in time")
        time.sleep(0.05)


@pytest.mark.parametrize("member", [
    # unsigned, as scrapy-redis's JSON would be, for a configured source
    lambda url: json.dumps({"url": url, "callback": "parse_article", "meta": {"rw_source": "replica"}}),
    # signed with another secret
    lambda url: Signer(b"not the cluster's secret at all").wrap(json.dumps(
        {"url": url, "callback": "parse_article", "meta": {"rw_source": "replica"}}).encode()),
    # too large to be read at all: 2 MB
    lambda url: json.dumps({"url": url, "meta": {"rw_source": "replica"}, "pad": "x" * 2_000_000}),
])
def test_a_request_forged_into_the_frontier_is_never_fetched(cluster, member):
    """Issue 27, items 3 and 10: anyone who could write to the Redis had a worker fetch any URL
    (an internal page, stored in `blobs`). Workers take only requests signed with the cluster
    secret, no larger than 1 MB; the others go to the dead letters with the reason."""
    workers_up(cluster, "w1", "w2")
    client = cluster["redis"].client()
    polite = cluster["polite"]
    polite.hit_times.clear()
    before = len(dead_letters(client))
    refused = refused_by_workers(client)
    client.zadd("remarkwatch:frontier", {member(cluster["polite_url"] + "/internal/forged/"): -100})
    wait_for(lambda: client.zcard("remarkwatch:frontier") == 0)
    wait_for(lambda: len(dead_letters(client)) > before)
    [dead] = dead_letters(client, before)
    assert dead[b"_from"] == b"frontier" and dead[b"_error"]
    assert len(dead[b"request"]) <= 2000          # what is kept of it is bounded too
    assert [path for path, _ in polite.hit_times if path.startswith("/internal/")] == []
    wait_for(lambda: refused_by_workers(client) == refused + 1)      # each worker says what it refused


def refused_by_workers(client) -> int:
    states = [client.get(key) for key in client.scan_iter("remarkwatch:worker:*")]
    return sum(json.loads(state).get("refused", 0) for state in states if state)


def test_forged_and_oversized_stream_entries_are_not_recorded(cluster):
    """Issue 27, item 10: whoever could write to the Redis had any page recorded as a release (and
    alerted), and a 300 MB entry grew the writer to 995 MB. An unsigned entry, one with the right
    form but another secret, and one past the bound (4 pages + 1 MB, here 30 MB) each go to the
    dead letters; only the oversized entry's small fields are read and kept."""
    from remarkwatch.crawler.cluster.stream import capture_to_entry
    from remarkwatch.crawler.items import OK, Capture, Extracted

    workers_up(cluster, "w1", "w2")
    client = cluster["redis"].client()
    before = len(dead_letters(client))
    text = cluster["config"].read_text(encoding="utf-8")
    base = text.split('start_urls = ["', 1)[1].split("/press-releases/", 1)[0]
    forged = Capture(source="replica", url=base + "/forged-release/", final_url=base + "/forged-release/", status=200,
                     fetched_at="2026-11-27T00:00:00+00:00", outcome=OK, body=b"<html>forged</html>",
                     fields=Extracted(title="A forged release", body_text="Words nobody said."))
    client.xadd("remarkwatch:captures", capture_to_entry(forged))
    client.xadd("remarkwatch:captures", Signer(b"not the cluster's secret at all").sign_fields(capture_to_entry(forged)))
    client.xadd("remarkwatch:captures", {**capture_to_entry(forged), "body": b"x" * 30_000_000})
    done = coordinate(cluster, "forged.db", "--source", "replica")
    assert "3 stream entries could not be written" in done.stderr, done.stderr
    db = open_db(cluster["folder"] / "forged.db")
    assert db.execute("SELECT COUNT(*) FROM documents WHERE url LIKE '%forged%'").fetchone()[0] == 0
    assert db.execute("SELECT COUNT(*) FROM documents").fetchone()[0] == 34
    reasons = " | ".join(dead[b"_error"].decode() for dead in dead_letters(client, before))
    for reason in ("is not signed", "signature does not match", "bytes, over the bound"):
        assert reason in reasons, reasons
    assert all(len(b"".join(dead.values())) < 100_000 for dead in dead_letters(client, before))


def test_a_failed_pass_leaves_no_request_for_a_later_worker(cluster, tmp_path):
    """Issue 27, item 22: a pass that failed (here: no worker under its key prefix) left its
    requests in the frontier, fetched by the next worker to come, outside any pass. The frontier
    is emptied and the pass id withdrawn (a worker also drops requests of a pass that is over)."""
    config = tmp_path / "alone.toml"
    text = cluster["config"].read_text(encoding="utf-8").replace("worker_wait_s = 8", "worker_wait_s = 1")
    config.write_text(text.replace("[cluster]\n", '[cluster]\nkey_prefix = "alone"\n'), encoding="utf-8")
    done = forked("crawl", "--config", str(config), "--db", str(tmp_path / "alone.db"), "--source", "replica")
    assert done.returncode == 1 and "no live `remarkwatch worker`" in done.stderr, done.stderr
    client = cluster["redis"].client()
    assert client.zcard("alone:frontier") == 0 and client.get("alone:pass") is None


def test_a_cluster_runs_with_a_redis_acl_user(cluster, tmp_path):
    """Issue 27, item 10: a Redis with AUTH and an ACL user limited to the key prefix; the
    password comes from $REMARKWATCH_REDIS_PASSWORD, never from the config file."""
    locked = Redis(tmp_path).start("--requirepass", "the-default-users-password",
                                   "--user", "remarkwatch", "on", ">the-workers-password", "~remarkwatch:*", "+@all",
                                   "-@admin", "-flushall", "-flushdb", "-keys")
    try:
        config = tmp_path / "acl.toml"
        text = cluster["config"].read_text(encoding="utf-8")
        config.write_text(text.replace(cluster["redis"].url, f"redis://remarkwatch@127.0.0.1:{locked.port}/0")
                          .replace('"archive.db"', f'"{tmp_path / "acl.db"}"'), encoding="utf-8")
        refused = forked("check-config", "--config", str(config))
        assert refused.returncode == 2 and "cannot reach Redis" in refused.stderr, refused.stderr
        env = {"REMARKWATCH_REDIS_PASSWORD": "the-workers-password"}
        checked = forked("check-config", "--config", str(config), env=env)
        assert checked.returncode == 0 and "reachable" in checked.stdout, checked.stderr
        assert "the-workers-password" not in checked.stdout + checked.stderr
        log = (tmp_path / "worker.log").open("ab")
        worker = subprocess.Popen([sys.executable, "-m", "remarkwatch", "worker", "--config", str(config), "--id", "acl"],
                                  cwd=ROOT, stdout=log, stderr=log, env={**os.environ, **env})
        try:
            done = forked("crawl", "--config", str(config), "--source", "polite", env=env)
            assert done.returncode == 0, done.stderr + (tmp_path / "worker.log").read_text()
        finally:
            worker.send_signal(signal.SIGTERM)
            worker.wait(30)
        assert open_db(tmp_path / "acl.db").execute("SELECT COUNT(*) FROM documents").fetchone()[0] == 4
        # Issue 27, item 22: a normal stop is no warning.
        said = (tmp_path / "worker.log").read_text()
        assert "WARNING" not in said and "Traceback" not in said, said
    finally:
        locked.kill()


def test_sigterm_ends_a_workers_wait_for_a_long_delay(cluster, tmp_path):
    """Issue 27, item 13: a worker stopped while it waited for a host's delay (`delay_s = 600`)
    waited it out; it now ends the wait and exits 0 at once (30 s allowed here for a busy machine)."""
    polite = cluster["polite"]
    config = tmp_path / "slow.toml"
    config.write_text(f'db = "{tmp_path / "slow.db"}"\n\n' + source_table("slow", cluster["polite_url"], 600)
                      + f'[cluster]\nredis_url = "{cluster["redis"].url}"\nkey_prefix = "slow"\nworker_wait_s = 30\n',
                      encoding="utf-8")
    log = (tmp_path / "worker.log").open("ab")
    worker = subprocess.Popen([sys.executable, "-m", "remarkwatch", "worker", "--config", str(config), "--id", "slow"],
                              cwd=ROOT, stdout=log, stderr=log)
    polite.hit_times.clear()
    coordinator = subprocess.Popen([sys.executable, "-m", "remarkwatch", "crawl", "--config", str(config)],
                                   cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: any(path != "/robots.txt" for path, _ in polite.hit_times), 60)
        client = cluster["redis"].client()
        # The listing is fetched; what it links waits 600 s for the host: the worker is busy waiting.
        wait_for(lambda: client.get("slow:worker:slow") and not json.loads(client.get("slow:worker:slow"))["idle"])
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(30) == 0
    finally:
        for process in (worker, coordinator):
            if process.poll() is None:
                process.kill()
                process.wait()
    assert "Traceback" not in (tmp_path / "worker.log").read_text()


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A throwaway certificate for 127.0.0.1 and its key (cryptography: Scrapy's own dependency)."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "redis.crt", folder / "redis.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def test_a_cluster_runs_over_tls(cluster, tmp_path):
    """Issue 27, item 10: rediss:// with the server's CA in the URL (`ssl_ca_certs`), for the
    coordinator, the workers' scheduler and their shared pacer alike; without the CA the
    certificate is refused, exit 2."""
    cert, key = self_signed(tmp_path)
    tls_port = free_port()
    locked = Redis(tmp_path)
    locked.process = subprocess.Popen([REDIS, "--port", "0", "--tls-port", str(tls_port), "--bind", "127.0.0.1",
                                       "--save", "", "--dir", str(tmp_path), "--tls-cert-file", str(cert),
                                       "--tls-key-file", str(key), "--tls-ca-cert-file", str(cert),
                                       "--tls-auth-clients", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"rediss://127.0.0.1:{tls_port}/0"
        config = tmp_path / "tls.toml"
        text = cluster["config"].read_text(encoding="utf-8").replace('"archive.db"', f'"{tmp_path / "tls.db"}"')
        config.write_text(text.replace(cluster["redis"].url, f"{url}?ssl_ca_certs={cert}"), encoding="utf-8")
        wait_for(lambda: forked("check-config", "--config", str(config)).returncode == 0)
        untrusted = tmp_path / "untrusted.toml"
        untrusted.write_text(text.replace(cluster["redis"].url, url), encoding="utf-8")
        refused = forked("check-config", "--config", str(untrusted))
        assert refused.returncode == 2 and "certificate verify failed" in refused.stderr, refused.stderr
        log = (tmp_path / "worker.log").open("ab")
        worker = subprocess.Popen([sys.executable, "-m", "remarkwatch", "worker", "--config", str(config), "--id", "tls"],
                                  cwd=ROOT, stdout=log, stderr=log)
        try:
            done = forked("crawl", "--config", str(config), "--source", "polite")
            assert done.returncode == 0, done.stderr + (tmp_path / "worker.log").read_text()
        finally:
            worker.send_signal(signal.SIGTERM)
            worker.wait(30)
        assert open_db(tmp_path / "tls.db").execute("SELECT COUNT(*) FROM documents").fetchone()[0] == 4
    finally:
        locked.kill()


@pytest.mark.parametrize("signed", [True, False])
def test_a_pass_context_is_read_only_when_signed(cluster, tmp_path, signed):
    """Issue 27, item 10: a source's pass context (what is known, what to skip) is signed too; a
    forged one (here telling the worker to skip a release, hiding its edits) is refused, kept in
    the dead letters, and the worker reads the source without it."""
    from scrapy.utils.test import get_crawler

    from remarkwatch.config import load_config
    from remarkwatch.crawler.cluster.frontier import Keys
    from remarkwatch.crawler.cluster.worker import ClusterSpider

    client = cluster["redis"].client()
    keys = Keys("ctx")
    client.delete(keys.dead)
    config = load_config(cluster["config"])
    signer = Signer(SECRET.encode())
    spider = ClusterSpider(sources={s.name: s for s in config.sources}, redis=client, keys=keys,
                           fingerprint="f" * 64, worker_id="t", signer=signer)
    spider.crawler = get_crawler(ClusterSpider)
    context = json.dumps({"known": [], "skip": ["https://www.state.gov/hidden/"], "checked": {}, "since": None}).encode()
    client.set(keys.context("replica"), signer.wrap(context) if signed else context)
    read = spider.context("replica")
    assert read.skip_urls == (frozenset({"https://www.state.gov/hidden/"}) if signed else frozenset())
    refused = [fields for _, fields in client.xrange(keys.dead)]
    assert [(f[b"_from"], f[b"source"]) for f in refused] == ([] if signed else [(b"context", b"replica")])
