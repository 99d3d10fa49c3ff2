"""One helper per surface for text that came from a page (untrusted), used everywhere it goes out:
terminals (control characters made visible), images (dropped), XML (characters XML 1.0 forbids dropped: feeds,
e-mail HTML), and logs (secrets redacted from every record, ours and our libraries'). On every
surface a bidirectional override or isolate (U+202A-U+202E, U+2066-U+2069) is shown as its code
point, never applied: "gnp.exe" behind a U+202E would read "exe.png"."""
from __future__ import annotations

import logging
import re
from urllib.parse import urlsplit

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def terminal(text) -> str:
    """Text with control characters shown as escapes, so page content cannot drive the terminal
    (an ESC or OSC sequence in a title or a URL arrives as the visible text `\\x1b`)."""
    return bidi_marked(_CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", str(text if text is not None else "")))


def bidi_marked(text):
    """Bidirectional overrides and isolates shown as `[U+202E]`, not applied (a Markup stays Markup)."""
    if not isinstance(text, str) or not _BIDI.search(text):
        return text
    marked = _BIDI.sub(lambda m: f"[U+{ord(m.group()):04X}]", text)
    return type(text)(marked) if hasattr(text, "__html__") else marked


def image(text) -> str:
    """Text drawn into a picture (the share card): control characters dropped (a font draws them
    as boxes), newlines as spaces, bidirectional overrides shown as code points."""
    return bidi_marked(_CONTROL.sub("", re.sub(r"[\t\n]", " ", str(text if text is not None else ""))))


def xml(text) -> str | None:
    """Text without the characters XML 1.0 forbids (one ESC in a title would break a feed)."""
    if text is None:
        return None
    return bidi_marked(_XML_INVALID.sub("", str(text)))


REDACTED = "[redacted]"


def secret_pieces(value: str) -> list[str]:
    """What of a secret value must not appear in a log: the value, and for a URL its user info,
    path, query and longer path segments (hook URLs and Apprise URLs carry tokens there)."""
    pieces = [value]
    parts = urlsplit(value) if "://" in value else None
    if parts is not None:
        pieces += [p for p in (parts.username, parts.password, parts.path, parts.query) if p and len(p) > 3]
        pieces += [seg for seg in parts.path.split("/") if len(seg) >= 6]
        pieces += [seg for seg in parts.netloc.rsplit("@", 1)[0].split(":") if "@" in parts.netloc and len(seg) >= 4]
    return sorted({p for p in pieces if p}, key=len, reverse=True)


class RedactingFilter(logging.Filter):
    """Replaces every known secret in a log record's final message, whoever logged it."""

    def __init__(self):
        super().__init__()
        self.pieces: list[str] = []

    def add(self, *values: str | None) -> None:
        for value in values:
            if value:
                self.pieces = sorted(set(self.pieces) | set(secret_pieces(value)), key=len, reverse=True)

    def redact(self, text: str) -> str:
        for piece in self.pieces:
            text = text.replace(piece, REDACTED)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if self.pieces:
            message = record.getMessage()
            cleaned = self.redact(message)
            if cleaned != message:
                record.msg, record.args = cleaned, None
            if record.exc_info and record.exc_info[1] is not None:
                record.exc_text = self.redact(logging.Formatter().formatException(record.exc_info))
                record.exc_info = None
        return True


LOG_FILTER = RedactingFilter()
