"""The CDX search's match key for a URL, as the Wayback Machine compares them: backfill groups
captures by it, and the replica Wayback Machine answers by it."""
from __future__ import annotations

from urllib.parse import urlsplit


def surt_key(url: str) -> str:
    """The CDX's match key: no scheme, no `www.`, the host lower-cased, no trailing slash."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().removeprefix("www.")
    path = parts.path.rstrip("/") or "/"
    return f"{host}{path}" + (f"?{parts.query}" if parts.query else "")
