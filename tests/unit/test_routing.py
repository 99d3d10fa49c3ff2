"""alerts/routing.py: which channels want which change, and the outbox rows written for them in
the change's transaction (a real SQLite file)."""
from __future__ import annotations

import pytest

from remarkwatch.alerts import routing
from remarkwatch.alerts.channels.base import Channel
from remarkwatch.crawler.items import OK, Capture, Extracted
from remarkwatch.record.record import Rules, record
from remarkwatch.storage.db import open_db

EVERY = Channel("every", "webhook")
STATE_ONLY = Channel("state", "webhook", sources=("state",))
NUMBERS = Channel("numbers", "webhook", classes=("number",), min_significance=0)
LOUD = Channel("loud", "webhook", min_significance=70)
OLD_NEWS = Channel("old-news", "webhook", historical=True)


@pytest.mark.parametrize("channel, kind, source, classes, significance, wanted", [
    (EVERY, "edited", "state", ["wording"], 80, True),
    (EVERY, "edited", "state", ["cosmetic"], 5, False),          # below the alerting default
    (EVERY, "reextracted", "state", ["wording"], 0, False),      # not one of the default kinds
    (STATE_ONLY, "edited", "whitehouse", ["wording"], 80, False),
    (STATE_ONLY, "edited", "state", ["wording"], 80, True),
    (NUMBERS, "edited", "state", ["wording"], 80, False),
    (NUMBERS, "edited", "state", ["number", "wording"], 10, True),
    (LOUD, "edited", "state", ["wording"], 60, False),
    (LOUD, "edited", "state", ["wording"], 70, True),
])
def test_wants(channel, kind, source, classes, significance, wanted):
    assert routing.wants(channel, kind, source, classes, significance) is wanted


@pytest.mark.parametrize("historical, channels", [(False, ["every", "old-news"]), (True, ["old-news"])])
def test_a_historical_change_reaches_only_the_channels_that_ask(tmp_path, historical, channels):
    db = open_db(tmp_path / "a.db")
    url = "https://www.whitehouse.gov/remarks/a/"
    record(db, Capture(source="whitehouse", url=url, final_url=url, status=200, fetched_at="t", outcome=OK,
                       fields=Extracted(title="Remarks", body_text="Hello.")), Rules(site="whitehouse.gov"), None,
           "2026-12-02T10:00:00+00:00")       # a real change for the outbox rows to name (change 1)
    with db.atomic():
        ids = routing.enqueue_change(db, [EVERY, STATE_ONLY, OLD_NEWS], 1, kind="edited", source="whitehouse",
                                     classes=["wording"], significance=80, now="2026-12-02T10:00:00+00:00",
                                     historical=historical)
    rows = list(db.query("SELECT channel, change_id, idempotency_key FROM outbox ORDER BY id"))
    assert [r["channel"] for r in rows] == channels and len(ids) == len(channels)
    assert all(r["change_id"] == 1 and r["idempotency_key"].startswith("rw-") for r in rows)
    assert len({r["idempotency_key"] for r in rows}) == len(rows), "one key per delivery"
