"""Shared test fixtures: a replica site on loopback, configs in tmp dirs, the CLI as a subprocess."""
from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from remarkwatch.demo.replica.content import demo_releases
from remarkwatch.demo.replica.server import ReplicaServer
from remarkwatch.demo.replica.site import LISTING, Site
from remarkwatch.storage.db import open_db

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
REAL = SHARED / "fixtures" / "real"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def shared_file(*parts: str) -> Path:
    """A file from ../shared, or a clean skip when that folder is not beside the project."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is not available (../shared is absent)")
    return path


@pytest.fixture
def site():
    return Site(demo_releases())


@pytest.fixture
def server(site):
    with ReplicaServer(site) as srv:
        yield srv


def write_config(directory: Path, base_url: str, *, profile: str = "state.gov", listing: str = LISTING,
                 **extra) -> Path:
    lines = ['db = "archive.db"', "concurrency = 4", "", "[[sources]]", 'name = "replica"',
             f'profile = "{profile}"', f'start_urls = ["{base_url}{listing}"]',
             "max_listing_pages = 10", "delay_s = 0",
             # Tests exercise change handling, not timing: every pass is due, every document re-checked.
             'schedule = "1s"', 'recheck = [["*", "0s"]]']
    lines += [f"{key} = {value}" for key, value in extra.items()]
    path = directory / "remarkwatch.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def config_path(tmp_path, server):
    return write_config(tmp_path, server.base_url)


def run_cli(*args, cwd=None, env=None, timeout=90, check=False) -> subprocess.CompletedProcess:
    """Run `python -m remarkwatch ARGS` as a user would, in a real subprocess."""
    full_env = {**os.environ, **(env or {})}
    result = subprocess.run(
        [sys.executable, "-m", "remarkwatch", *map(str, args)], cwd=cwd or ROOT, env=full_env,
        capture_output=True, text=True, timeout=timeout,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"remarkwatch {' '.join(map(str, args))} exited {result.returncode}:\n"
                             f"{result.stdout}\n{result.stderr}")
    return result


def crawl(config_path: Path, *extra) -> subprocess.CompletedProcess:
    return run_cli("crawl", "--config", config_path, *extra, check=True)


def rows_so_far(db_path: Path, table: str) -> int:
    """Rows of `table` in an archive another process is writing (0 while it cannot be read)."""
    try:
        with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=5) as conn:
            return conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
    except sqlite3.Error:
        return 0


def db_at(config_path: Path):
    return open_db(config_path.parent / "archive.db")
