"""E-mail channel: SMTP with STARTTLS, TLS or neither; multipart plain text and HTML.

Credentials come from the environment variables named by `username_env` and `password_env`.
Only a message the server accepts counts as delivered.
"""
from __future__ import annotations

import os
import smtplib
import socket
import ssl
from datetime import datetime, timezone
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from pathlib import Path
from typing import TYPE_CHECKING

from remarkwatch.alerts.channels.base import Channel, ChannelKind
from remarkwatch.alerts.result import Result
from remarkwatch.errors import ConfigError

if TYPE_CHECKING:
    from remarkwatch.alerts.message import Message

SECURITY = ("starttls", "tls", "none")


class Mail(ChannelKind):
    kind = "email"
    keys = {"smtp_host": str, "smtp_port": int, "security": str, "username_env": str,
            "password_env": str, "from": str, "to": list, "max_bytes": int, "ca_file": str}
    required = ("smtp_host", "from", "to")
    env_keys = ("password_env", "username_env")
    secret_keys = ("password_env",)      # a user name is no secret
    example = {"name": "desk-email", "kind": "email", "smtp_host": "smtp.example.org", "smtp_port": 587,
               "security": "starttls", "username_env": "REMARKWATCH_SMTP_USER",
               "password_env": "REMARKWATCH_SMTP_PASSWORD", "from": "remarkwatch@example.org",
               "to": ["desk@example.org"]}
    max_bytes = 512_000                  # `max_bytes` in the table overrides it

    def check(self, raw: dict, where: str) -> None:
        if raw.get("security", "starttls") not in SECURITY:
            raise ConfigError(f"{where}.security: {raw['security']!r} (valid: {', '.join(SECURITY)})")
        if raw.get("ca_file") and not Path(raw["ca_file"]).expanduser().is_file():
            raise ConfigError(f"{where}.ca_file: {raw['ca_file']} is not a readable file (a PEM CA bundle)")
        if "to" in raw and not (raw["to"] and all(isinstance(a, str) and "@" in a for a in raw["to"])):
            raise ConfigError(f"{where}.to: a list of e-mail addresses")

    def send(self, channel: Channel, message: Message, env=None) -> Result:
        return _smtp_send(channel, message, os.environ if env is None else env)


CHANNEL = Mail()


def compose(channel: Channel, message: Message) -> EmailMessage:
    mail = EmailMessage()
    mail["Subject"] = message.subject
    mail["From"] = channel.option("from")
    mail["To"] = ", ".join(channel.option("to"))
    mail["Date"] = format_datetime(datetime.now(timezone.utc))          # "... +0000"
    mail["Message-ID"] = make_msgid(domain=_domain(channel.option("from")))
    mail["X-Remarkwatch-Idempotency-Key"] = message.idempotency_key
    mail.set_content(message.text)
    mail.add_alternative(message.html, subtype="html")
    return mail


def _domain(sender: str) -> str:
    """The sender's own domain for the Message-ID (a fully qualified one, as RFC 5322 asks)."""
    address = parseaddr(sender or "")[1]
    domain = address.rpartition("@")[2]
    return domain if "." in domain else socket.getfqdn()


def _smtp_send(channel: Channel, message: Message, env) -> Result:
    security = channel.option("security", "starttls")
    port = channel.option("smtp_port", 465 if security == "tls" else 587 if security == "starttls" else 25)
    context = ssl.create_default_context(cafile=channel.option("ca_file"))
    try:
        if security == "tls":
            smtp = smtplib.SMTP_SSL(channel.option("smtp_host"), port, timeout=channel.timeout_s, context=context)
        else:
            smtp = smtplib.SMTP(channel.option("smtp_host"), port, timeout=channel.timeout_s)
        with smtp:
            if security == "starttls":
                smtp.starttls(context=context)
            if channel.option("username_env"):
                smtp.login(env.get(channel.option("username_env"), ""), env.get(channel.option("password_env"), ""))
            smtp.send_message(compose(channel, message))
    except smtplib.SMTPResponseException as exc:
        return Result(False, exc.smtp_code, f"SMTP {exc.smtp_code}: {_decode(exc.smtp_error)}")
    except smtplib.SMTPRecipientsRefused as exc:
        return Result(False, error=f"recipients refused: {', '.join(exc.recipients)}")
    except (smtplib.SMTPException, OSError) as exc:
        return Result(False, error=f"{type(exc).__name__}: {exc}"[:300])
    return Result(True, 250)


def _decode(value) -> str:
    return (value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value))[:200]
