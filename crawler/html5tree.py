"""The tree a browser builds: a page parsed by the HTML Standard's algorithm (lexbor, through
selectolax) and handed on as an lxml tree, the one the profiles' selectors, parsel and the text
helpers read. libxml2's own HTML parser predates HTML5 and nests what follows a void element such
as <embed> inside it (issue 27); lexbor builds what Chromium builds.
"""
from __future__ import annotations

import re

from lxml import html as lxml_html
from parsel import Selector

try:
    from selectolax.lexbor import LexborHTMLParser
except ImportError as exc:     # a hard dependency: no silent fallback to libxml2's tree
    raise ImportError(
        "remarkwatch needs selectolax (the HTML5 parser it reads pages with, lexbor): "
        "`pip install 'selectolax>=1.0.1,<2'`, or reinstall remarkwatch") from exc

_MAKE = lxml_html.HTMLParser().makeelement     # HtmlElement, as parsel's own parse gives
# Characters XML (so lxml) refuses in text and attributes. Form feed is HTML whitespace, kept as
# a space; NUL and the C0 controls a browser shows as nothing are dropped (a NUL in body text is
# ignored by the HTML parser too).
_FORM_FEED = re.compile("\x0c")
_UNSTORABLE = re.compile("[\x00-\x08\x0b\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_BAD_TAG = re.compile(r"[\s<>\"'/=]")
UNKNOWN_TAG = "rw-unknown"     # a tag name lxml refuses (`<a"b>`): its element and text stay
_TAGS: dict[str, str] = {}     # lexbor's name -> the lxml tag used for it


def parse(html: str):
    """The <html> element of `html` parsed as Chromium parses it (scripting on, so <noscript>
    is raw text as in a browser running scripts), as an lxml HtmlElement tree. Comments, the
    doctype and a <template>'s contents (not in the document, as in a browser) are left out."""
    if "\x0c" in html:
        html = _FORM_FEED.sub(" ", html)
    html = _UNSTORABLE.sub("", html)
    top = LexborHTMLParser(html, scripting=True).root
    root = _MAKE("html", _attributes(top))
    if top is None:                 # lexbor always builds <html>; kept safe for an empty string
        return root
    stack = [(top.iter(include_text=True), root)]
    while stack:
        children, parent = stack[-1]
        node = next(children, None)
        if node is None:
            stack.pop()
            continue
        tag = node.tag
        if tag == "-text":
            _append_text(parent, node.text_content or "")
        elif tag[0] != "-":         # -comment, -doctype
            element = _MAKE(_TAGS.get(tag) or _tag(tag), _attributes(node))
            parent.append(element)
            if tag != "template":
                stack.append((node.iter(include_text=True), element))
    return root


def selector(html: str) -> Selector:
    """A parsel Selector over `parse(html)`: `.css()`, `.xpath()` and `.root` as before."""
    return Selector(root=parse(html or "<html></html>"), type="html")


def _append_text(parent, text: str) -> None:
    if len(parent):
        last = parent[-1]
        last.tail = (last.tail or "") + text
    else:
        parent.text = (parent.text or "") + text


def _tag(name: str) -> str:
    """lxml's tag for a lexbor element name: lower case (SVG's foreignObject too, as libxml2 gave
    it and parsel's lower-cased CSS expects), a placeholder for a name lxml refuses."""
    tag = name.lower()
    if not tag or _BAD_TAG.search(tag):
        tag = UNKNOWN_TAG
    _TAGS[name] = tag
    return tag


def _attributes(node) -> dict[str, str]:
    if node is None:
        return {}
    attributes = node.attributes
    if not attributes:
        return {}
    return {name: value or "" for name, value in attributes.items() if name and not _BAD_TAG.search(name)}
