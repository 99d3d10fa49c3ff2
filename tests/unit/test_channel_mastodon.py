"""The Mastodon channel (issue 26, item 6): its config checks, and a post with the change's card
and alt text to a Mastodon replica on loopback that answers as the real API does (recorded
format: tests/receivers.py MastodonReplica); then the whole road, outbox to post, on a real
archive."""
from __future__ import annotations

import json
import re

import pytest

from remarkwatch.alerts.channels.base import Channel
from remarkwatch.alerts.channels.mastodon import CHANNEL, status_text
from remarkwatch.alerts.message import build, change_item
from remarkwatch.alerts.sample import sample_change
from remarkwatch.publish.card import ShareCard
from tests.receivers import MASTODON_TOKEN, MastodonReplica
from tests.unit.channel_config import config_error, load_channel, sample_message

ENV = {"RW_MASTODON_TOKEN": MASTODON_TOKEN}
CARD = ShareCard(b"\x89PNG\r\n\x1a\n-a-card-", "Silent edit to “Briefing”: “forces” was replaced by “refugees”.",
                 "remarkwatch-change-7.png")


def channel_for(replica, **options) -> Channel:
    return Channel("social", "mastodon", options={"instance": replica.url, "token_env": "RW_MASTODON_TOKEN",
                                                  **options})


def with_card(message=None):
    message = message or sample_message()
    message.card = CARD
    return message


@pytest.mark.parametrize("table, error", [
    ({"token_env": "T"}, "missing required key 'instance' for a mastodon channel"),
    ({"instance": "https://m.example"}, "missing required key 'token_env'"),
    ({"instance": "mastodon.social", "token_env": "T"}, "instance: 'mastodon.social' is not an http(s) URL"),
    ({"instance": "https://m.example", "token_env": "T", "visibility": "everyone"},
     "visibility: 'everyone' (valid: public, unlisted, private, direct)"),
    ({"instance": "https://m.example", "token_env": "T", "max_chars": 10}, "max_chars: the instance's post limit"),
    ({"instance": "https://m.example", "token_env": "T", "token": "x"}, "unknown key 'token' for a mastodon channel"),
])
def test_config_errors_name_the_key(tmp_path, table, error):
    assert error in config_error(tmp_path, kind="mastodon", **table)


def test_a_valid_table_wants_the_card_unless_told_not_to(tmp_path):
    channel = load_channel(tmp_path, kind="mastodon", instance="https://m.example", token_env="T")
    assert CHANNEL.wants_card(channel) and channel.secret_names() == ["T"]
    assert not CHANNEL.wants_card(load_channel(tmp_path, kind="mastodon", instance="https://m.example",
                                               token_env="T", card=False))


def test_the_replica_receives_the_image_and_its_alt_text():
    message = with_card()
    with MastodonReplica() as replica:
        result = CHANNEL.send(channel_for(replica, visibility="unlisted"), message, ENV)
    assert (result.ok, result.status) == (True, 200), result.error
    assert replica.requests == ["POST /api/v2/media", "POST /api/v1/statuses"]
    media = replica.media[0]
    assert (media["file"], media["content_type"], media["filename"]) == (CARD.png, "image/png", CARD.name)
    assert media["description"] == CARD.alt
    status = replica.statuses[0]
    assert [m["id"] for m in status["media_attachments"]] == [media["id"]]
    assert status["visibility"] == "unlisted" and status["idempotency_key"] == message.idempotency_key
    assert status["content"].startswith("Silent edit: “Department Press Briefing – July 27, 2021")
    assert "turn 2, MS PORTER: “forces” → “refugees”" in status["content"]
    assert status["content"].endswith("https://www.state.gov/briefings/department-press-briefing-july-27-2021/")


def test_a_card_still_processing_is_waited_for():
    with MastodonReplica() as replica:
        replica.media_script = ["processing"]
        result = CHANNEL.send(channel_for(replica), with_card(), ENV)
    assert result.ok, result.error
    polled = f"GET /api/v1/media/{replica.media[0]['id']}"
    assert replica.requests == ["POST /api/v2/media", polled, polled, "POST /api/v1/statuses"]   # 206, then 200


@pytest.mark.parametrize("token, script, status, error", [
    ("wrong-token", [], 401, "uploading the card: HTTP 401 The access token is invalid"),
    (MASTODON_TOKEN, [422], 422, "uploading the card: HTTP 422 Validation failed: File could not be processed"),
])
def test_a_refusal_is_a_failed_result_without_the_token_and_without_a_post(token, script, status, error):
    with MastodonReplica() as replica:
        replica.media_script = script
        result = CHANNEL.send(channel_for(replica), with_card(), {"RW_MASTODON_TOKEN": token})
    assert (result.ok, result.status, result.error) == (False, status, error)
    assert replica.statuses == [] and token not in (result.error or "")


