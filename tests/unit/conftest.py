"""Helpers two or more unit test files share: the replica Wayback Machine in process and a config
whose one source is state.gov, read from that replica, and a state.gov release as it was served."""
from __future__ import annotations

import dataclasses
import shutil
import threading
from pathlib import Path

import pytest

from remarkwatch.config import Config, build_config
from remarkwatch.demo.replica.content import demo_releases
from remarkwatch.demo.replica.site import article_2025
from remarkwatch.demo.replica.wayback import WaybackArchive, WaybackReplica
from remarkwatch.storage.db import open_db

STATE = "https://www.state.gov"
RELEASE = dataclasses.replace(demo_releases()[0], layout="2025")
URL = STATE + RELEASE.path


def release_page(old: str | None = None, new: str | None = None) -> bytes:
    """The release's page in the 2025 layout, with `old` replaced by `new` in its body when given."""
    release = RELEASE.edited(old, new, "2021-07-28T10:00:00+00:00") if old else RELEASE
    return article_2025(release, STATE).encode()


def state_config(directory: Path, sources: list[dict] | None = None, **top) -> Config:
    """One state.gov source (or `sources`), and more top-level keys as in the config file."""
    sources = sources or [{"name": "state", "profile": "state.gov", "start_urls": [STATE + "/remarks/"]}]
    return build_config({"db": "archive.db", "sources": sources, **top}, directory / "remarkwatch.toml")


def as_redis_returns(entry: dict) -> dict:
    """A stream entry as Redis hands it back: bytes keys and values."""
    return {k.encode(): v if isinstance(v, bytes) else str(v).encode() for k, v in entry.items()}


@pytest.fixture(scope="session")
def _migrated(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("template") / "archive.db"
    open_db(path).close()
    return path


@pytest.fixture
def archive_path(_migrated, tmp_path) -> Path:
    """tmp_path/archive.db, an empty archive with every migration applied (what `state_config`
    names): copied from one made per session, since migrating each costs ten times the copy."""
    path = tmp_path / "archive.db"
    shutil.copyfile(_migrated, path)
    return path


@pytest.fixture(scope="session")
def served(_migrated):
    """An empty archive served as `remarkwatch serve` serves it (Datasette, read-only), for the
    tests that only read: each instance's first answer costs a good part of a second."""
    from remarkwatch.web.server import build_datasette

    return build_datasette(_migrated)


@pytest.fixture(scope="session")
def _wayback_replica():
    # One server for every test, polling for its stop every 50 ms instead of serve_forever's
    # 500 ms: stopping it otherwise costs the suite half a second.
    replica = WaybackReplica(WaybackArchive())
    replica.thread = threading.Thread(target=replica.httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                      daemon=True)
    with replica:
        yield replica


@pytest.fixture
def wayback(_wayback_replica):
    """An empty replica archive served on loopback: (archive, base URL)."""
    archive = _wayback_replica.httpd.archive = WaybackArchive()
    return archive, _wayback_replica.base_url
