"""Apprise channel: any Apprise URL (Slack, Discord, Teams, Matrix, ntfy, Telegram, json:// ...).

The URL usually holds a token, so it is read from the environment variable named by `url_env`
(a literal `url` is accepted for token-free services).
"""
from __future__ import annotations

import os
from typing import TYPE_CHECKING

from remarkwatch.alerts.channels.base import Channel, ChannelKind
from remarkwatch.alerts.result import Result

if TYPE_CHECKING:
    from remarkwatch.alerts.message import Message


class Apprise(ChannelKind):
    kind = "apprise"
    keys = {"url": str, "url_env": str}
    one_of = (("url", "url_env"),)
    env_keys = ("url_env",)
    secret_keys = ("url_env",)
    literal_secret_keys = ("url",)
    # An Apprise URL: slack://..., discord://..., tgram://..., mastodon://... (https://github.com/caronc/apprise/wiki).
    example = {"name": "chat", "kind": "apprise", "url_env": "REMARKWATCH_APPRISE_URL"}

    def send(self, channel: Channel, message: Message, env=None) -> Result:
        return _notify(channel, message, os.environ if env is None else env)


CHANNEL = Apprise()


def _notify(channel: Channel, message: Message, env) -> Result:
    # Imported here (a quarter of a second): see webhook.py's _post.
    import apprise

    url = env.get(channel.option("url_env"), "") if channel.option("url_env") else channel.option("url")
    notifier = apprise.Apprise()
    if not url or not notifier.add(url):
        where = f"${channel.option('url_env')}" if channel.option("url_env") else "url"
        return Result(False, error=f"{where} is not a valid Apprise URL")
    delivered = notifier.notify(title=message.subject, body=message.short or message.text,
                                 body_format=apprise.NotifyFormat.TEXT)
    return Result(True) if delivered else Result(False, error="the Apprise service did not accept the message")
