"""The clustered mode end to end: a real redis-server on a free loopback port (Debian's; dev.py
installs it where it can), real `remarkwatch worker` processes, the coordinator's `crawl`, the
replica site. One Redis, one pair of workers and one replica per module, shared by the tests;
each test writes its own archive (--db). Everything runs with a cluster secret in the environment,
as a cluster must; the hostile cases of issue 27 (items 3, 10, 22) write into that Redis as an
attacker who can reach it but holds no secret would."""
from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from remarkwatch.crawler.cluster.signing import SECRET_ENV, Signer
from remarkwatch.demo.replica.content import demo_releases
from remarkwatch.demo.replica.server import ReplicaServer
from remarkwatch.demo.replica.site import Site
from remarkwatch.storage.db import integrity_check, open_db
from tests.conftest import ROOT, run_cli
from tests.receivers import free_port

REDIS = shutil.which("redis-server")
pytestmark = pytest.mark.skipif(REDIS is None, reason="redis-server is not installed (dev.py installs Debian's "
                                                        "where it can: apt-get as root)")
EDIT = (demo_releases()[0].slug, "Eritrean forces", "Eritrean refugees")
SECRET = "a-cluster-secret-for-the-system-tests"


class Redis:
    """redis-server on loopback with its append-only file on (fsync always), restartable."""

    def __init__(self, folder: Path):
        self.folder, self.port = folder, free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None

    def start(self, *extra: str) -> "Redis":
        self.process = subprocess.Popen([REDIS, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                         "--appendonly", "yes", "--appendfsync", "always", "--dir", str(self.folder),
                                         *extra], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        import redis

        deadline = time.monotonic() + 10
        while True:
            try:
                redis.Redis.from_url(self.url).ping()
                return self
            except redis.AuthenticationError:       # up, asking for a password
                return self
            except redis.RedisError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def kill(self) -> None:
        self.process.kill()
        self.process.wait()

    def client(self):
        import redis

        return redis.Redis.from_url(self.url)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cluster")
    secret = pytest.MonkeyPatch()
    secret.setenv(SECRET_ENV, SECRET)           # the workers and the coordinator read it
    redis = Redis(folder).start()
    site, polite = Site(demo_releases()), Site(demo_releases()[:4])
    with ReplicaServer(site) as server, ReplicaServer(polite) as polite_server:
        config = folder / "remarkwatch.toml"
        config.write_text(
            'db = "archive.db"\nconcurrency = 4\n\n'
            + source_table("replica", server.base_url, 0) + source_table("polite", polite_server.base_url, 0.25)
            + f'[cluster]\nredis_url = "{redis.url}"\nworker_wait_s = 8\n', encoding="utf-8")
        state = {"config": config, "redis": redis, "site": site, "polite": polite, "folder": folder, "workers": {},
                 "polite_url": polite_server.base_url}
        try:
            yield state
        finally:
            for process in state["workers"].values():
                process.kill()
                process.wait()
            redis.kill()
            secret.undo()


def source_table(name: str, base: str, delay: float) -> str:
    return (f'[[sources]]\nname = "{name}"\nprofile = "state.gov"\nstart_urls = ["{base}/press-releases/"]\n'
            f'max_listing_pages = 10\ndelay_s = {delay}\nschedule = "1s"\nrecheck = [["*", "0s"]]\n\n')


def start_worker(state, name: str, config: Path | None = None) -> subprocess.Popen:
    # Its log goes to a file: a pipe nobody reads would stop the worker once full.
    log = (state["folder"] / f"worker-{name}.log").open("ab")
    process = subprocess.Popen([sys.executable, "-m", "remarkwatch", "worker", "--config", str(config or state["config"]),
                                "--id", name], cwd=ROOT, stdout=log, stderr=log)
    state["workers"][name] = process
    return process


def workers_up(state, *names: str) -> None:
    """These workers running and heard from (restarted when a test killed one)."""
    for name in names:
        process = state["workers"].get(name)
        if process is None or process.poll() is not None:
            start_worker(state, name)
    client = state["redis"].client()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        alive = {json.loads(client.get(k))["id"] for k in client.scan_iter("remarkwatch:worker:*") if client.get(k)}
        if set(names) <= alive:
            return
        time.sleep(0.1)
    raise AssertionError(f"workers {names} did not come up")


def coordinate(state, db: str, *args, timeout: float = 120) -> subprocess.CompletedProcess:
    return run_cli("crawl", "--config", str(state["config"]), "--db", str(state["folder"] / db), *args, timeout=timeout)


def snapshot(path: Path) -> tuple:
    db = sqlite3.connect(path)
    versions = sorted(db.execute("SELECT d.key, v.content_hash, v.title FROM versions v JOIN documents d "
                                 "ON d.id = v.document_id").fetchall())
    changes = sorted(db.execute("SELECT d.key, c.kind, c.changed_fields, c.classes, c.significance FROM changes c "
                                "JOIN documents d ON d.id = c.document_id").fetchall())
    return versions, changes


def test_a_cluster_crawl_finds_what_a_single_process_finds(cluster, tmp_path):
    workers_up(cluster, "w1", "w2")
    single = tmp_path / "single.toml"
    text = cluster["config"].read_text(encoding="utf-8")
    single.write_text(text.split("[cluster]")[0].replace('"archive.db"', f'"{tmp_path / "single.db"}"'), encoding="utf-8")
    site = cluster["site"]
    for step in range(2):
        done = coordinate(cluster, "equal.db", "--source", "replica")
        assert done.returncode == 0, done.stderr
        assert run_cli("crawl", "--config", str(single), "--source", "replica").returncode == 0
        if step == 0:
            first = done.stdout
            site.edit(*EDIT)
    assert "34 new" in first and "(10 via feed)" in first
    assert "1 edited" in done.stdout
    assert snapshot(cluster["folder"] / "equal.db") == snapshot(tmp_path / "single.db")
    db = open_db(cluster["folder"] / "equal.db")
    assert db.execute("SELECT COUNT(*) FROM captures WHERE capture_key IS NOT NULL").fetchone()[0] > 0
    assert integrity_check(db) == ["ok"]
    # `status` shows the workers and the backlog.
    status = json.loads(run_cli("status", "--config", str(cluster["config"]), "--db",
                                str(cluster["folder"] / "equal.db"), "--json").stdout)["cluster"]
    assert {w["id"] for w in status["workers"]} >= {"w1", "w2"}
    assert status["backlog"]["frontier"] == 0 and status["backlog"]["lag"] == 0
    assert sum(w["pages"] for w in status["workers"]) >= 68
    text_status = run_cli("status", "--config", str(cluster["config"]), "--db", str(cluster["folder"] / "equal.db")).stdout
    assert "worker w1 on" in text_status and "frontier 0 requests" in text_status


def test_politeness_holds_across_workers(cluster):
    """Two workers, one host asking 0.25 s between requests: together they keep it.

    The replica stamps a request when its thread gets to it, so a stamp can come late, which
    shortens the next gap by as much as it lengthens its own (seen: 0.34 s then 0.16 s under load,
    0.28 s then 0.22 s during a suite run). So the pace over the whole pass must hold the delay,
    and no single gap may come near two workers firing at once (without the shared pacer, two
    workers make gaps of about half the delay, many near 0)."""
    workers_up(cluster, "w1", "w2")
    polite = cluster["polite"]
    polite.hit_times.clear()
    done = coordinate(cluster, "polite.db", "--source", "polite")
    assert done.returncode == 0, done.stderr
    times = sorted(t for path, t in polite.hit_times if path != "/robots.txt")
    assert len(times) >= 6
    gaps = [b - a for a, b in zip(times, times[1:])]
    assert (times[-1] - times[0]) / len(gaps) >= 0.25 - 0.01, gaps
    assert min(gaps) >= 0.25 - 0.1, gaps


def test_a_retry_after_holds_for_every_worker(cluster):
    """One worker is told 429 Retry-After: 2 s; no worker asks that host anything before then."""
    from remarkwatch.demo.replica.site import Response

    workers_up(cluster, "w1", "w2")
    polite = cluster["polite"]
    article = demo_releases()[1].path
    polite.once[article] = Response(429, b"slow down", "text/plain", (("Retry-After", "2"),))
    polite.hit_times.clear()
    done = coordinate(cluster, "retry.db", "--source", "polite")
    assert done.returncode == 0, done.stderr
    hits = sorted((t, path) for path, t in polite.hit_times if path != "/robots.txt")
    refused = next(t for t, path in hits if path == article)
    after = [t for t, _ in hits if t > refused]
    assert after and min(after) - refused >= 2 - 0.05, [round(t - refused, 2) for t in after]
    db = open_db(cluster["folder"] / "retry.db")
    assert db.execute("SELECT COUNT(*) FROM documents").fetchone()[0] == 4     # the retry came through


def test_a_worker_killed_mid_pass_loses_nothing_for_good(cluster):
    workers_up(cluster, "w1", "w2")
    site = cluster["site"]
    site.latency_s = 0.15
    start = len(site.hit_times)
    try:
        coordinator = subprocess.Popen([sys.executable, "-m", "remarkwatch", "crawl", "--config", str(cluster["config"]),
                                        "--db", str(cluster["folder"] / "killed.db"), "--source", "replica"],
                                       cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 30
        while len(site.hit_times) < start + 18 and time.monotonic() < deadline:
            time.sleep(0.02)
        cluster["workers"]["w1"].send_signal(signal.SIGKILL)
        out, err = coordinator.communicate(timeout=90)
        assert coordinator.returncode == 0, err
    finally:
        site.latency_s = 0
    db = open_db(cluster["folder"] / "killed.db")
    documents = db.execute("SELECT COUNT(*) FROM documents").fetchone()[0]
    # What the killed worker had taken (a listing page takes what it links to along) is missing
    # from this pass at most: the next pass has it.
    assert 0 < documents <= 34
    workers_up(cluster, "w2")
    again = coordinate(cluster, "killed.db", "--source", "replica")
    assert again.returncode == 0, again.stderr
    assert db.execute("SELECT COUNT(*) FROM documents").fetchone()[0] == 34
    assert db.execute("SELECT COUNT(*) FROM versions").fetchone()[0] == 34     # none twice
    assert integrity_check(db) == ["ok"]


def test_a_killed_writer_leaves_nothing_written_twice(cluster):
    """The coordinator killed mid-pass: what the workers pushed meanwhile waits in the stream,
    and the next run writes it once; an entry delivered again is skipped by its key."""
    workers_up(cluster, "w1", "w2")
    site = cluster["site"]
    site.latency_s = 0.1
    try:
        coordinator = subprocess.Popen([sys.executable, "-m", "remarkwatch", "crawl", "--config", str(cluster["config"]),
                                        "--db", str(cluster["folder"] / "writer.db"), "--source", "replica"],
                                       cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        path = cluster["folder"] / "writer.db"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if sqlite3.connect(path).execute("SELECT COUNT(*) FROM captures").fetchone()[0] >= 5:
                    break
            except sqlite3.Error:
                pass
            time.sleep(0.02)
        coordinator.send_signal(signal.SIGKILL)
        coordinator.wait()
        time.sleep(1.5)        # the workers finish the frontier into the stream
    finally:
        site.latency_s = 0
    client = cluster["redis"].client()
    assert client.xlen("remarkwatch:captures") > 0
    done = coordinate(cluster, "writer.db", "--source", "replica")
    assert done.returncode == 0, done.stderr
    db = open_db(path)
    assert db.execute("SELECT COUNT(*) FROM versions").fetchone()[0] == 34
    assert db.execute("SELECT COUNT(*) FROM changes").fetchone()[0] == 34
    # The same capture delivered again (a writer killed between its commit and its ack).
    from remarkwatch.crawler.cluster.stream import capture_to_entry
    from remarkwatch.crawler.items import Capture

    key, url = db.execute("SELECT capture_key, url FROM captures WHERE capture_key IS NOT NULL LIMIT 1").fetchone()
    entry = capture_to_entry(Capture(source="replica", url=url, final_url=url, status=200,
                                     fetched_at="2026-11-27T00:00:00+00:00", outcome="http_error", error="again"))
    client.xadd("remarkwatch:captures", Signer(SECRET.encode()).sign_fields({**entry, "key": key}))
    assert coordinate(cluster, "writer.db", "--source", "replica").returncode == 0
    assert db.execute("SELECT COUNT(*) FROM captures WHERE capture_key = ?", [key]).fetchone()[0] == 1
    assert db.execute("SELECT COUNT(*) FROM captures WHERE error = 'again'").fetchone()[0] == 0
    assert integrity_check(db) == ["ok"]


def test_redis_restarted_mid_pass_fails_cleanly_or_resumes(cluster):
    workers_up(cluster, "w1", "w2")
    site = cluster["site"]
    site.latency_s = 0.1
    path = cluster["folder"] / "restart.db"
    start = len(site.hit_times)
    try:
        coordinator = subprocess.Popen([sys.executable, "-m", "remarkwatch", "crawl", "--config", str(cluster["config"]),
                                        "--db", str(path), "--source", "replica"],
                                       cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 30
        while len(site.hit_times) < start + 10 and time.monotonic() < deadline:
            time.sleep(0.02)
        cluster["redis"].kill()
        time.sleep(1)
        cluster["redis"].start()
        out, err = coordinator.communicate(timeout=90)
    finally:
        site.latency_s = 0
    assert coordinator.returncode in (1, 3) and "Traceback" not in err, err
    assert "Redis restarted mid-pass" in err or "no progress for" in err or "Redis unreachable" in err, err
    db = open_db(path)
    assert integrity_check(db) == ["ok"]
    workers_up(cluster, "w1", "w2")
    again = coordinate(cluster, "restart.db", "--source", "replica")
    assert again.returncode == 0, again.stderr
    assert db.execute("SELECT COUNT(*) FROM documents").fetchone()[0] == 34
    assert db.execute("SELECT COUNT(*) FROM versions").fetchone()[0] == 34


def test_a_malformed_stream_entry_goes_to_the_dead_letters_and_the_writer_goes_on(cluster):
    """Issue 27, item 4: one entry the writer cannot read (a forged or truncated capture) used to
    stop the archive writer for good. It is moved to the dead-letter stream with its reason,
    counted in the pass and in `status`, and every other capture is written."""
    workers_up(cluster, "w1", "w2")
    client = cluster["redis"].client()
    client.delete("remarkwatch:captures:dead")
    client.xadd("remarkwatch:captures", {"type": "capture", "source": "replica", "key": "forged",
                                         "capture": "{not json", "body": "!!"})
    done = coordinate(cluster, "poison.db", "--source", "replica")
    assert "Traceback" not in done.stderr and "1 stream entries could not be written" in done.stderr, done.stderr
    assert open_db(cluster["folder"] / "poison.db").execute("SELECT COUNT(*) FROM documents").fetchone()[0] == 34
    [(_, dead)] = client.xrange("remarkwatch:captures:dead")
    assert dead[b"_entry"] and dead[b"_error"] and dead[b"key"] == b"forged"
    status = run_cli("status", "--config", str(cluster["config"]), "--db", str(cluster["folder"] / "poison.db"))
    assert "1 dead letters" in status.stdout, status.stdout + status.stderr


def test_a_worker_with_another_config_refuses_work(cluster, tmp_path):
    workers_up(cluster, "w1", "w2")
    other = tmp_path / "other.toml"
    other.write_text(cluster["config"].read_text(encoding="utf-8").replace("delay_s = 0\n", "delay_s = 1\n", 1),
                     encoding="utf-8")
    odd = start_worker(cluster, "odd", other)
    client = cluster["redis"].client()
    deadline = time.monotonic() + 20
    state = None
    while time.monotonic() < deadline:
        raw = client.get("remarkwatch:worker:odd")
        state = json.loads(raw) if raw else None
        if state and state.get("refusing"):
            break
        time.sleep(0.1)
    odd.send_signal(signal.SIGTERM)
    odd.wait(20)
    assert state and "configuration differs from the coordinator's" in state["refusing"]
    # Issue 27, item 22: it names the key that differs, not two hashes.
    assert "sources.replica.delay_s (1.0 here, 0.0 there)" in state["refusing"], state["refusing"]


@pytest.mark.parametrize("args", [["crawl"], ["worker"]])
def test_an_unreachable_redis_stops_at_once_with_exit_2(tmp_path, args):
    config = tmp_path / "remarkwatch.toml"
    config.write_text(source_table("replica", "http://127.0.0.1:9", 0) + f'[cluster]\nredis_url = '
                      f'"redis://127.0.0.1:{free_port()}/0"\n', encoding="utf-8")
    done = run_cli(*args, "--config", str(config), timeout=60, env={SECRET_ENV: SECRET})
    assert done.returncode == 2 and "cannot reach Redis" in done.stderr and "Traceback" not in done.stderr
    env = {**os.environ, "REMARKWATCH_REDIS_URL": "http://not-redis/"}
    done = run_cli("check-config", "--config", str(config), env=env)
    assert done.returncode == 2 and "is not a Redis URL" in done.stderr


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
    done = run_cli("crawl", "--config", str(config), "--db", str(tmp_path / "alone.db"), "--source", "replica")
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
        refused = run_cli("check-config", "--config", str(config))
        assert refused.returncode == 2 and "cannot reach Redis" in refused.stderr, refused.stderr
        env = {"REMARKWATCH_REDIS_PASSWORD": "the-workers-password"}
        checked = run_cli("check-config", "--config", str(config), env=env)
        assert checked.returncode == 0 and "reachable" in checked.stdout, checked.stderr
        assert "the-workers-password" not in checked.stdout + checked.stderr
        log = (tmp_path / "worker.log").open("ab")
        worker = subprocess.Popen([sys.executable, "-m", "remarkwatch", "worker", "--config", str(config), "--id", "acl"],
                                  cwd=ROOT, stdout=log, stderr=log, env={**os.environ, **env})
        try:
            done = run_cli("crawl", "--config", str(config), "--source", "polite", env=env)
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
        wait_for(lambda: run_cli("check-config", "--config", str(config)).returncode == 0)
        untrusted = tmp_path / "untrusted.toml"
        untrusted.write_text(text.replace(cluster["redis"].url, url), encoding="utf-8")
        refused = run_cli("check-config", "--config", str(untrusted))
        assert refused.returncode == 2 and "certificate verify failed" in refused.stderr, refused.stderr
        log = (tmp_path / "worker.log").open("ab")
        worker = subprocess.Popen([sys.executable, "-m", "remarkwatch", "worker", "--config", str(config), "--id", "tls"],
                                  cwd=ROOT, stdout=log, stderr=log)
        try:
            done = run_cli("crawl", "--config", str(config), "--source", "polite")
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
