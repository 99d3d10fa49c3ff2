"""Mastodon channel: one post per alert on a Mastodon account, with the change's share card
attached and its alt text as the image description.

A direct client rather than Apprise's Mastodon plugin, because that plugin uploads to the
deprecated /api/v1/media and sends the attachment's file name as its description, so a post
could not carry the card's alt text. The format is the one recorded by Mastodon.py's test
cassettes against a real Mastodon 4.x (tests/cassettes/test_media_post_multiple.yaml):
`POST /api/v2/media` as multipart form data (`file`, `description`, `focus`) answering 200 with
the attachment's `id` (202 while a large file is still being processed: then
`GET /api/v1/media/ID` answers 206 until it is ready, 200 after), and `POST /api/v1/statuses`
as a form (`status`, `media_ids[]`, `visibility`) with a Bearer token. The `Idempotency-Key`
header makes Mastodon answer a retried post with the status it already made, not a second one.
"""
from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING

from remarkwatch import __version__
from remarkwatch.alerts.channels.base import Channel, ChannelKind
from remarkwatch.alerts.result import Result
from remarkwatch.core.urls import usable_url
from remarkwatch.errors import ConfigError
from remarkwatch.publish.post import MASTODON_CHARS, MASTODON_URL_CHARS, post_text

if TYPE_CHECKING:
    from remarkwatch.alerts.message import Message

VISIBILITIES = ("public", "unlisted", "private", "direct")
DESCRIPTION_CHARS = 1500        # Mastodon's limit on a media description
PROCESSING_POLLS = 10


class Mastodon(ChannelKind):
    kind = "mastodon"
    keys = {"instance": str, "token_env": str, "visibility": str, "card": bool, "max_chars": int}
    required = ("instance", "token_env")
    env_keys = ("token_env",)
    secret_keys = ("token_env",)
    example = {"name": "social", "kind": "mastodon", "instance": "https://mastodon.social",
               "token_env": "REMARKWATCH_MASTODON_TOKEN", "visibility": "unlisted", "min_significance": 40}

    def check(self, raw: dict, where: str) -> None:
        if usable_url(raw["instance"]) is None:
            raise ConfigError(f"{where}.instance: {raw['instance']!r} is not an http(s) URL, such as "
                              f"\"https://mastodon.social\"")
        if raw.get("visibility", "public") not in VISIBILITIES:
            raise ConfigError(f"{where}.visibility: {raw['visibility']!r} (valid: {', '.join(VISIBILITIES)})")
        if not 50 <= raw.get("max_chars", MASTODON_CHARS) <= 100_000:
            raise ConfigError(f"{where}.max_chars: the instance's post limit, 50 or more (mastodon.social: 500)")

    def wants_card(self, channel: Channel) -> bool:
        return channel.option("card", True)

    def send(self, channel: Channel, message: Message, env=None) -> Result:
        return _post(channel, message, os.environ if env is None else env)


CHANNEL = Mastodon()


def status_text(channel: Channel, message: Message) -> str:
    """One alert's post fitted to the instance's limit; a digest's chat-sized text, cut to fit."""
    limit = channel.option("max_chars", MASTODON_CHARS)
    if "alerts" not in message.payload:
        return post_text(message.payload, limit, MASTODON_URL_CHARS)
    text = message.short or message.subject
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _post(channel: Channel, message: Message, env) -> Result:
    import requests

    token = env.get(channel.option("token_env"), "")
    if not token:
        return Result(False, error=f"${channel.option('token_env')} is not set")
    base = channel.option("instance").rstrip("/")
    session = requests.Session()
    session.headers.update({"Authorization": f"Bearer {token}", "User-Agent": f"remarkwatch/{__version__}"})
    try:
        media_ids = []
        card = getattr(message, "card", None)
        if card is not None:
            media_id, failed = _upload(session, base, card, channel.timeout_s)
            if failed is not None:
                return failed
            media_ids.append(media_id)
        form = {"status": status_text(channel, message), "visibility": channel.option("visibility", "public"),
                "media_ids[]": media_ids}
        answer = session.post(f"{base}/api/v1/statuses", data=form, timeout=channel.timeout_s,
                              headers={"Idempotency-Key": message.idempotency_key}, allow_redirects=False)
    except requests.RequestException as exc:
        return Result(False, error=f"{type(exc).__name__}: {_redact(str(exc), token)}")
    finally:
        session.close()
    if answer.status_code == 200:
        return Result(True, 200)
    return _failure("posting the status", answer, token)


def _upload(session, base: str, card, timeout: float):
    """(the media id, None), or (None, the failed Result)."""
    answer = session.post(f"{base}/api/v2/media", timeout=timeout, allow_redirects=False,
                          files={"file": (card.name, card.png, "image/png")},
                          data={"description": card.alt[:DESCRIPTION_CHARS], "focus": "0.0,0.0"})
    if answer.status_code not in (200, 202):
        return None, _failure("uploading the card", answer, session.headers["Authorization"][7:])
    media_id = str(answer.json()["id"])
    polls = 0
    while answer.status_code in (202, 206) and polls < PROCESSING_POLLS:
        time.sleep(min(1.0, 0.1 * 2 ** polls))
        answer = session.get(f"{base}/api/v1/media/{media_id}", timeout=timeout, allow_redirects=False)
        polls += 1
    if answer.status_code != 200:
        return None, Result(False, answer.status_code, f"the card was still processing after {polls} checks")
    return media_id, None


def _failure(what: str, answer, token: str) -> Result:
    try:
        detail = answer.json().get("error") or ""
    except ValueError:
        detail = answer.text[:200]
    return Result(False, answer.status_code, f"{what}: HTTP {answer.status_code} {_redact(str(detail), token)}".strip())


def _redact(text: str, token: str) -> str:
    return text.replace(token, "[redacted]") if token else text
