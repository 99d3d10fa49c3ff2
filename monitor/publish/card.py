"""The share card of one change: a 1200x675 PNG (the 16:9 size Mastodon, Bluesky, X and the chat
apps show whole, without cropping) with the headline ("Silent edit"), source, date, title,
speaker, the sentence with removed words struck and added words highlighted, and the permalink.

Drawn by Pillow with the bundled DejaVu Sans (fonts/, its LICENSE beside it: Latin, accents and
curly quotes), with Pillow's basic layout engine rather than raqm where installed, so one change
gives the same pixels on every machine (tests/unit/test_card.py compares with a golden PNG).
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from remarkwatch import untrusted
from remarkwatch.publish.edit import DEL, INS, CardEdit, alt_text, headline, load

WIDTH, HEIGHT = 1200, 675
MARGIN = 60
FONTS = Path(__file__).resolve().parent / "fonts"
INK, MUTED, BAND, PAPER = (24, 32, 48), (88, 96, 110), (27, 42, 65), (251, 250, 247)
RED, GREEN_BG, GREEN_INK, ALERT = (178, 34, 34), (200, 240, 200), (10, 80, 30), (214, 69, 65)
SENTENCE_SIZES = (38, 34, 30, 26, 22)     # the largest that fits the sentence's box is used
MAX_TEXT, MAX_WORD = 400, 32      # a page's title can be any length, a "word" too: cut before measuring
SENTENCE_BOTTOM = 548         # the sentence's box runs from below the speaker to here
SILENT_NOTE = "silent: the page's own modified time did not change"


@cache
def font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    return ImageFont.truetype(str(FONTS / name), size, layout_engine=ImageFont.Layout.BASIC)


def render(card: CardEdit) -> bytes:
    """The card as PNG bytes."""
    image = Image.new("RGB", (WIDTH, HEIGHT), PAPER)
    draw = ImageDraw.Draw(image)
    _band(draw, card)
    y = _lines(draw, _words(card.title[:MAX_TEXT]), font(36, bold=True), INK, 116, max_lines=2, line_height=46)
    if card.where:
        draw.text((MARGIN, y + 14), _fit(draw, untrusted.image(card.where[:MAX_TEXT]), font(26, bold=True), WIDTH - 2 * MARGIN),
                  font=font(26, bold=True), fill=MUTED)
        y += 40
    _sentence(draw, card, top=y + 34)
    _footer(draw, card)
    out = io.BytesIO()
    # 64 colours are plenty for text on flat colours: a third of the bytes to post, and half the
    # time of encoding 24-bit colour (bench/card_bench.py).
    image.quantize(64, method=Image.Quantize.FASTOCTREE).save(out, "PNG")
    return out.getvalue()


def _band(draw: ImageDraw.ImageDraw, card: CardEdit) -> None:
    draw.rectangle((0, 0, WIDTH, 84), fill=BAND)
    label = headline(card).upper()
    badge = font(26, bold=True)
    width = draw.textlength(label, font=badge)
    draw.rounded_rectangle((MARGIN - 14, 20, MARGIN + width + 14, 64), radius=8,
                           fill=ALERT if card.silent else (70, 110, 160))
    draw.text((MARGIN, 27), label, font=badge, fill=(255, 255, 255))
    meta = _fit(draw, untrusted.image(f"{_short(card.source, 40)}  ·  {card.date}"), font(24), WIDTH - 3 * MARGIN - width)
    draw.text((WIDTH - MARGIN - draw.textlength(meta, font=font(24)), 29), meta, font=font(24), fill=(220, 226, 235))


def _short(text: str, limit: int) -> str:
    """At most `limit` characters, so the date beside a long source name stays whole."""
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _fit(draw, text: str, face, room: float) -> str:
    """`text` cut with '…' to fit `room` pixels (the longest prefix that fits, found by bisection:
    a title from a hostile page can be any length)."""
    if draw.textlength(text, font=face) <= room:
        return text
    low, high = 0, len(text)
    while low < high:
        middle = (low + high + 1) // 2
        if draw.textlength(text[:middle] + "…", font=face) <= room:
            low = middle
        else:
            high = middle - 1
    return text[:low].rstrip() + "…"


def _words(text: str) -> list[str]:
    """Untrusted text as words to wrap, a word longer than MAX_WORD characters in pieces."""
    return [word[i:i + MAX_WORD] for word in untrusted.image(text).split() for i in range(0, len(word), MAX_WORD)]


def _lines(draw, words: list[str], face, fill, y: int, max_lines: int, line_height: int) -> int:
    """Plain words wrapped to the card's width, at most `max_lines` (the last cut with '…'); the y below it."""
    rows = _wrap([(word, "same") for word in words], draw, face, WIDTH - 2 * MARGIN)
    for index, row in enumerate(rows[:max_lines]):
        line = " ".join(word for word, _ in row)
        if index == max_lines - 1 and len(rows) > max_lines:
            line = _fit(draw, line + " …", face, WIDTH - 2 * MARGIN)
        draw.text((MARGIN, y), line, font=face, fill=fill)
        y += line_height
    return y


