"""run_pass without a crawl (Scrapy's reactor runs once a process, so the crawls themselves are in
the integration and system suites): the pass lock, the plan, the delivery after the lock, and the
choice of sources. A real SQLite file and a real webhook receiver on loopback."""
from __future__ import annotations

import dataclasses
import json
import os
import socket

import pytest

from remarkwatch.clock import utcnow
from remarkwatch.config import load_config
from remarkwatch.errors import ConfigError
from remarkwatch.passes.run import pick_sources, run_pass
from remarkwatch.record.health import record_source_pass
from remarkwatch.storage import outbox
from remarkwatch.storage import schedule as schedule_store
from remarkwatch.storage.db import open_db
from tests.conftest import write_config
from tests.receivers import SECRET, WebhookReceiver


@pytest.fixture
def receiver(monkeypatch):
    monkeypatch.setenv("RW_HOOK_SECRET", SECRET)
    with WebhookReceiver() as hook:
        yield hook


def configured(tmp_path, hook_url: str | None, schedule: str = "1s"):
    path = write_config(tmp_path, "http://127.0.0.1:9")
    path.write_text(path.read_text().replace('schedule = "1s"', f'schedule = "{schedule}"'))
    if hook_url:
        keys = {"name": "hook", "kind": "webhook", "url": hook_url, "secret_env": "RW_HOOK_SECRET",
                "kinds": ["source-failing"], "timeout_s": 2}
        path.write_text(path.read_text() + "\n[[alerts]]\n" + "\n".join(f"{k} = {json.dumps(v)}"
                                                                       for k, v in keys.items()) + "\n")
    return load_config(path)


def not_due(db, config) -> None:
    """Every source started just now, on an hourly schedule: none is due."""
    with db.atomic():
        for source in config.sources:
            schedule_store.save_source_state(db, source.name, last_started_at=utcnow())


def lock_held_elsewhere(db, config) -> None:
    """The pass lock held by a live process that is not this one (pytest's parent)."""
    db["locks"].insert({"name": "pass", "pid": os.getppid(), "host": socket.gethostname(),
                        "acquired_at": utcnow()}, replace=True)


def alert_pending(db, config) -> None:
    record_source_pass(db, "replica", failing=True, error="down", run_id=None, now=utcnow(),
                       channels=config.alerts, after=1)


@pytest.mark.parametrize("setup, said, busy, delivered", [
    # Nothing due: the waiting source is named, the lock released, the outbox still sent.
    ([not_due, alert_pending], ["replica: not due until "], False, 1),
    # Another pass holds the lock: say so, run nothing, send nothing.
    ([not_due, alert_pending, lock_held_elsewhere], ["another pass is running on "], True, 0),
    # Nothing pending: the sender still runs (its report has nothing in it).
    ([not_due], ["replica: not due until "], False, 0),
])
def test_lock_plan_and_delivery_without_a_crawl(tmp_path, receiver, setup, said, busy, delivered):
    config = configured(tmp_path, receiver.url, schedule="1h")
    db = open_db(config.db_path)
    for step in setup:
        step(db, config)
    lines = []
    outcome = run_pass(config, db=db, echo=lambda line, err=False: lines.append((line, err)))
    assert [line[:len(start)] for (line, _err), start in zip(lines, said)] == said and len(lines) == len(said)
    assert not any(err for _line, err in lines)
    assert (outcome.busy is not None) == busy
    assert outcome.results == [] and outcome.result is None
    assert len(receiver.received) == delivered
    if busy:
        assert outcome.delivery is None and outcome.waiting == {}
        assert outbox.counts(db).get("pending") == 1
    else:
        assert outcome.delivery.counts.get("delivered", 0) == delivered
        assert set(outcome.waiting) == {"replica"}
        assert schedule_store.lock_holder(db, "pass") is None      # released


def test_without_channels_nothing_is_delivered(tmp_path):
    config = configured(tmp_path, None, schedule="1h")
    db = open_db(config.db_path)
    not_due(db, config)
    outcome = run_pass(config, db=db, echo=lambda line, err=False: None)
    assert outcome.delivery is None and set(outcome.waiting) == {"replica"}


@pytest.mark.parametrize("names, error", [
    (["nope"], "nope"),
    ([], "no \\[\\[sources\\]\\] to crawl"),
])
def test_pick_sources_refuses_what_is_not_configured(tmp_path, names, error):
    config = configured(tmp_path, None)
    if not names:
        config = dataclasses.replace(config, sources=())
    with pytest.raises(ConfigError, match=error):
        pick_sources(config, names)


def test_pick_sources_named_or_all(tmp_path):
    config = configured(tmp_path, None)
    assert pick_sources(config) == list(config.sources)
    assert pick_sources(config, ["replica"]) == [config.source("replica")]


def test_several_rounds_only_in_this_process(tmp_path):
    config = configured(tmp_path, None)
    path = tmp_path / "cluster.toml"
    path.write_text((tmp_path / "remarkwatch.toml").read_text() + '\n[cluster]\nredis_url = "redis://127.0.0.1:9"\n')
    with pytest.raises(ValueError, match="only in this process"):
        run_pass(load_config(path), rounds=2)
    assert config.cluster is None
