"""A site's signals in the clustered mode, end to end: the coordinator seeds each signal once for
the sources that need it and a real `remarkwatch worker` reads the one response for each of them,
as a single-machine pass does (tests/integration/test_shared_signals.py, the same passes over
three state.gov sources of one replica), with a real redis-server."""
from __future__ import annotations

import json
import signal
import time

import pytest

from remarkwatch.crawler.cluster.frontier import Keys
from remarkwatch.demo.replica.content import demo_releases
from remarkwatch.demo.replica.server import ReplicaServer
from remarkwatch.demo.replica.site import Site
from tests.conftest import forked
from tests.integration.test_shared_signals import WRONG, Replica, config, passes
from tests.system.cluster_support import REDIS, start_worker

pytestmark = [pytest.mark.slow, pytest.mark.skipif(REDIS is None, reason="redis-server is not installed (dev.py "
                                                                         "installs Debian's where it can: apt-get as root)")]


def coordinate(path, *args):
    """The coordinator's pass: exit 3, since the wrong source's listing is a problem each time."""
    ran = forked("crawl", "--config", path, "--now", *args, timeout=120)
    assert ran.returncode == 3 and f"listing {WRONG}" not in ran.stdout, ran.stdout + ran.stderr
    return ran


def test_a_clustered_pass_reads_each_signal_once_for_the_sites_sources(cluster, tmp_path):
    site = Site(demo_releases())
    prefix = "signals"          # apart from the module's other workers and passes
    with ReplicaServer(site) as server:
        replica = Replica(site, server.base_url)
        path = config(tmp_path, server.base_url, f'\n[cluster]\nredis_url = "{cluster["redis"].url}"\n'
                                                  f'key_prefix = "{prefix}"\nworker_wait_s = 8\n')
        worker = start_worker(cluster, prefix, path)
        try:
            client, deadline = cluster["redis"].client(), time.monotonic() + 30
            while not client.get(Keys(prefix).worker(prefix)) and time.monotonic() < deadline:
                time.sleep(0.1)
            assert json.loads(client.get(Keys(prefix).worker(prefix)) or b"{}").get("id") == prefix
            passes(path, replica, coordinate)
            # The wrong source alone (its third failed pass: exit 1, source-failing): the feed's ten
            # releases are no source's, counted by the worker that read the feed.
            alone = forked("crawl", "--config", path, "--now", "--source", "wrong", timeout=120)
            assert "10 outside every listing" in alone.stdout and "0 pages fetched" in alone.stdout
        finally:
            worker.send_signal(signal.SIGTERM)
            worker.wait(60)
