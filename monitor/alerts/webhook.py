"""Webhook channel: POST the JSON payload, signed with HMAC-SHA256 over the exact body.

Headers: `X-Remarkwatch-Signature: sha256=<hex>` (the secret comes from the environment variable
named by `secret_env`), `X-Remarkwatch-Idempotency-Key` (the same on every retry), and
`X-Remarkwatch-Schema`. Only a 2xx answer counts as delivered; redirects are not followed.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import os

import requests

from monitor import __version__
from monitor.alerts.channels import Channel
from monitor.alerts.message import Message
from monitor.alerts.result import Result

SIGNATURE_HEADER = "X-Remarkwatch-Signature"
KEY_HEADER = "X-Remarkwatch-Idempotency-Key"


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def send(channel: Channel, message: Message, env=None, session: requests.Session | None = None) -> Result:
    env = os.environ if env is None else env
    secret = env.get(channel.option("secret_env"), "")
    if not secret:
        return Result(False, error=f"${channel.option('secret_env')} is not set")
    body = json.dumps(message.payload, ensure_ascii=False, sort_keys=True).encode("utf-8")
    headers = {
        "Content-Type": "application/json; charset=utf-8", "User-Agent": f"remarkwatch/{__version__}",
        SIGNATURE_HEADER: sign(secret, body), KEY_HEADER: message.idempotency_key,
        "X-Remarkwatch-Schema": message.payload["schema"],
    }
    try:
        response = (session or requests).post(channel.option("url"), data=body, headers=headers,
                                              timeout=channel.timeout_s, allow_redirects=False)
    except requests.RequestException as exc:
        return Result(False, error=f"{type(exc).__name__}: {_first_line(exc)}")
    if 200 <= response.status_code < 300:
        return Result(True, response.status_code)
    return Result(False, response.status_code, f"HTTP {response.status_code}: {response.text[:200]}")


def _first_line(exc: Exception) -> str:
    return str(exc).splitlines()[0][:300] if str(exc) else ""
