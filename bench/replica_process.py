"""The replica site served from its own process, for the benchmarks: the server does not share
the measured process's interpreter. Imported by the bench scripts (run as `python bench/X.py`)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SERVE = """
import sys, time
from dataclasses import replace
sys.path.insert(0, {root!r})
from remarkwatch.demo.replica.content import generated_releases
from remarkwatch.demo.replica.server import ReplicaServer
from remarkwatch.demo.replica.site import Site
urls = []
for i in range({hosts}):
    # Each site its own post ids, as distinct sites have (documents are keyed by them).
    releases = [replace(r, post_id=r.post_id + 1_000_000 * i) for r in generated_releases({releases}, seed=7 + i)]
    site = Site(releases, per_page=50)
    site.validators = {validators}
    site.latency_s = {latency}
    urls.append(ReplicaServer(site, host=f"127.0.0.{{i + 1 if {hosts} == 1 else i + 2}}").start().base_url)
print(" ".join(urls), flush=True)
time.sleep(36000)
"""


def start_replica(releases: int, *, hosts: int = 1, validators: bool = True,
                  latency: float = 0.0) -> tuple[subprocess.Popen, list[str]]:
    """HOSTS replica sites of RELEASES generated releases each (one on 127.0.0.1, or several on
    127.0.0.2, 127.0.0.3, ...); the process (kill it when done) and each site's base URL."""
    process = subprocess.Popen([sys.executable, "-c", SERVE.format(root=str(ROOT), releases=releases, hosts=hosts,
                                                                   validators=validators, latency=latency)],
                               stdout=subprocess.PIPE, text=True)
    return process, process.stdout.readline().split()
