"""monitor/untrusted.py: one helper per surface for text that came from a page."""
from __future__ import annotations

import io
import logging

import pytest

from remarkwatch import untrusted
from remarkwatch.untrusted import REDACTED, RedactingFilter


@pytest.mark.parametrize("text, shown", [
    ("plain title", "plain title"),
    ("\x1b]8;;http://evil/\x07click\x1b[0m", "\\x1b]8;;http://evil/\\x07click\\x1b[0m"),
    ("tab\tand\nnewline", "tab\tand\nnewline"),          # layout characters stay
    ("bell\x07 del\x7f c1\x9b", "bell\\x07 del\\x7f c1\\x9b"),
    ("\u00e9 \u2014 \u201cq\u201d", "\u00e9 \u2014 \u201cq\u201d"),
    (None, ""),
    (42, "42"),
])
def test_terminal(text, shown):
    assert untrusted.terminal(text) == shown


@pytest.mark.parametrize("text, kept", [
    ("A \x1b title", "A  title"),
    ("tab\tnl\ncr\r", "tab\tnl\ncr\r"),
    ("nul\x00 ff\x0c", "nul ff"),
    ("bad \ufffe\uffff end", "bad  end"),
    ("surrogate \ud800 gone", "surrogate  gone"),
    ("\U0001f600 emoji", "\U0001f600 emoji"),
    (None, None),
])
def test_xml(text, kept):
    assert untrusted.xml(text) == kept


@pytest.mark.parametrize("text, drawn", [
    ("A \x1b[31m title", "A [31m title"),
    ("tab\tnl\nend\x00", "tab nl end"),
    ("“Curly” – é", "“Curly” – é"),
    (None, ""),
])
def test_image(text, drawn):
    assert untrusted.image(text) == drawn


def test_secret_pieces_of_a_hook_url():
    pieces = untrusted.secret_pieces("https://user:p4ssw0rd@hooks.example.org/services/T000/B111/XXXXsecret?token=abcd")
    assert pieces[0].startswith("https://") and pieces == sorted(pieces, key=len, reverse=True)
    for piece in ("p4ssw0rd", "/services/T000/B111/XXXXsecret", "token=abcd", "services", "XXXXsecret", "user"):
        assert piece in pieces
    assert untrusted.secret_pieces("plain-token") == ["plain-token"]


def test_redacting_filter_cleans_messages_arguments_and_tracebacks():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    redact = RedactingFilter()
    redact.add("s3cr3t-value", None, "")
    handler.addFilter(redact)
    logger = logging.getLogger("tests.untrusted")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("sending with %s to %s", "s3cr3t-value", "host")
        try:
            raise ValueError("bad key s3cr3t-value")
        except ValueError:
            logger.exception("failed")
        logger.warning("nothing to hide")
    finally:
        logger.removeHandler(handler)
        logger.propagate = True
    out = stream.getvalue()
    assert "s3cr3t" not in out and REDACTED in out
    assert "sending with [redacted] to host" in out and "ValueError: bad key [redacted]" in out
    assert "nothing to hide" in out
    assert redact.redact("x s3cr3t-value y") == "x [redacted] y"


@pytest.mark.parametrize("surface", [untrusted.terminal, untrusted.xml, untrusted.bidi_marked, untrusted.image])
def test_a_bidi_override_is_shown_not_applied(surface):
    """Issue 27, item 19: "gnp.exe" behind a U+202E read "exe.png"."""
    assert surface("photo \u202egnp.exe and \u2067x\u2069") == "photo [U+202E]gnp.exe and [U+2067]x[U+2069]"
