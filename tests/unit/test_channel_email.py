"""The e-mail channel: its declarations, its config checks, and mail through a real aiosmtpd on
loopback, plain, STARTTLS and implicit TLS, with and without a login."""
from __future__ import annotations


import pytest

from remarkwatch.alerts.channels.base import Channel, secret_values
from remarkwatch.alerts.channels.mail import CHANNEL
from tests.receivers import SmtpHandler, SmtpServer, tls_pair
from tests.unit.channel_config import config_error, load_channel, sample_message

USER, PASSWORD = "alerts", "pw-not-in-any-file"
ENV = {"RW_SMTP_USER": USER, "RW_SMTP_PASSWORD": PASSWORD}
MAIL = {"kind": "email", "smtp_host": "127.0.0.1", "from": "remarkwatch@example.org", "to": ["desk@example.org"]}


@pytest.mark.parametrize("change, message", [
    ({"to": None}, "missing required key 'to' for a email channel"),
    ({"smtp_host": None}, "missing required key 'smtp_host' for a email channel"),
    ({"to": ["nobody"]}, ".to: a list of e-mail addresses"),
    ({"to": []}, ".to: a list of e-mail addresses"),
    ({"security": "ssl"}, ".security: 'ssl' (valid: starttls, tls, none)"),
    ({"ca_file": "/nonexistent/ca.pem"}, ".ca_file: /nonexistent/ca.pem is not a readable file (a PEM CA bundle)"),
    ({"url": "http://h/"}, "unknown key 'url' for a email channel"),
    ({"max_bytes": "big"}, ".max_bytes: expected a whole number"),
    ({"smtp_port": "25"}, ".smtp_port: expected a whole number"),
])
def test_config_errors_name_the_key(tmp_path, change, message):
    table = {k: v for k, v in {**MAIL, **change}.items() if v is not None}
    assert message in config_error(tmp_path, **table)


def test_a_valid_table_keeps_its_own_keys_as_options(tmp_path):
    channel = load_channel(tmp_path, **MAIL, security="none", max_bytes=20_000, kinds=["edited"])
    assert channel.kind == "email" and channel.kinds == ("edited",)
    assert channel.options == {**{k: v for k, v in MAIL.items() if k != "kind"}, "security": "none", "max_bytes": 20_000}


def test_the_password_is_a_secret_and_the_user_name_is_not():
    channel = Channel("desk", "email", options={**MAIL, "username_env": "RW_SMTP_USER", "password_env": "RW_SMTP_PASSWORD"})
    assert channel.secret_names() == ["RW_SMTP_PASSWORD", "RW_SMTP_USER"]      # both must be set to send
    assert secret_values(channel, ENV) == [PASSWORD]                           # only one is kept out of logs


@pytest.mark.parametrize("max_bytes, limit", [(None, 512_000), (20_000, 20_000)])
def test_the_size_limit_defaults_and_can_be_set(max_bytes, limit):
    options = {**MAIL, **({"max_bytes": max_bytes} if max_bytes else {})}
    assert CHANNEL.size_limit(Channel("desk", "email", options=options)) == limit


@pytest.mark.parametrize("security, login", [("none", False), ("none", True), ("starttls", True), ("tls", False)])
def test_mail_reaches_a_real_smtp_server(tmp_path, security, login):
    ca, server_context = tls_pair()
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    handler = SmtpHandler()
    tls = server_context if security != "none" else None
    with SmtpServer(handler, tls_context=tls, user=(USER, PASSWORD) if login else None,
                    implicit_tls=security == "tls") as smtp:
        options = {**MAIL, "smtp_port": smtp.port, "security": security, "ca_file": str(ca_file)}
        if login:
            options.update(username_env="RW_SMTP_USER", password_env="RW_SMTP_PASSWORD")
        result = CHANNEL.send(Channel("desk", "email", timeout_s=5, options=options), sample_message(), ENV)
    assert (result.ok, result.status, result.error) == (True, 250, None)
    mail = handler.messages[0]
    assert mail["To"] == "desk@example.org" and mail["From"] == "remarkwatch@example.org"
    assert mail["Subject"].startswith("[remarkwatch] edited (silent): Department Press Briefing")
    assert mail["Date"].endswith("+0000") and mail["Message-ID"].endswith("@example.org>")
    assert mail["X-Remarkwatch-Idempotency-Key"] == "rw-test-key"
    assert "[-forces-] {+refugees+}" in mail.get_body(("plain",)).get_content()
    assert "<del" in mail.get_body(("html",)).get_content()


@pytest.mark.parametrize("refuse, password, status, error", [
    (1, PASSWORD, 451, "SMTP 451: 4.3.0 Try again later"),
    (0, "wrong", 535, "SMTP 535: 5.7.8 Authentication credentials invalid"),
])
def test_only_a_message_the_server_accepts_is_delivered(tmp_path, refuse, password, status, error):
    handler = SmtpHandler(refuse=refuse)
    with SmtpServer(handler, user=(USER, PASSWORD)) as smtp:
        options = {**MAIL, "smtp_port": smtp.port, "security": "none",
                   "username_env": "RW_SMTP_USER", "password_env": "RW_SMTP_PASSWORD"}
        channel = Channel("desk", "email", timeout_s=5, options=options)
        result = CHANNEL.send(channel, sample_message(), {**ENV, "RW_SMTP_PASSWORD": password})
    assert (result.ok, result.status, result.error) == (False, status, error)
    assert handler.messages == []


def test_an_unreachable_server_is_a_failed_attempt():
    channel = Channel("desk", "email", timeout_s=1, options={**MAIL, "smtp_port": 9, "security": "none"})
    result = CHANNEL.send(channel, sample_message(), ENV)
    assert not result.ok and result.error.startswith("ConnectionRefusedError")
