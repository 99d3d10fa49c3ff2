"""What the cluster's system tests share (test_cluster.py, test_cluster_security.py): a real
redis-server on a free loopback port (Debian's; dev.py installs it where it can), real `remarkwatch
worker` processes, the replica sites. One Redis, one pair of workers and one replica per test module
(`cluster_state`, the `cluster` fixture of tests/system/conftest.py); each test writes its own archive (--db). Everything runs
with a cluster secret in the environment, as a cluster must."""
from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from remarkwatch.crawler.cluster.signing import SECRET_ENV
from remarkwatch.demo.replica.content import demo_releases
from remarkwatch.demo.replica.server import ReplicaServer
from remarkwatch.demo.replica.site import Site
from tests.conftest import ROOT, forked
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


def cluster_state(tmp_path_factory):
    """The `cluster` fixture (tests/system/conftest.py): one per test module."""
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


def coordinate(state, db: str, *args, timeout: float = 120):
    """The coordinator's `crawl` in a forked child (tests/forked.py: no interpreter start)."""
    return forked("crawl", "--config", str(state["config"]), "--db", str(state["folder"] / db), *args, timeout=timeout)


def snapshot(path: Path) -> tuple:
    db = sqlite3.connect(path)
    versions = sorted(db.execute("SELECT d.key, v.content_hash, v.title FROM versions v JOIN documents d "
                                 "ON d.id = v.document_id").fetchall())
    changes = sorted(db.execute("SELECT d.key, c.kind, c.changed_fields, c.classes, c.significance FROM changes c "
                                "JOIN documents d ON d.id = c.document_id").fetchall())
    return versions, changes
