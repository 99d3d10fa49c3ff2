"""Shared test fixtures: a replica site on loopback, configs in tmp dirs, the CLI in process or as a subprocess."""
from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

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


UNIT = Path(__file__).resolve().parent / "unit"


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config):
    """`pytest tests/unit` runs in one process per core (two at most), not in pyproject's four
    workers: the unit tests wait on nothing, and each worker imports Scrapy, lxml and the rest
    again (1,386 unit tests: 24 s in one process, 18 s in two, 24 s in four, on 2 cores). An `-n`
    given on the command line itself is obeyed."""
    if hasattr(config, "workerinput") or os.environ.get("PYTEST_XDIST_WORKER"):
        return                  # an xdist worker: it runs tests, it never starts workers of its own
    asked = any(arg.startswith(("-n", "--numprocesses")) for arg in config.invocation_params.args)
    paths = [Path(arg.split("::")[0]).resolve() for arg in config.args]
    if not asked and paths and all(path == UNIT or UNIT in path.parents for path in paths):
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
        if cores < 2 or len(paths) == 1 and paths[0] != UNIT:       # one file: not worth a second import
            config.option.numprocesses, config.option.dist = 0, "no"
        else:
            config.option.numprocesses = 2


HEAVY_FILES = Path(__file__).resolve().parent / "heavy_files.txt"
_LAYER_ORDER = {"system": 0, "integration": 1, "unit": 2}


def pytest_collection_modifyitems(config, items):
    """The heaviest test files first (`heavy_files.txt`, from a measured run), then the rest by
    layer, system before integration before unit: pyproject's four workers each take whole files
    (`--dist loadfile`, `--no-loadscope-reorder`), so the long files that mostly wait on servers
    and subprocesses start at once and the many short unit files fill the gaps at the end. xdist's
    own order (files with the most tests first) left the daemon, crash and helper-process files
    to the last minute, each running alone. Tests inside a file keep their order."""
    rank = _heavy_rank()

    def key(item):
        path = item.nodeid.split("::", 1)[0]
        layer = path.split("/")[1] if path.count("/") >= 2 else ""
        return rank.get(path, len(rank)), _LAYER_ORDER.get(layer, len(_LAYER_ORDER))

    items.sort(key=key)         # stable: a file's tests stay in their order


def _heavy_rank() -> dict[str, int]:
    if not HEAVY_FILES.exists():
        return {}
    paths = [line.split()[0] for line in HEAVY_FILES.read_text(encoding="utf-8").splitlines()
             if line.strip() and not line.startswith("#")]
    return {path: index for index, path in enumerate(paths)}


@pytest.fixture
def site():
    return Site(demo_releases())


@pytest.fixture
def server(site):
    with ReplicaServer(site) as srv:
        yield srv


def write_config(directory: Path, base_url: str, *, profile: str = "state.gov", listing: str = LISTING,
                 extract_workers: int | str = 0, **extra) -> Path:
    """A config for the replica site at `base_url`; `extra` keys go into its source.

    Pages are extracted in the crawl's own process (`extract_workers = 0`) unless asked: a helper
    process costs each crawl an interpreter start and imports, about 80 of them in the suite. The
    helper path (the default, "auto") is held by test_pool, the daemon, the kill tests and the demo,
    which ask for it."""
    workers = f'"{extract_workers}"' if isinstance(extract_workers, str) else extract_workers
    lines = ['db = "archive.db"', "concurrency = 4", f"extract_workers = {workers}", "", "[[sources]]", 'name = "replica"',
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
    """Run `python -m remarkwatch ARGS` as a user would, in a new interpreter: for the tests where that
    process is the point (the installed script, a cron line, signals, kill -9, locks across processes,
    the daemon, memory). Behaviour and output checks use `invoke`, crawls `crawl` or `forked`."""
    full_env = {**os.environ, **(env or {})}
    result = subprocess.run(
        [sys.executable, "-m", "remarkwatch", *map(str, args)], cwd=cwd or ROOT, env=full_env,
        capture_output=True, text=True, timeout=timeout,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"remarkwatch {' '.join(map(str, args))} exited {result.returncode}:\n"
                             f"{result.stdout}\n{result.stderr}")
    return result


@dataclass
class Ran:
    """What a command did: the fields of subprocess.CompletedProcess that tests read."""
    returncode: int
    stdout: str
    stderr: str


# Loggers the CLI re-levels at every start (remarkwatch.cli.main._setup_logging), put back after.
_RELEVELED = ("", "scrapy", "twisted", "py.warnings", "asyncio", "apprise", "urllib3")


def invoke(*args, cwd=None, env=None, check=False) -> Ran:
    """Run `remarkwatch ARGS` in this process (click's CliRunner), as `run_cli` does in a subprocess:
    exit code, stdout, stderr, with `env` added to the environment and `cwd` as the working folder.

    For every command that does not crawl. A crawl runs Scrapy's Twisted reactor, which cannot be
    started twice in one process: `crawl`, `demo` and `worker` go through `forked` (or `run_cli`). The CLI
    replaces the root logger's handlers with one on its (here: captured) stderr; they are put back."""
    from remarkwatch.cli.main import cli

    loggers = [logging.getLogger(name) for name in _RELEVELED]
    saved = [(logger, logger.level) for logger in loggers]
    root = logging.getLogger()
    handlers = list(root.handlers)
    try:
        with contextlib.chdir(cwd or ROOT):
            result = CliRunner().invoke(cli, [str(a) for a in args], env=env, catch_exceptions=False)
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in handlers:
            root.addHandler(handler)
        for logger, level in saved:
            logger.setLevel(level)
    ran = Ran(result.exit_code, result.stdout, result.stderr)
    if check and ran.returncode != 0:
        raise AssertionError(f"remarkwatch {' '.join(map(str, args))} exited {ran.returncode}:\n"
                             f"{ran.stdout}\n{ran.stderr}")
    return ran


def forked(*args, cwd=None, env=None, timeout=90, check=False) -> Ran:
    """Run `remarkwatch ARGS` in a forked child (tests/forked.py), as `run_cli` does in a subprocess:
    a real process of its own (so a crawl can start Scrapy's reactor), without the second or so of
    interpreter start and imports a subprocess pays each time."""
    from tests import forked as fork

    argv = [str(a) for a in args]
    code, out, err = fork.run(argv, cwd=str(cwd or ROOT), env={**os.environ, **(env or {})}, timeout=timeout)
    if check and code != 0:
        raise AssertionError(f"remarkwatch {' '.join(argv)} exited {code}:\n{out}\n{err}")
    return Ran(code, out, err)


def crawl(config_path: Path, *extra, env=None) -> Ran:
    return forked("crawl", "--config", config_path, *extra, env=env, check=True)


def rows_so_far(db_path: Path, table: str) -> int:
    """Rows of `table` in an archive another process is writing (0 while it cannot be read)."""
    try:
        with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=5) as conn:
            return conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
    except sqlite3.Error:
        return 0


def db_at(config_path: Path):
    return open_db(config_path.parent / "archive.db")
