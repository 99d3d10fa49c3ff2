"""Apprise channel: any Apprise URL (Slack, Discord, Teams, Matrix, ntfy, Telegram, json:// ...).

The URL usually holds a token, so it is read from the environment variable named by `url_env`
(a literal `url` is accepted for token-free services).
"""
from __future__ import annotations

import os

import apprise

from remarkwatch.alerts.channels.base import Channel
from remarkwatch.alerts.message import Message
from remarkwatch.alerts.result import Result


def send(channel: Channel, message: Message, env=None) -> Result:
    env = os.environ if env is None else env
    url = env.get(channel.option("url_env"), "") if channel.option("url_env") else channel.option("url")
    notifier = apprise.Apprise()
    if not url or not notifier.add(url):
        where = f"${channel.option('url_env')}" if channel.option("url_env") else "url"
        return Result(False, error=f"{where} is not a valid Apprise URL")
    delivered = notifier.notify(title=message.subject, body=message.short or message.text,
                                 body_format=apprise.NotifyFormat.TEXT)
    return Result(True) if delivered else Result(False, error="the Apprise service did not accept the message")
