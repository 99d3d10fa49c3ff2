"""The Apprise channel's `card = true`: each service of the URL gets the card, a post within its
limit and the card's alt text where it can carry it, posted through Apprise's real plugins to
loopback replicas of Discord's webhook, Telegram's Bot API and a Mastodon instance."""
from __future__ import annotations

import re

import pytest

from remarkwatch.alerts import message as messages
from remarkwatch.alerts.channels.apprise_url import ALT_LABEL, CHANNEL, fitted
from remarkwatch.alerts.channels.base import Channel
from remarkwatch.alerts.sample import sample_change
from remarkwatch.publish.card import ShareCard
from tests.receivers import MASTODON_TOKEN, ChatReplica, MastodonReplica

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
# An edit long enough that no service takes the whole of it: the post must be cut to fit.
LONG = {**sample_change(), "title": "Remarks to the Press on “Tigray” – é " * 12,
        "edits": [{"field": "body", "op": "replace", "old": "Eritrean forces " * 40, "new": "refugees " * 40,
                   "turn": 3, "speaker": "SECRETARY BLINKEN", "classes": ["wording"], "significance": 70}]}
ALT = ("A share card from remarkwatch. Silent edit to “Remarks to the Press on Tigray”, state.gov, "
       "28 Jul 2021. SECRETARY BLINKEN, turn 3: the words “Eritrean forces” were removed and "
       "“refugees” added. ") * 20           # over every service's limit for alt text (Mastodon 1,500)


def _message(change: dict = LONG) -> messages.Message:
    message = messages.build([messages.change_item(change)], ["rw-test-key"])
    message.card = ShareCard(PNG, ALT, "remarkwatch-change-0.png")
    return message


def _send(url: str, change: dict = LONG) -> object:
    channel = Channel("social", "apprise", options={"url_env": "RW_APPRISE_URL", "card": True})
    return CHANNEL.send(channel, _message(change), {"RW_APPRISE_URL": url})


def _plugin(url: str):
    import apprise

    notifier = apprise.Apprise()
    assert notifier.add(url)
    [plugin] = list(notifier)
    return plugin


@pytest.fixture
def chat(monkeypatch):
    """The replica, with Apprise's Discord and Telegram plugins sending to it instead of the services."""
    from apprise.plugins.discord import NotifyDiscord
    from apprise.plugins.telegram import NotifyTelegram

    with ChatReplica() as replica:
        monkeypatch.setattr(NotifyDiscord, "notify_url", f"{replica.url}/api/webhooks")
        monkeypatch.setattr(NotifyTelegram, "notify_url", f"{replica.url}/bot")
        yield replica


def test_discord_gets_the_post_with_the_alt_text_then_the_card(chat):
    result = _send("discord://1234567890/webhook-token-abc")
    assert result.ok, result.error
    text, picture = chat.posts
    content = text.fields["content"]
    assert len(content) <= ChatReplica.DISCORD_CONTENT and not text.files
    assert content.startswith("Silent edit: “Remarks to the Press") and "https://www.state.gov/" in content
    # Discord's webhook takes alt text as attachments[].description, which Apprise does not send:
    # the alt text follows the post, cut to what is left of the 2,000 characters.
    assert f"\n\n{ALT_LABEL}A share card from remarkwatch. Silent edit" in content and content.endswith("…")
    [sent] = picture.files
    assert (sent["field"], sent["filename"], sent["data"]) == ("files[0]", "remarkwatch-change-0.png", PNG)


@pytest.mark.parametrize("title", [
    "Remarks to the Press on “Tigray” – é " * 12,
    "Q&A <live> & more, " * 30,           # Apprise sends Telegram HTML: & < > grow into entities
])
def test_telegram_gets_the_card_with_the_post_as_its_caption(chat, title):
    result = _send("tgram://123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/-1001234567890", {**LONG, "title": title})
    assert result.ok, result.error
    photos = [p for p in chat.posts if p.path.endswith("/sendPhoto")]
    assert [p.path.rsplit("/", 1)[-1] for p in chat.posts] == ["sendPhoto"]     # one post, not two
    [photo] = photos
    caption = photo.fields["caption"]
    assert len(caption) < ChatReplica.TELEGRAM_CAPTION and caption.startswith("Silent edit: “")
    assert f"{ALT_LABEL}A share card" in caption                 # no alt text field: it is in the caption
    assert [(f["field"], f["data"]) for f in photo.files] == [("photo", PNG)]
    assert photo.fields["chat_id"] == "-1001234567890"


def test_apprise_mastodon_carries_the_alt_text_as_the_image_description():
    with MastodonReplica() as instance:
        result = _send(f"mastodon://{MASTODON_TOKEN}@{instance.url.split('://')[1]}")
    assert result.ok, result.error
    [media] = instance.media
    [status] = instance.statuses
    assert media["file"] == PNG
    assert media["description"].startswith("A share card from remarkwatch.") and len(media["description"]) <= 1500
    assert status["media_attachments"][0]["id"] == media["id"]
    assert len(re.sub(r"https?://\S+", "x" * 23, status["content"])) <= 500
    assert status["content"].startswith("Silent edit: “") and ALT_LABEL not in status["content"]


def test_a_post_the_service_refuses_names_the_service(chat):
    chat.DISCORD_CONTENT = 10        # a stricter server than Apprise's limit: the alert fails, to retry
    result = _send("discord://1234567890/webhook-token-abc")
    assert (result.ok, result.error) == (False, "the Apprise service did not accept the message (Discord)")


@pytest.mark.parametrize("url, limit, alt_in", [
    ("bluesky://remarkwatch@app-password-1234", 280, "description"),   # plugin 280 < Bluesky's 300
    ("mastodon://token@mastodon.example", 500, "description"),
    ("discord://1234567890/webhook-token-abc", 2000, "text"),
    ("tgram://123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/12345", 1023, "text"),
    ("slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ", 35000, "text"),
])
def test_each_service_gets_a_post_within_its_limit(url, limit, alt_in):
    plugin = _plugin(url)
    post = fitted(plugin, _message())
    assert len(post.body) <= limit and post.body.startswith("Silent edit: “") and post.title == ""
    assert post.alt_in == alt_in
    if alt_in == "description":
        assert post.attach_name.startswith("A share card") and ALT_LABEL not in post.body
    else:
        assert post.attach_name == "remarkwatch-change-0.png" and f"{ALT_LABEL}A share card" in post.body


def test_a_digest_or_a_message_without_a_card_keeps_the_chat_text():
    plugin = _plugin("discord://1234567890/webhook-token-abc")
    message = _message(sample_change())
    message.card = None
    post = fitted(plugin, message)
    assert (post.title, post.body, post.attach_name) == (message.subject, message.short, None)
