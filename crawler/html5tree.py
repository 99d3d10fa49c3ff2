"""The tree a browser builds: a page parsed by the HTML Standard's algorithm (lexbor, through
selectolax) and handed on as an lxml tree, the one the profiles' selectors, parsel and the text
helpers read. libxml2's own HTML parser predates HTML5 and nests what follows a void element such
as <embed> inside it (issue 27); lexbor builds what Chromium builds.
"""
from __future__ import annotations

import re

from lxml import etree
from lxml import html as lxml_html
from parsel import Selector

from remarkwatch.crawler import markupcost

try:
    from selectolax.lexbor import LexborHTMLParser
except ImportError as exc:     # a hard dependency: no silent fallback to libxml2's tree
    raise ImportError(
        "remarkwatch needs selectolax (the HTML5 parser it reads pages with, lexbor): "
        "`pip install 'selectolax>=1.0.1,<2'`, or reinstall remarkwatch") from exc

# HtmlElement for every element, as parsel's own parse gives (trafilatura and the cleaner want
# it), chosen in C: lxml.html's own lookup is Python code run for every element made or met.
_PARSER = etree.HTMLParser()
_PARSER.set_element_class_lookup(etree.ElementDefaultClassLookup(
    element=lxml_html.HtmlElement, comment=lxml_html.HtmlComment, pi=lxml_html.HtmlProcessingInstruction,
    entity=lxml_html.HtmlEntity))
_MAKE = _PARSER.makeelement
# What lxml refuses, met only on the slow path (lxml raises, the node is made again cleaned):
# characters XML forbids in text and attribute values (a form feed is HTML whitespace, kept as a
# space; NUL and the other C0 controls a browser shows as nothing are dropped; the HTML parser
# already drops a NUL in body text), a boolean attribute's missing value, odd tag names.
_UNSTORABLE = re.compile("[\x00-\x08\x0b\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_BAD_NAME = re.compile(r"[\s<>\"'/=]")
UNKNOWN_TAG = "rw-unknown"     # a tag name lxml refuses (`<a"b>`): its element and text stay


def parse(html: str):
    """The <html> element of `html` parsed as Chromium parses it (scripting on, so <noscript>
    is raw text as in a browser running scripts), as an lxml HtmlElement tree. Comments, the
    doctype and a <template>'s contents (not in the document, as in a browser) are left out."""
    top = _lexbor(html).root
    root = _MAKE("html")
    if top is not None:             # lexbor always builds <html>; kept safe all the same
        _set_attributes(root, top.attributes)
        _build(root, top.iter(include_text=True))
    return root


def selector(html: str) -> Selector:
    """A parsel Selector over `parse(html)`: `.css()`, `.xpath()` and `.root` as before."""
    return Selector(root=parse(html or "<html></html>"), type="html")


def fragment_selector(html: str, container_id: str) -> Selector:
    """A parsel Selector over <html><body><div id=container_id> holding `html` parsed as a
    fragment, as a browser parses `div.innerHTML = html` (a feed item's or an API's body): a stray
    </div> or </body> in it cannot close the container and leave the rest of the body outside."""
    root = _MAKE("html")
    container = etree.SubElement(etree.SubElement(root, "body"), "div", {"id": container_id})
    first = _lexbor(html, is_fragment=True, fragment_tag="div").root
    if first is not None:
        _build(container, _siblings(first), first.mem_id)
    return Selector(root=root, type="html")


def _lexbor(html: str, **options) -> LexborHTMLParser:
    markupcost.check(html)          # hostile nesting: refused before the parser spends minutes on it
    try:
        return LexborHTMLParser(html, scripting=True, **options)
    except UnicodeEncodeError:      # a lone surrogate, which UTF-8 cannot carry
        return LexborHTMLParser(_UNSTORABLE.sub("", html), scripting=True, **options)


def _siblings(node):
    while node is not None:
        yield node
        node = node.next


def _build(root, children, fragment_root: int | None = None) -> None:
    """lexbor's nodes from `children` down, appended to `root`: one pass with an explicit stack (a
    page nested without limit cannot exhaust Python's recursion) that keeps each open element's
    last child (lxml counts children by walking them: `len()` per text node made a long list
    quadratic). selectolax's `iter()` on a fragment's first node gives the fragment's top-level
    nodes, not its children: that node (`fragment_root`, its mem_id) is read child by child."""
    sub, stack = etree.SubElement, []
    parent, last = root, None
    while True:
        node = next(children, None)
        if node is None:
            if not stack:
                return
            children, parent, last = stack.pop()
            continue
        tag = node.tag
        if tag == "-text":
            _add_text(parent, last, node.text_content or "")
        elif tag[0] != "-":         # -comment, -doctype
            attributes = node.attributes
            try:
                last = sub(parent, tag.lower(), attributes)   # lower: SVG's foreignObject, as parsel's CSS expects
            except (TypeError, ValueError):
                last = sub(parent, _tag(tag))
                _set_attributes(last, attributes)
            if tag != "template":
                stack.append((children, parent, last))
                if fragment_root is not None and node.mem_id == fragment_root:
                    children, parent, last = _siblings(node.first_child), last, None
                else:
                    children, parent, last = node.iter(include_text=True), last, None


def _add_text(parent, last, text: str) -> None:
    """`text` after `last` (the tail of parent's last child), or as parent's text."""
    try:
        if last is None:
            parent.text = parent.text + text if parent.text else text
        else:
            last.tail = last.tail + text if last.tail else text
    except ValueError:
        _add_text(parent, last, _storable(text))


def _storable(text: str) -> str:
    return _UNSTORABLE.sub("", text.replace("\x0c", " "))


def _tag(name: str) -> str:
    """lxml's tag for a name it refused: lower case, or a placeholder for a name with characters
    lxml refuses."""
    tag = name.lower()
    return UNKNOWN_TAG if not tag or _BAD_NAME.search(tag) else tag


def _set_attributes(element, attributes: dict) -> None:
    for name, value in (attributes or {}).items():
        if name and not _BAD_NAME.search(name):
            element.set(name, _storable(value or ""))
