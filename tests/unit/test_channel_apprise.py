"""The Apprise channel: its declarations, its config checks, and a json:// URL reaching a real
receiver on loopback."""
from __future__ import annotations

import pytest

from remarkwatch.alerts.channels.apprise_url import CHANNEL
from remarkwatch.alerts.channels.base import Channel, secret_values
from tests.receivers import WebhookReceiver
from tests.unit.channel_config import config_error, load_channel, sample_message


@pytest.mark.parametrize("table, message", [
    ({}, "a apprise channel needs `url` or `url_env`"),
    ({"url": ""}, "a apprise channel needs `url` or `url_env`"),
    ({"url": 3}, ".url: expected a string, got int 3"),
    ({"url_env": "U", "secret_env": "S"}, "unknown key 'secret_env' for a apprise channel"),
    ({"url": "json://h", "max_bytes": 3}, "unknown key 'max_bytes' for a apprise channel"),
])
def test_config_errors_name_the_key(tmp_path, table, message):
    assert message in config_error(tmp_path, kind="apprise", **table)


@pytest.mark.parametrize("table", [{"url": "ntfy://topic"}, {"url_env": "RW_APPRISE_URL"}])
def test_valid_tables_keep_their_own_keys_as_options(tmp_path, table):
    channel = load_channel(tmp_path, kind="apprise", **table)
    assert (channel.kind, channel.options) == ("apprise", table)


def test_the_url_is_the_secret_from_the_environment_or_literal():
    from_env = Channel("chat", "apprise", options={"url_env": "RW_APPRISE_URL"})
    env = {"RW_APPRISE_URL": "slack://T000/B000/XXXXsecret"}
    assert from_env.secret_names() == ["RW_APPRISE_URL"]
    assert secret_values(from_env, env) == [env["RW_APPRISE_URL"]]
    literal = Channel("chat", "apprise", options={"url": "ntfy://topic"})
    assert (literal.secret_names(), secret_values(literal, env)) == ([], ["ntfy://topic"])
    assert CHANNEL.size_limit(literal) is None


@pytest.mark.parametrize("status, ok, error", [
    (200, True, None), (500, False, "the Apprise service did not accept the message (JSON)"),
])
def test_a_json_url_posts_a_chat_sized_message(status, ok, error):
    with WebhookReceiver() as receiver:
        receiver.script = [status]
        channel = Channel("chat", "apprise", options={"url_env": "RW_APPRISE_URL"})
        env = {"RW_APPRISE_URL": f"json://127.0.0.1:{receiver.port}/apprise"}
        result = CHANNEL.send(channel, sample_message(), env)
    assert (result.ok, result.error) == (ok, error)
    body = receiver.received[0].json
    assert receiver.received[0].path == "/apprise"
    assert body["title"].startswith("[remarkwatch] edited (silent)") and "refugees" in body["message"]
    # Chat-sized: title, summary and a link, no diff.
    assert len(body["message"]) < 600 and "https://www.state.gov/" in body["message"]
    assert "--- before" not in body["message"]
    assert "turn 2, MS PORTER: “forces” → “refugees”" in body["message"]       # the edit in words


@pytest.mark.parametrize("options, env, error", [
    ({"url_env": "RW_APPRISE_URL"}, {}, "$RW_APPRISE_URL is not a valid Apprise URL"),
    ({"url_env": "RW_APPRISE_URL"}, {"RW_APPRISE_URL": "nonsense"}, "$RW_APPRISE_URL is not a valid Apprise URL"),
    ({"url": "nonsense://x"}, {}, "url is not a valid Apprise URL"),
])
def test_an_unusable_url_is_a_failed_attempt(options, env, error):
    result = CHANNEL.send(Channel("chat", "apprise", options=options), sample_message(), env)
    assert (result.ok, result.error) == (False, error)


def test_a_card_is_attached_and_the_text_fitted_to_the_service():
    import base64

    from remarkwatch.publish.card import ShareCard

    message = sample_message()
    message.card = ShareCard(b"\x89PNG-card", "alt words", "remarkwatch-change-0.png")
    channel = Channel("chat", "apprise", options={"url_env": "RW_APPRISE_URL", "card": True})
    assert CHANNEL.wants_card(channel) and not CHANNEL.wants_card(Channel("c", "apprise", options={}))
    with WebhookReceiver() as receiver:
        result = CHANNEL.send(channel, message, {"RW_APPRISE_URL": f"json://127.0.0.1:{receiver.port}/a"})
    assert result.ok, result.error
    body = receiver.received[0].json
    [attached] = body["attachments"]
    assert (attached["filename"], attached["mimetype"]) == ("remarkwatch-change-0.png", "image/png")
    assert base64.b64decode(attached["base64"]) == b"\x89PNG-card"
    assert body["message"].startswith("Silent edit: “Department Press Briefing") and \
        "turn 2, MS PORTER: “forces” → “refugees”" in body["message"]
