"""Webhook channel: POST the JSON payload, signed with HMAC-SHA256 over the exact body.

Headers: `X-Remarkwatch-Signature: sha256=<hex>` (the secret comes from the environment variable
named by `secret_env`; the URL may too, by `url_env`, since many hook URLs hold a token),
`X-Remarkwatch-Idempotency-Key` (the same on every retry), and `X-Remarkwatch-Schema`. Only a 2xx
answer counts as delivered; redirects are not followed.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import os
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from remarkwatch import __version__
from remarkwatch.alerts.channels.base import Channel, ChannelKind
from remarkwatch.alerts.result import Result
from remarkwatch.core.urls import usable_url
from remarkwatch.errors import ConfigError

if TYPE_CHECKING:
    from remarkwatch.alerts.message import Message

SIGNATURE_HEADER = "X-Remarkwatch-Signature"
KEY_HEADER = "X-Remarkwatch-Idempotency-Key"
MAX_ANSWER_BYTES = 2048    # of an error answer, for the attempt's record


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class Webhook(ChannelKind):
    kind = "webhook"
    keys = {"url": str, "url_env": str, "secret_env": str}
    required = ("secret_env",)
    one_of = (("url", "url_env"),)
    env_keys = ("secret_env", "url_env")
    secret_keys = ("secret_env", "url_env")
    literal_secret_keys = ("url",)       # a hook URL written in the file holds its token too
    example = {"name": "newsroom-webhook", "kind": "webhook", "url_env": "REMARKWATCH_WEBHOOK_URL",
               "secret_env": "REMARKWATCH_WEBHOOK_SECRET"}

    def check(self, raw: dict, where: str) -> None:
        url = raw.get("url")
        if url is not None and usable_url(url) is None:
            raise ConfigError(f"{where}.url: {url!r} is not an http(s) URL")

    def send(self, channel: Channel, message: Message, env=None) -> Result:
        return _post(channel, message, os.environ if env is None else env)


CHANNEL = Webhook()


def _post(channel: Channel, message: Message, env) -> Result:
    # Imported here, as every kind's sending library is: finding the kinds imports each kind's
    # module whenever a config with channels is loaded, and only sending needs them.
    import requests
    import urllib3

    secret = env.get(channel.option("secret_env"), "")
    url = env.get(channel.option("url_env"), "") if channel.option("url_env") else channel.option("url")
    if not secret or not url:
        missing = channel.option("secret_env") if not secret else channel.option("url_env")
        return Result(False, error=f"${missing} is not set")
    body = json.dumps(message.payload, ensure_ascii=False, sort_keys=True).encode("utf-8")
    headers = {
        "Content-Type": "application/json; charset=utf-8", "User-Agent": f"remarkwatch/{__version__}",
        SIGNATURE_HEADER: sign(secret, body), KEY_HEADER: message.idempotency_key,
        "X-Remarkwatch-Schema": message.payload["schema"],
    }
    if urlsplit(url).scheme not in ("http", "https"):
        return Result(False, error="the webhook URL is not an http(s) URL")
    try:
        # stream: only the status line and headers are read unless the answer is an error, and
        # then at most MAX_ANSWER_BYTES of it, so a huge or endless answer costs nothing.
        with requests.post(url, data=body, headers=headers, timeout=channel.timeout_s,
                           allow_redirects=False, stream=True) as response:
            if 200 <= response.status_code < 300:
                return Result(True, response.status_code)
            answer = response.raw.read(MAX_ANSWER_BYTES, decode_content=True) or b""
    except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
        return Result(False, error=f"{type(exc).__name__}: {redact(str(exc), url)}")
    text = answer.decode(response.encoding or "utf-8", "replace")
    return Result(False, response.status_code, f"HTTP {response.status_code}: {redact(text[:200], url)}")


def redact(text: str, url: str) -> str:
    """`text` without the URL's path and query, which often hold a token (hooks.slack.com/...)."""
    parts = urlsplit(url)
    for secret_part in (parts.path + ("?" + parts.query if parts.query else ""), parts.path, parts.query):
        if len(secret_part) > 1:
            text = text.replace(secret_part, "/…")
    return (text.splitlines()[0] if text else "")[:300]
