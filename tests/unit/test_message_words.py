"""alerts/message.py: what a person reads of an alert (the text, the HTML, the chat-sized text)
says times and stored summaries in words; the JSON payload keeps the stored summary and ISO."""
from __future__ import annotations

import re

import pytest

from remarkwatch.alerts import message as messages
from remarkwatch.alerts.sample import sample_change

ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d")
STORED = "gone since 2026-11-27T12:00:06+00:00"


@pytest.mark.parametrize("item", [
    messages.event_item({"kind": "source-failing", "source": "state", "detail": STORED, "id": 4,
                         "detected_at": "2026-11-27T12:05:00+00:00"}),
    messages.change_item({**sample_change(), "kind": "removed", "edits": [], "summary": STORED,
                          "detected_at": "2026-11-27T12:05:00+00:00"}),
    messages.change_item({**sample_change(), "kind": "new", "edits": [], "summary": STORED,
                          "detected_at": "2026-11-27T12:05:00+00:00"}),
])
def test_what_a_person_reads_has_no_iso_times(item):
    message = messages.build([item], ["k"])
    for shown in (message.short, message.text, message.html):
        assert not ISO.search(shown.replace(message.payload.get("url") or "-", "")), shown
    assert "27 Nov 2026, 12:00 UTC" in message.short + message.text
    assert message.payload["summary"] == STORED and message.payload["detected_at"] == "2026-11-27T12:05:00+00:00"
