"""Pure: whether a URL from a config file is one remarkwatch can use."""
from __future__ import annotations

from urllib.parse import SplitResult, urlsplit


def usable_url(url, schemes: tuple[str, ...] = ("http", "https")) -> SplitResult | None:
    """`url` split, when it is a string with one of `schemes`, a host and a valid port; else None
    (`http://[::1` and port 99999 raise inside urllib, which must not reach a user as a traceback)."""
    if not isinstance(url, str):
        return None
    try:
        parts = urlsplit(url)
        parts.port           # raises ValueError for a port out of range
    except ValueError:
        return None
    return parts if parts.scheme in schemes and parts.hostname else None
