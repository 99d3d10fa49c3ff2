"""Fixtures of the system tests."""
from __future__ import annotations

import pytest

from tests.system.cluster_support import cluster_state


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """One Redis, one pair of workers and the replicas, for a test module (cluster_support.py)."""
    yield from cluster_state(tmp_path_factory)
