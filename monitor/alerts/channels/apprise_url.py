"""Apprise channel: any Apprise URL (Slack, Discord, Teams, Matrix, ntfy, Telegram, json:// ...).

The URL usually holds a token, so it is read from the environment variable named by `url_env`
(a literal `url` is accepted for token-free services). With `card = true` a single change's
alert is posted to each service of the URL on its own, as `fitted()` plans it: the card (PNG)
attached where the service's Apprise plugin takes attachments, the text fitted to that service's
limit, and the card's alt text where the plugin can carry it (see `SERVICES`), else in the text.
"""
from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from remarkwatch.alerts.channels.base import Channel, ChannelKind
from remarkwatch.alerts.result import Result

if TYPE_CHECKING:
    from remarkwatch.alerts.message import Message

# What Apprise's plugins (caronc/apprise, apprise/plugins/<name>.py, read at 2.3.0) do with a post
# and a picture, per plugin class: `body_maxlen` and `attachment_support` are the plugin's own and
# read from it at send time. Two plugins send the attachment's *name* as the image's description,
# so there the alt text travels as the name (cut to the service's limit for alt text):
#   bluesky.py: the embed's `"alt": attachment.name` (Bluesky's app allows 2,000 characters of
#     alt text, bluesky-social/social-app src/lib/constants.ts MAX_ALT_TEXT); body_maxlen 280,
#     below the service's own 300 graphemes;
#   mastodon.py: `"description": payload.name` on POST /api/v1/media (Mastodon's limit 1,500);
#     body_maxlen 500 less the mentions it adds; it reads the file from `attachment.path`, so the
#     card is written to a private temporary file, never an in-memory attachment.
# The others take no alt text through Apprise, so it goes in the text, after the post:
#   discord.py: the webhook's `files[0]` with no `attachments[].description`; body_maxlen 2,000,
#     title included (overflow_amalgamate_title);
#   slack.py: the file's title is its name; body_maxlen 35,000;
#   telegram.py: sendPhoto with the text as its caption only when shorter than
#     `telegram_caption_maxlen` (1,024), else a photo and a separate message; body_maxlen 4,096.
ALT_AS_NAME = {"NotifyBlueSky": 2000, "NotifyMastodon": 1500}
ALT_LABEL = "Image: "
MIN_ALT_ROOM = 40         # fewer characters than this left after the post: no alt text in the text


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


@dataclass(frozen=True)
class Post:
    """What one service gets: its title (empty where the service has none), text, and the card's
    attachment name (the alt text where the plugin sends the name as the description), or None."""
    title: str
    body: str
    attach_name: str | None
    alt_in: str       # where the alt text went: "description", "text", or "" (not sent)


def fitted(plugin, message: Message) -> Post:
    """The post for one Apprise plugin: a single change's post fitted to the plugin's limit, with
    the card and its alt text where the plugin can carry them; a digest's chat text as it is."""
    card = getattr(message, "card", None)
    if card is None or "alerts" in message.payload:
        return Post(message.subject, message.short or message.text, None, "")
    limit = int(plugin.body_maxlen or 0) or 32_768
    caption = getattr(plugin, "telegram_caption_maxlen", None)
    if caption and plugin.attachment_support:
        limit = min(limit, caption - 1)           # as the photo's caption: one post, not two
    alt_room = ALT_AS_NAME.get(type(plugin).__name__)
    with_alt = bool(plugin.attachment_support) and not alt_room
    budget, body, alt_in = limit, "", False
    for _ in range(8):                             # shrink until the text as the plugin sends it fits
        body, alt_in = _compose(message.payload, card.alt if with_alt else "", budget)
        over = _cost(plugin, body) - limit
        if over <= 0:
            break
        budget -= over
    if not plugin.attachment_support:
        return Post("", body, None, "")
    if alt_room:
        return Post("", body, _clip(card.alt, alt_room), "description")
    return Post("", body, card.name, "text" if alt_in else "")


def _compose(payload: dict, alt: str, limit: int) -> tuple[str, bool]:
    """The post within `limit`, then the alt text in what is left (the post takes at most half
    when the alt text needs the rest); (the text, whether the alt text is in it)."""
    from remarkwatch.publish.post import post_text

    need = len(" ".join(alt.split())) + 2 + len(ALT_LABEL) if alt else 0
    post = post_text(payload, max(limit // 2, limit - need) if alt else limit)
    room = limit - len(post) - 2 - len(ALT_LABEL)
    if not alt or room < MIN_ALT_ROOM:
        return post, False
    return f"{post}\n\n{ALT_LABEL}{_clip(alt, room)}", True


def _cost(plugin, text: str) -> int:
    """The length the plugin's own limit check sees: telegram.py sends plain text as HTML, each
    newline as \\r\\n and & < > as entities, and captions only what is shorter than 1,024 of those."""
    if type(plugin).__name__ != "NotifyTelegram":
        return len(text)
    return len(text) + text.count("\n") + 4 * text.count("&") + 3 * (text.count("<") + text.count(">"))


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def _notify(channel: Channel, message: Message, env) -> Result:
    # Imported here (a quarter of a second): see webhook.py's _post.
    import apprise

    url = env.get(channel.option("url_env"), "") if channel.option("url_env") else channel.option("url")
    notifier = apprise.Apprise()
    if not url or not notifier.add(url):
        where = f"${channel.option('url_env')}" if channel.option("url_env") else "url"
        return Result(False, error=f"{where} is not a valid Apprise URL")
    card = getattr(message, "card", None)
    failed = []
    with tempfile.TemporaryDirectory(prefix="remarkwatch-card-") as folder:
        png = None
        if card is not None:
            png = Path(folder) / "card.png"     # the file name stays ours: page text never names a path
            png.write_bytes(card.png)
        for plugin in notifier:
            post = fitted(plugin, message)
            attach = None
            if png is not None and post.attach_name is not None:
                from apprise.attachment.file import AttachFile

                attach = apprise.AppriseAttachment(AttachFile(str(png), name=post.attach_name, mimetype="image/png"))
            one = apprise.Apprise()
            one.add(plugin)
            if not one.notify(title=post.title, body=post.body, body_format=apprise.NotifyFormat.TEXT, attach=attach):
                failed.append(plugin.service_name)
    if failed:
        return Result(False, error=f"the Apprise service did not accept the message ({', '.join(failed)})")
    return Result(True)
