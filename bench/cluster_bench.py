"""Benchmark: the clustered mode with 1, 2 and 4 workers, and the archive writer's ceiling.

Run by hand:  .venv/bin/python bench/cluster_bench.py [--hosts 20] [--releases 1000] [--workers 1 2 4]
                                                      [--latency 0.1] [--delay 0.2] [--fill 3000]

A replica of HOSTS sites on distinct loopback addresses (127.0.0.2, 127.0.0.3, ...), served from
its own process, each answering every request after LATENCY seconds, RELEASES releases each; one
source per site with a politeness delay of DELAY seconds per host. For each worker count: a
redis-server on a free port, that many `remarkwatch worker` processes, and one `remarkwatch
crawl` (the coordinator and archive writer) of the whole replica into a fresh archive; pages/s
and the peak RSS of each process. The writer's ceiling is measured apart: FILL capture entries
(real pages, extracted) are put in the stream first, then written by the coordinator's writer
alone. Everything runs signed, with a cluster secret made up for the run.
"""
from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from replica_process import start_replica  # noqa: E402

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def peak_rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def write_config(folder: Path, bases: list[str], releases: int, delay: float, redis_url: str, prefix: str) -> Path:
    lines = ['db = "archive.db"', "concurrency = 1", ""]
    for i, base in enumerate(bases):
        lines += ["[[sources]]", f'name = "site{i + 1}"', 'profile = "state.gov"',
                  f'start_urls = ["{base}/press-releases/"]', f"max_listing_pages = {releases // 50 + 1}",
                  f"delay_s = {delay}", ""]
    lines += ["[cluster]", f'redis_url = "{redis_url}"', f'key_prefix = "{prefix}"', "worker_wait_s = 60"]
    path = folder / "remarkwatch.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def start_redis(folder: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen([shutil.which("redis-server"), "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                "--appendonly", "no", "--dir", str(folder)], stdout=subprocess.DEVNULL)
    import redis

    url = f"redis://127.0.0.1:{port}/0"
    for _ in range(100):
        try:
            redis.Redis.from_url(url).ping()
            return process, url
        except redis.RedisError:
            time.sleep(0.05)
    raise RuntimeError("redis-server did not start")


