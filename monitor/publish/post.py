"""The words of a social post about one alert, fitted to the service's limit: the headline and
title, where the edit is and what it was, and the link. Mastodon counts every link as 23
characters whatever its length, 500 in all by default (an instance says its own in
/api/v1/instance `configuration.statuses`: `max_characters`, `characters_reserved_per_url`);
Bluesky allows 300 graphemes and Apprise's own plugins declare theirs (`body_maxlen`). Python
counts code points, never fewer than graphemes, so a fitted post is never over a grapheme limit.
"""
from __future__ import annotations

from remarkwatch.core import wording
from remarkwatch.publish.edit import KIND_WORDS, where

MASTODON_CHARS, MASTODON_URL_CHARS = 500, 23
BLUESKY_GRAPHEMES = 300


def _headline(item: dict) -> str:
    if item.get("silent") and item.get("kind") == "edited":
        return "Silent edit"
    return KIND_WORDS.get(item.get("kind") or "", (item.get("kind") or "change").replace("_", " ").capitalize())


def _edit_line(item: dict) -> str:
    """Where the first located edit is and what it did: "turn 1, MR PRICE: 'forces' → 'refugees'";
    an edit of another field, or the stored summary, in words (no raw field names or ISO times)."""
    for edit in item.get("edits") or []:
        if edit.get("op") in ("cosmetic", "reflow"):
            continue
        if edit.get("field", "body") != "body":      # a title or a time, in words: "Modified time: 18 Sep 2026, …"
            return wording.describe(edit, limit=120)
        place = where(edit)
        old, new = " ".join((edit.get("old") or "").split()), " ".join((edit.get("new") or "").split())
        what = f"“{old}” → “{new}”" if old and new else f"removed “{old}”" if old else f"added “{new}”"
        return f"{place}: {what}" if place != "body" else what
    return " ".join(wording.times_in_words(item.get("summary")).split())


def post_text(item: dict, limit: int, url_chars: int | None = None) -> str:
    """The post for one alert item, at most `limit` characters, a link counted as `url_chars`
    when the service shortens links (None: as long as it is)."""
    link = item.get("change_url") or item.get("url") or ""
    link_cost = (url_chars if url_chars is not None else len(link)) if link else 0
    head = f"{_headline(item)}: “{' '.join((item.get('title') or '').split())}”"
    source = f" ({item['source']})" if item.get("source") else ""
    edit = _edit_line(item)
    lines = _fit([head + source, edit], limit - link_cost - (1 if link else 0))
    return "\n".join([*lines, link]).strip()


def _fit(lines: list[str], room: int) -> list[str]:
    """The lines, the longest cut first (with '…'), until they and a newline between each fit
    `room`; a line that would keep fewer than 8 characters is dropped instead."""
    lines = [line for line in lines if line]

    def size() -> int:
        return sum(len(line) for line in lines) + len(lines) - 1

    while lines and size() > room:
        longest = max(range(len(lines)), key=lambda i: len(lines[i]))
        keep = len(lines[longest]) - (size() - room) - 1
        if keep < 8:
            lines.pop(longest)
        else:
            lines[longest] = lines[longest][:keep].rstrip() + "…"
    return lines
