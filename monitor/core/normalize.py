"""Pure: text for comparison only. Folds NBSP, odd spaces, zero-width marks, quotes and dashes.

The stored originals are never touched; these forms only decide "same or different".
"""
from __future__ import annotations

import hashlib
import html
import json
import re
import unicodedata

_SPACES = "\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000\t\r\f\v"
_TABLE = {ord(c): " " for c in _SPACES}
_TABLE.update({ord(c): None for c in "\u200b\u200c\u200d\u2060\u00ad\ufeff\ufffc"})   # ...and U+FFFC
_TABLE.update({ord(c): "'" for c in "\u2018\u2019\u201a\u201b\u2032\u00b4`"})
_TABLE.update({ord(c): '"' for c in "\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb"})
_TABLE.update({ord(c): "-" for c in "\u2010\u2011\u2012\u2013\u2014\u2015\u2212"})
_TABLE[ord("\u2026")] = "..."
_RUNS = re.compile(r" {2,}")
# House styles of abbreviations: "D.C." and "DC", "U.S." and "US" are the same words.
_ABBREVIATION = re.compile(r"(?<![\w.])((?:[A-Z]\.){2,})")

COMPARED_FIELDS = ("title", "doc_type", "speakers", "audience", "location", "published", "tags", "body")


def text(value: str | None) -> str:
    """One line or paragraph folded for comparison."""
    if not value:
        return ""
    folded = unicodedata.normalize("NFC", html.unescape(value)).translate(_TABLE)
    folded = _ABBREVIATION.sub(lambda m: m.group(1).replace(".", ""), folded)
    lines = (_RUNS.sub(" ", line).strip() for line in folded.split("\n"))
    return "\n".join(line for line in lines if line)


def body(value: str | None) -> str:
    """A body's paragraphs (separated by blank lines), each folded."""
    paras = (text(p) for p in (value or "").split("\n\n"))
    return "\n\n".join(p for p in paras if p)


def comparable(fields: dict) -> dict:
    """The fields that define a version's content, folded. `fields` uses Extracted's names."""
    published = fields.get("published") or text(fields.get("published_text"))
    return {
        "title": text(fields.get("title")),
        "doc_type": text(fields.get("doc_type")),
        "speakers": [text(s) for s in fields.get("speakers") or []],
        "audience": text(fields.get("audience")),
        "location": text(fields.get("location")),
        "published": published or "",
        "tags": [text(t) for t in fields.get("tags") or []],
        "body": body(fields.get("body_text")),
    }


def content_hash(fields: dict) -> str:
    payload = json.dumps(comparable(fields), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def raw_hash(fields: dict) -> str:
    """Hash of the fields exactly as extracted, markup-level differences included."""
    keep = {k: fields.get(k) for k in (*COMPARED_FIELDS, "body_text", "body_html", "published_text",
                                        "modified_time", "links", "media", "canonical_url")}
    payload = json.dumps(keep, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()