def test_a_retried_delivery_makes_one_post():
    message = with_card()
    with MastodonReplica() as replica:
        first, again = (CHANNEL.send(channel_for(replica), message, ENV) for _ in range(2))
    assert first.ok and again.ok and len(replica.statuses) == 1


@pytest.mark.parametrize("title, url", [
    ("Short", "https://www.state.gov/b/"),
    ("Remarks " * 120, "https://www.state.gov/" + "long-slug-" * 40),
    ("“Quoted” – é " * 60, "https://www.state.gov/b/"),
])
def test_the_post_fits_500_characters_with_links_counted_as_23(title, url):
    change = {**sample_change(), "title": title, "url": url}
    change["edits"] = [{**change["edits"][0], "old": "forces " * 50, "new": "refugees " * 50}]
    message = build([change_item(change)], ["k1"])
    text = status_text(Channel("s", "mastodon", options={}), message)
    assert len(re.sub(r"https?://\S+", "x" * 23, text)) <= 500 and text.endswith(url)
    with MastodonReplica() as replica:                 # the replica refuses a post over the limit
        assert CHANNEL.send(channel_for(replica), message, ENV).ok


def test_a_digest_posts_its_short_text_without_a_card():
    message = build([change_item(sample_change()), change_item({**sample_change(), "id": 1})], ["a", "b"])
    with MastodonReplica() as replica:
        assert CHANNEL.send(channel_for(replica), message, ENV).ok
    assert replica.media == [] and replica.statuses[0]["content"] == message.short
    assert replica.statuses[0]["content"].count("Department Press Briefing") == 2


def test_the_whole_road_from_the_outbox_posts_the_card_of_the_change(tmp_path):
    """A real archive: an edit recorded through ingest, its outbox row, deliver() to the replica."""
    from remarkwatch.alerts.sender import deliver
    from remarkwatch.crawler.items import OK, Capture, Extracted
    from remarkwatch.record.ingest import ingest
    from remarkwatch.storage import outbox, runs
    from remarkwatch.storage.db import open_db

    db = open_db(tmp_path / "a.db")
    for _ in range(2):
        runs.start_run(db, ["s"], "2026-12-01T10:00:00+00:00")
    body = "MR PRICE: We call on all armed actors to stop attacks against Eritrean forces and all refugees."
    for run, text in ((1, body), (2, body.replace("Eritrean forces", "Eritrean refugees"))):
        fields = Extracted(title="Briefing", body_text=text, post_id="1", canonical_url="https://www.state.gov/b/",
                           modified_time="t1")
        ingest(db, Capture(source="s", url="https://www.state.gov/b/", final_url="https://www.state.gov/b/",
                           status=200, fetched_at="t", outcome=OK, fields=fields, extractor="state.gov/2"),
               site="state.gov", run_id=run, now=f"2026-12-0{run}T10:00:00+00:00")
    change_id = next(db.query("SELECT id FROM changes WHERE kind = 'edited'"))["id"]
    outbox.enqueue(db, [{"channel": "social", "change_id": change_id, "idempotency_key": "rw-k",
                         "created_at": "2026-12-02T10:00:00+00:00", "next_attempt_at": "2026-12-02T10:00:00+00:00"}])
    with MastodonReplica() as replica:
        report = deliver(db, [channel_for(replica)], lambda: "2026-12-02T10:01:00+00:00", env=ENV,
                         public_url="https://archive.example.org")
    assert report.counts["delivered"] == 1, report.errors
    media = replica.media[0]
    assert media["file"].startswith(b"\x89PNG") and "Removed (struck through on the card): “forces”." in \
        media["description"]
    assert f"Permalink: https://archive.example.org/-/change/{change_id}" in media["description"]
    assert replica.statuses[0]["content"].endswith(f"https://archive.example.org/-/change/{change_id}")
    assert json.loads(json.dumps(replica.statuses[0]))["media_attachments"][0]["id"] == media["id"]


def test_test_alert_posts_the_sample_with_its_card(tmp_path):
    from tests.conftest import invoke
    from tests.unit.channel_config import SOURCE

    with MastodonReplica() as replica:
        path = tmp_path / "remarkwatch.toml"
        path.write_text(SOURCE + f'\n[[alerts]]\nname = "social"\nkind = "mastodon"\ninstance = "{replica.url}"\n'
                                 'token_env = "RW_MASTODON_TOKEN"\n', encoding="utf-8")
        ran = invoke("test-alert", "social", "--config", path, env=ENV, check=True)
    assert "channel social: delivered" in ran.stdout
    media = replica.media[0]
    assert media["file"].startswith(b"\x89PNG") and "Removed (struck through on the card): “forces”." in \
        media["description"]
    assert [m["id"] for m in replica.statuses[0]["media_attachments"]] == [media["id"]]
