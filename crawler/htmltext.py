"""Pure HTML helpers on lxml trees: remove nodes, turn a body into paragraphs of text, sanitise."""
from __future__ import annotations

import re

from lxml import etree
from lxml_html_clean import Cleaner

# HTML collapses these; NBSP and other Unicode spaces are content until normalisation.
_HTML_WS = re.compile(r"[ \t\n\r\f]+")
BLOCK_TAGS = frozenset(
    "p div section article aside header footer main nav h1 h2 h3 h4 h5 h6 ul ol li dl dt dd "
    "blockquote figure figcaption table thead tbody tfoot tr pre hr address details summary".split()
)
STRIKE_TAGS = frozenset({"s", "strike", "del"})
NEVER_CONTENT = frozenset(
    "script style noscript template iframe object embed form input button select textarea svg "
    "canvas link meta".split()
)

_CLEANER = Cleaner(
    scripts=True, javascript=True, comments=True, style=True, inline_style=True, links=True,
    meta=True, page_structure=True, processing_instructions=True, embedded=True, frames=True,
    forms=True, annoying_tags=True, remove_unknown_tags=True, safe_attrs_only=True,
    safe_attrs=frozenset({"href", "src", "alt", "title", "datetime", "colspan", "rowspan"}),
)


def collapse(text: str) -> str:
    return _HTML_WS.sub(" ", text).strip()


def remove_keep_tail(el) -> None:
    """Remove `el` from its tree, keeping the text that follows it."""
    parent = el.getparent()
    if parent is None:
        return
    tail = el.tail
    if tail:
        prev = el.getprevious()
        if prev is not None:
            prev.tail = (prev.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(el)


def drop_non_content(root) -> None:
    """Remove scripts, styles, forms, hidden inputs and comments under `root` (in place)."""
    doomed = [
        el for el in root.iter()
        if el is not root and (not isinstance(el.tag, str) or _local(el.tag) in NEVER_CONTENT)
    ]
    for el in doomed:
        remove_keep_tail(el)


MEDIA_TAGS = frozenset({"iframe", "video", "audio", "source", "embed", "object"})


def media_sources(root) -> list[str]:
    """Sources of embedded media (video players, audio, iframes) under `root`, in page order."""
    out = []
    for el in root.iter():
        if isinstance(el.tag, str) and _local(el.tag) in MEDIA_TAGS:
            src = el.get("src") or el.get("data") or el.get("data-src")
            if src and src.strip():
                out.append(src.strip())
    return out


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1].lower()


def inline_text(el) -> str:
    """The whitespace-collapsed text of `el`, strike-through marked as ~~x~~."""
    return collapse("".join(_inline_parts(el)))


def _inline_parts(el, in_strike: bool = False):
    """Text pieces of `el` in document order. Iterative (an explicit stack), so a page nested a
    thousand elements deep cannot exhaust Python's recursion limit."""
    if el.text:
        yield el.text
    stack = [(iter(el), None)]    # (children still to read, tail to yield after them)
    while stack:
        children, tail = stack[-1]
        child = next(children, None)
        if child is None:
            stack.pop()
            if tail:
                yield tail
            continue
        if isinstance(child.tag, str):
            tag = _local(child.tag)
            if tag == "br":
                yield "\n"
            elif tag in STRIKE_TAGS and not in_strike:
                yield "~~" + collapse("".join(_inline_parts(child, True))) + "~~"
            elif tag not in NEVER_CONTENT:
                if child.text:
                    yield child.text
                stack.append((iter(child), child.tail))
                continue
        if child.tail:
            yield child.tail


def split_on_br(el) -> list[str]:
    """Text lines of `el` split at <br> (several bylines in one paragraph)."""
    lines = (collapse(line) for line in "".join(_inline_parts(el)).split("\n"))
    return [line for line in lines if line]


_SPACE_RUNS = re.compile(r"[ \t\r\f]+")
_LINE_BREAK = re.compile(r"\s*\n\s*")     # \s and str.strip() agree on what is whitespace


def lines_of(text: str) -> str:
    """`text`'s lines each collapsed (`collapse`), the empty ones left out, joined by newlines:
    two regular expressions over the paragraph rather than one call per line."""
    return _LINE_BREAK.sub("\n", _SPACE_RUNS.sub(" ", text)).strip()


def paragraphs(root) -> list[str]:
    """Block-level paragraphs of `root` as text; <br> inside a paragraph becomes a newline."""
    out: list[str] = []
    current: list[str] = []

    def flush():
        para = lines_of("".join(current))
        current.clear()
        if para:
            out.append(para)

    # An explicit stack instead of recursion: a hostile page can nest elements without limit.
    stack: list[tuple[str, object]] = [("enter", root)]
    while stack:
        action, item = stack.pop()
        if action == "text":
            current.append(item)
            continue
        if action == "flush":
            flush()
            continue
        tag = _local(item.tag) if isinstance(item.tag, str) else None
        if tag is None or tag in NEVER_CONTENT:
            continue
        if tag == "br":
            current.append("\n")
            continue
        if tag in STRIKE_TAGS:
            current.append("~~" + inline_text(item) + "~~")
            continue
        block = tag in BLOCK_TAGS
        if block:
            flush()
            stack.append(("flush", None))
        if item.text:
            current.append(item.text)
        for child in reversed(item):
            if child.tail:
                stack.append(("text", child.tail))
            stack.append(("enter", child))
    flush()
    return out


def to_html(root) -> str:
    """Sanitised HTML of `root`: no scripts, handlers, styles or forms; safe attributes only.

    Cleans `root` in place (callers read it last): the tree is the browser's (crawler/html5tree.py),
    and serialising it for the cleaner to parse again would hand it back to libxml2's HTML parser,
    the very one that nested a page's text inside an <embed> (issue 27), and cost a second parse."""
    _CLEANER(root)
    return etree.tostring(root, method="html", encoding="unicode", with_tail=False).strip()
