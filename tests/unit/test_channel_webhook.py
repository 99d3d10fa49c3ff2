"""The webhook channel: its declarations, its config checks, and signed POSTs to a real receiver
on loopback."""
from __future__ import annotations

import pytest

from remarkwatch.alerts.channels.base import Channel, secret_values
from remarkwatch.alerts.channels.webhook import CHANNEL, sign
from tests.receivers import SECRET, WebhookReceiver
from tests.unit.channel_config import config_error, load_channel, sample_message

ENV = {"RW_HOOK_SECRET": SECRET}
HOOK = {"kind": "webhook", "url": "http://127.0.0.1:9/hook", "secret_env": "RW_HOOK_SECRET"}


@pytest.fixture(scope="module")
def running():
    with WebhookReceiver() as receiver:     # one for the file: stopping one takes half a second
        yield receiver


@pytest.fixture
def receiver(running):
    running.received.clear()
    running.script.clear()
    return running


@pytest.mark.parametrize("change, message", [
    ({"secret_env": None}, "missing required key 'secret_env' for a webhook channel"),
    ({"url": None}, "a webhook channel needs `url` or `url_env`"),
    ({"url": ""}, "a webhook channel needs `url` or `url_env`"),
    ({"secret": "inline"}, "unknown key 'secret' for a webhook channel"),
    ({"url": "ftp://h/"}, "'ftp://h/' is not an http(s) URL"),
    ({"url": "http:///path"}, "is not an http(s) URL"),
    ({"max_bytes": 1000}, "unknown key 'max_bytes' for a webhook channel"),
    ({"url": 3}, "expected a string, got int 3"),
])
def test_config_errors_name_the_key(tmp_path, change, message):
    table = {k: v for k, v in {**HOOK, **change}.items() if v is not None}
    assert message in config_error(tmp_path, **table)


@pytest.mark.parametrize("table, options", [
    (HOOK, {"url": HOOK["url"], "secret_env": "RW_HOOK_SECRET"}),
    ({"kind": "webhook", "url_env": "RW_HOOK_URL", "secret_env": "S"}, {"url_env": "RW_HOOK_URL", "secret_env": "S"}),
])
def test_valid_tables_keep_their_own_keys_as_options(tmp_path, table, options):
    channel = load_channel(tmp_path, **table, retry_base_s=0)
    assert (channel.kind, channel.options, channel.retry_base_s) == ("webhook", options, 0)


def test_secrets_are_the_signing_secret_the_url_variable_and_a_literal_url():
    channel = Channel("hook", "webhook", options={"url_env": "RW_URL", "secret_env": "RW_SECRET"})
    env = {"RW_URL": "https://hooks.example/T0/secret-path", "RW_SECRET": "s3"}
    assert channel.secret_names() == ["RW_SECRET", "RW_URL"]
    assert sorted(secret_values(channel, env)) == sorted(env.values())
    literal = Channel("hook", "webhook", options={"url": "https://hooks.example/T0/x", "secret_env": "RW_SECRET"})
    assert sorted(secret_values(literal, env)) == ["https://hooks.example/T0/x", "s3"]
    assert CHANNEL.size_limit(literal) is None


@pytest.mark.parametrize("status, ok", [(200, True), (202, True), (204, True), (302, False), (404, False),
                                        (500, False)])
def test_only_a_2xx_answer_is_delivered_and_every_post_is_signed(receiver, status, ok):
    message = sample_message()
    receiver.script.append(status)
    channel = Channel("hook", "webhook", timeout_s=2, options={"url": receiver.url, "secret_env": "RW_HOOK_SECRET"})
    result = CHANNEL.send(channel, message, ENV)
    assert (result.ok, result.status) == (ok, status)
    assert result.error is None if ok else result.error.startswith(f"HTTP {status}")
    received = receiver.received[0]
    assert received.signature_ok and received.path == "/hook"
    assert received.headers["X-Remarkwatch-Signature"] == sign(SECRET, received.body)
    assert received.headers["X-Remarkwatch-Idempotency-Key"] == "rw-test-key"
    assert received.headers["X-Remarkwatch-Schema"] == "remarkwatch.alert/1"
    assert received.json == message.payload


def test_url_from_the_environment_and_missing_variables(receiver):
    channel = Channel("hook", "webhook", options={"url_env": "RW_HOOK_URL", "secret_env": "RW_HOOK_SECRET"})
    assert CHANNEL.send(channel, sample_message(), {**ENV, "RW_HOOK_URL": receiver.url}).ok
    assert CHANNEL.send(channel, sample_message(), ENV).error == "$RW_HOOK_URL is not set"
    assert CHANNEL.send(channel, sample_message(), {"RW_HOOK_URL": receiver.url}).error == "$RW_HOOK_SECRET is not set"
    assert len(receiver.received) == 1


def test_errors_never_carry_the_url_token():
    token_url = "http://127.0.0.1:9/services/T000/B000/XXXXsecretXXXX?token=abcdef"
    channel = Channel("hook", "webhook", timeout_s=1, options={"url_env": "RW_HOOK_URL", "secret_env": "RW_HOOK_SECRET"})
    result = CHANNEL.send(channel, sample_message(), {**ENV, "RW_HOOK_URL": token_url})
    assert not result.ok and result.error.startswith("ConnectionError")
    assert "XXXXsecretXXXX" not in result.error and "T000" not in result.error and "abcdef" not in result.error