def _wrap(words: list[tuple[str, str]], draw, face, room: float) -> list[list[tuple[str, str]]]:
    rows: list[list[tuple[str, str]]] = [[]]
    space = draw.textlength(" ", font=face)
    x = 0.0
    for word, kind in words:
        width = draw.textlength(word, font=face)
        if rows[-1] and x + space + width > room:
            rows.append([])
            x = 0.0
        x += (space if rows[-1] else 0) + width
        rows[-1].append((word, kind))
    return rows if rows[-1] else rows[:-1]


def _sentence(draw, card: CardEdit, top: int) -> None:
    """The sentence in quotes, marked, in the largest size whose lines fit the box. The quotes
    are drawn apart from the words, so a struck first word does not strike its quote mark."""
    words = [(w, kind) for text, kind in card.segments for w in _words(text)]
    if not words:
        return
    for size in SENTENCE_SIZES:
        face, line_height = font(size), int(size * 1.45)
        quotes = draw.textlength("“”", font=face)
        rows = _wrap(words, draw, face, WIDTH - 2 * MARGIN - quotes)
        if len(rows) * line_height <= SENTENCE_BOTTOM - top:
            break
    rows = rows[:(SENTENCE_BOTTOM - top) // line_height]
    for index, row in enumerate(rows):
        _marked_line(draw, row, face, top + index * line_height, size,
                     prefix="“" if index == 0 else "", suffix="”" if index == len(rows) - 1 else "")


def _marked_line(draw, row: list[tuple[str, str]], face, y: int, size: int, prefix: str, suffix: str) -> None:
    """One line of words, runs of one kind drawn together so a strike or highlight is unbroken."""
    runs: list[tuple[str, str]] = []
    for word, kind in row:
        if runs and runs[-1][1] == kind:
            runs[-1] = (runs[-1][0] + " " + word, kind)
        else:
            runs.append((word, kind))
    x, space = float(MARGIN), draw.textlength(" ", font=face)
    if prefix:
        draw.text((x, y), prefix, font=face, fill=INK)
        x += draw.textlength(prefix, font=face) + (4 if runs and runs[0][1] == INS else 0)
    for text, kind in runs:
        width = draw.textlength(text, font=face)
        if kind == INS:
            draw.rectangle((x - 4, y - 2, x + width + 4, y + size * 1.2), fill=GREEN_BG)
            draw.text((x, y), text, font=face, fill=GREEN_INK)
            draw.line((x, y + size * 1.15, x + width, y + size * 1.15), fill=GREEN_INK, width=2)
        elif kind == DEL:
            draw.text((x, y), text, font=face, fill=RED)
            middle = y + size * 0.62
            draw.line((x, middle, x + width, middle), fill=RED, width=max(2, size // 12))
        else:
            draw.text((x, y), text, font=face, fill=INK)
        x += width + space
    if suffix:
        draw.text((x - space + (4 if runs and runs[-1][1] == INS else 0), y), suffix, font=face, fill=INK)


def _footer(draw, card: CardEdit) -> None:
    if card.silent:
        draw.text((MARGIN, 558), SILENT_NOTE, font=font(22), fill=ALERT)
    draw.line((MARGIN, 596, WIDTH - MARGIN, 596), fill=(210, 210, 205), width=2)
    small = font(20)
    legend = "struck: removed   highlighted: added" if card.segments else ""
    legend_width = draw.textlength(legend, font=small)
    link = _fit(draw, untrusted.image(card.permalink[:MAX_TEXT * 4]), font(22), WIDTH - 2 * MARGIN - legend_width - 40)
    draw.text((MARGIN, 618), link, font=font(22), fill=BAND)
    draw.text((WIDTH - MARGIN - legend_width, 620), legend, font=small, fill=MUTED)


@dataclass(frozen=True)
class ShareCard:
    """A rendered card to attach to a post: the PNG, its alt text, a file name."""
    png: bytes
    alt: str
    name: str


def share_card(db, change_id: int, public_url: str | None = None) -> ShareCard | None:
    """The card of change `change_id` in the archive (None when there is no such change)."""
    content = load(db, change_id, public_url)
    if content is None:
        return None
    return ShareCard(render(content), alt_text(content), f"remarkwatch-change-{change_id}.png")


def sample_card(change: dict) -> ShareCard:
    """The card of a change that is not in an archive (`test-alert`'s sample): its located edits
    stand for the sentence."""
    from remarkwatch.publish.edit import card_edit, permalink

    content = card_edit(change, [], permalink(change, None))
    return ShareCard(render(content), alt_text(content), "remarkwatch-test-card.png")
