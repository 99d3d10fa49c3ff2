"""E-mail channel: SMTP with STARTTLS, TLS or neither; multipart plain text and HTML.

Credentials come from the environment variables named by `username_env` and `password_env`.
Only a message the server accepts counts as delivered.
"""
from __future__ import annotations

import os
import smtplib
import socket
import ssl
from email.message import EmailMessage
from datetime import datetime, timezone
from email.utils import format_datetime, make_msgid, parseaddr

from remarkwatch.alerts.channels.base import Channel
from remarkwatch.alerts.message import Message
from remarkwatch.alerts.result import Result

DEFAULT_MAX_BYTES = 512_000


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


def send(channel: Channel, message: Message, env=None) -> Result:
    env = os.environ if env is None else env
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