def crawl_with(workers: int, bases: list[str], args) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        redis_process, url = start_redis(folder)
        config = write_config(folder, bases, args.releases, args.delay, url, f"bench{workers}")
        procs = [subprocess.Popen([sys.executable, "-m", "remarkwatch", "worker", "--config", str(config), "--id", f"w{i}"],
                                  cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                 for i in range(workers)]
        try:
            time.sleep(3)       # the workers are up (imports, Redis) before the clock starts
            started = time.perf_counter()
            coordinator = subprocess.Popen([sys.executable, "-m", "remarkwatch", "crawl", "--config", str(config)],
                                           cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            peaks = {p.pid: 0.0 for p in procs}
            coordinator_peak = 0.0
            while coordinator.poll() is None:
                coordinator_peak = max(coordinator_peak, peak_rss_mb(coordinator.pid))
                for p in procs:
                    peaks[p.pid] = max(peaks[p.pid], peak_rss_mb(p.pid))
                time.sleep(0.2)
            seconds = time.perf_counter() - started
            out, err = coordinator.communicate()
        finally:
            for p in procs:
                p.send_signal(signal.SIGTERM)
            for p in procs:
                try:
                    p.wait(30)
                except subprocess.TimeoutExpired:
                    p.kill()
            redis_process.kill()
        line = (out.strip().splitlines() or [err.strip()[-300:]])[-1]
        pages = int(line.split(": ")[1].split(" pages")[0]) if " pages fetched" in line else 0
        return {"workers": workers, "seconds": seconds, "pages": pages, "rate": pages / seconds, "line": line,
                "coordinator_mb": coordinator_peak, "worker_mb": max(peaks.values())}


def writer_ceiling(count: int) -> tuple[float, int]:
    """FILL captures of distinct new documents in the stream, then the writer alone."""
    from remarkwatch.crawler.cluster.frontier import Keys
    from remarkwatch.crawler.cluster.stream import capture_to_entry
    from remarkwatch.crawler.judge import judge
    from remarkwatch.crawler.items import Capture
    from remarkwatch.crawler.profiles import get_profile
    from remarkwatch.cluster.connection import cluster_signer
    from remarkwatch.cluster.coordinator import ClusterPass
    from remarkwatch.config import load_config
    from remarkwatch.demo.replica.content import generated_releases
    from remarkwatch.demo.replica.site import article_2019
    from remarkwatch.storage.db import open_db

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        redis_process, url = start_redis(folder)
        try:
            base = "http://127.0.0.2:8000"
            config = load_config(write_config(folder, [base], count, 0, url, "ceiling"))
            profile = get_profile("state.gov")
            client = __import__("redis").Redis.from_url(url)
            keys = Keys("ceiling")
            signer = cluster_signer(config)
            for release in generated_releases(count, seed=99):
                body = article_2019(release, base).encode()
                capture = Capture(source="site1", url=base + release.path, final_url=base + release.path, status=200,
                                  fetched_at="2026-11-27T00:00:00+00:00", outcome="ok", body=body,
                                  content_type="text/html; charset=UTF-8", extractor="state.gov/2",
                                  headers=[("Content-Type", "text/html; charset=UTF-8")])
                judge(capture, text=lambda b=body: b.decode(), profile=profile, fallback=None)
                client.xadd(keys.stream, signer.sign_fields(capture_to_entry(capture)))
            db = open_db(config.db_path)
            step = ClusterPass(config, db, config.sources, redis=client, signer=signer)
            step.open()
            started = time.perf_counter()
            written = step.drain(block_ms=100)
            seconds = time.perf_counter() - started
            step.book.close()
            if step.book.fatal is not None:
                raise RuntimeError(f"the writer failed: {step.book.fatal}")
            stored = db.execute("SELECT COUNT(*) FROM versions").fetchone()[0]
            if stored != count:
                raise RuntimeError(f"{stored} versions written of {count}")
            return written / seconds, written
        finally:
            redis_process.kill()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=20)
    parser.add_argument("--releases", type=int, default=1000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--delay", type=float, default=0.2)
    parser.add_argument("--fill", type=int, default=3000)
    args = parser.parse_args()
    if shutil.which("redis-server") is None:
        sys.exit("cluster_bench: redis-server is not installed (apt-get install redis-server)")
    import secrets

    from remarkwatch.crawler.cluster.signing import SECRET_ENV

    os.environ.setdefault(SECRET_ENV, secrets.token_hex(32))     # the workers and coordinators inherit it
    server, bases = start_replica(args.releases, hosts=args.hosts, latency=args.latency)
    try:
        print(f"{args.hosts} hosts x {args.releases} releases, latency {args.latency} s, delay {args.delay} s per host; "
              f"{os.cpu_count()} cores")
        results = []
        for workers in args.workers:
            found = crawl_with(workers, bases, args)
            results.append(found)
            print(f"{workers} worker(s): {found['pages']} pages in {found['seconds']:.1f} s = {found['rate']:.1f} pages/s; "
                  f"peak RSS coordinator {found['coordinator_mb']:.0f} MB, worker {found['worker_mb']:.0f} MB  "
                  f"[{found['line']}]", flush=True)
        if len(results) > 1:
            print(f"speed-up {results[-1]['workers']} workers / {results[0]['workers']}: "
                  f"{results[-1]['rate'] / results[0]['rate']:.2f}x")
        rate, written = writer_ceiling(args.fill)
        print(f"writer ceiling: {written} captures of new documents from a filled stream at {rate:.0f} captures/s")
    finally:
        server.kill()



if __name__ == "__main__":
    main()
