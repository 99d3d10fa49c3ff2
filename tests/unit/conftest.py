"""Helpers two or more unit test files share: the replica Wayback Machine in process and a config
whose one source is state.gov, read from that replica, and a state.gov release as it was served."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from remarkwatch.config import Config, build_config
from remarkwatch.demo.replica.content import demo_releases
from remarkwatch.demo.replica.site import article_2025
from remarkwatch.demo.replica.wayback import WaybackArchive, WaybackReplica

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
def _wayback_replica():
    # One server for every test: stopping one waits out serve_forever's half-second poll.
    with WaybackReplica(WaybackArchive()) as replica:
        yield replica


@pytest.fixture
def wayback(_wayback_replica):
    """An empty replica archive served on loopback: (archive, base URL)."""
    archive = _wayback_replica.httpd.archive = WaybackArchive()
    return archive, _wayback_replica.base_url
