"""Apprise channel: any Apprise URL (Slack, Discord, Teams, Matrix, ntfy, Telegram, json:// ...).

The URL usually holds a token, so it is read from the environment variable named by `url_env`
(a literal `url` is accepted for token-free services). With `card = true` a single change's
alert attaches its share card (PNG) for the services whose Apprise plugin takes attachments
(Slack, Discord, Telegram, Bluesky, Mastodon, json:// ...), and its text is the post fitted to
the plugin's own length limit (`body_maxlen`: Bluesky 280, Discord 2,000, Telegram 4,096).
Apprise's plugins send an attachment's file name where a service takes alt text, so alt text
reaches Mastodon only through the `mastodon` kind.
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
    keys = {"url": str, "url_env": str, "card": bool}
    one_of = (("url", "url_env"),)
    env_keys = ("url_env",)
    secret_keys = ("url_env",)
    literal_secret_keys = ("url",)
    # An Apprise URL: slack://..., discord://..., tgram://..., mastodon://... (https://github.com/caronc/apprise/wiki).
    example = {"name": "chat", "kind": "apprise", "url_env": "REMARKWATCH_APPRISE_URL"}

    def wants_card(self, channel: Channel) -> bool:
        return channel.option("card", False)

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
    title, body, attach = message.subject, message.short or message.text, None
    card = getattr(message, "card", None)
    if card is not None:
        from apprise.attachment.memory import AttachMemory

        from remarkwatch.publish.post import post_text

        attach = apprise.AppriseAttachment(AttachMemory(content=card.png, name=card.name, mimetype="image/png"))
        limit = min((plugin.body_maxlen for plugin in notifier), default=0)
        if "alerts" not in message.payload and limit:
            body = post_text(message.payload, limit)
            # A service without titles (Bluesky, Mastodon) gets the title put before the body.
            title = title if all(plugin.title_maxlen for plugin in notifier) else ""
    delivered = notifier.notify(title=title, body=body, body_format=apprise.NotifyFormat.TEXT,
                                attach=attach)
    return Result(True) if delivered else Result(False, error="the Apprise service did not accept the message")
