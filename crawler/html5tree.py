"""The tree a browser builds: a page parsed by the HTML Standard's algorithm (lexbor, through
selectolax) and handed on as an lxml tree, the one the profiles' selectors, parsel and the text
helpers read. libxml2's own HTML parser predates HTML5 and nests what follows a void element such
as <embed> inside it (issue 27); lexbor builds what Chromium builds. Its tree reaches lxml through
its own serialisation read as XML where that gives the same tree, node by node otherwise.
"""
from __future__ import annotations

import re
import threading

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
    document = _lexbor(html)
    top = document.root
    root = _MAKE("html")
    if top is not None:             # lexbor always builds <html>; kept safe all the same
        _set_attributes(root, top.attributes)
        if not _copy_serialised(root, document, top.html):
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


# The XML path (issue 27's "extraction speed kept"): lexbor's own serialisation of its tree, made
# into XML by a few passes of C-speed regular expressions and read by libxml2's XML parser, which
# has no tree-building rules of its own: the tree is exactly the tags written, or the parse fails.
# The HTML serialisation lexbor writes is regular: `<`, `>` are escaped in text and attribute
# values, `"` in values, every element but a void one has an end tag, comments never hold `-->`,
# and a raw-text element's text (script, style...) is written unescaped and never holds its own end
# tag. What XML would read otherwise (a namespace declaration, an xml: or xlink: name, whitespace
# in an attribute value, an upper-case SVG name, a raw-text element in SVG holding markup) is
# rewritten or declined; a declined page, or one XML refuses, is built node by node (`_build`), so both
# paths give the same tree (tests/unit/test_html5tree.py compares them).
_RAW_TEXT = "script|style|xmp|iframe|noembed|noframes|noscript|plaintext"
_COMMENT_OR_RAW_START = re.compile(rb"<!--|<(" + _RAW_TEXT.encode() + rb")(?:\s[^>]*)?>")
_VOID = re.compile(rb"(<(?:img|br|meta|link|input|hr|source|area|base|col|embed|track|wbr|basefont|bgsound"
                   rb"|frame|keygen|param)(?=[\s>])[^>]*)>")
_ODD_TAG = re.compile(rb"(</?)([a-z0-9-]*[^a-z0-9\s/>-][^\s/>]*)")
_ODD_START_TAG = re.compile(rb"<[a-z][a-z0-9-]*[^a-z0-9\s/>-]")    # (the search is faster)
_PREFIXED = re.compile(rb":[^\s=\"'<>/]*=\"")
_ATTRIBUTE = re.compile(rb"(\s)([^\s=\"'<>/]+)(=\")")
_QUALIFIED = re.compile(r"[A-Za-z_][\w.-]*(:[A-Za-z_][\w.-]*)?")   # a set-aside name XML would accept
_PLACEHOLDER = b"rwns"
_RAW_SELECTOR = ", ".join(_RAW_TEXT.split("|"))
_LOCAL = threading.local()


def _copy_serialised(root, document, html: str) -> bool:
    """Appends the children of lexbor's <html> (serialised as `html`) to `root` through XML, and
    says whether it could; `root` is untouched when it could not."""
    foreign = "<svg" in html or "<math" in html
    if foreign and not _foreign_raw_is_text(document):
        return False
    renamed: list[str] = []
    xml = _as_xml(html, renamed, odd_names=foreign or not html.isascii())
    if xml is None:
        return False
    parser = _xml_parser()
    try:
        copied = etree.fromstring(xml, parser)
    except etree.XMLSyntaxError:
        return False
    if len(parser.error_log):
        return False
    if "<template" in html:
        for template in copied.iter("template"):
            template.text = None
            del template[:]
    root.text = copied.text
    root.extend(list(copied))
    if renamed:
        _restore_names(root, renamed)
    return True


def _foreign_raw_is_text(document) -> bool:
    """A <style> or <script> in SVG or MathML is read as markup, but written out as raw text: only
    one holding text alone is written as the XML path reads it. (Searched within each <svg> and
    <math>: one selector over the whole page took 0.5 ms on a 270 KB one.)"""
    return all(child.tag == "-text" for outer in ("svg", "math") for top in document.tags(outer)
               for node in top.css(_RAW_SELECTOR) for child in node.iter(include_text=True))


def _as_xml(html: str, renamed: list[str], odd_names: bool) -> bytes | None:
    """lexbor's serialisation of <html> as XML (UTF-8) that parses to the same tree, or None.
    Bytes: replacing and searching them is several times faster than a str holding non-Latin-1.
    `odd_names`: the page may hold tag names lower-casing changes (SVG's, non-ASCII ones)."""
    html = html.encode("utf-8")
    xml, written = [b"<html>"], html.index(b">") + 1     # <html>'s attributes are set apart
    while (match := _COMMENT_OR_RAW_START.search(html, written)) is not None:
        xml.append(html[written:match.start()])
        name = match.group(1)
        end = html.find(b"</" + name + b">" if name else b"-->", match.end())
        if end < 0:                 # never written by lexbor
            return None
        if name:                    # comments are left out of the tree
            text = html[match.end():end].replace(b"&", b"&amp;").replace(b"<", b"&lt;").replace(b">", b"&gt;")
            xml += [match.group(0), text]
        written = end + (0 if name else 3)
    xml.append(html[written:])
    xml = b"".join(xml)
    # XML reads xmlns and xml: names as namespaces; any other prefix undeclared fails the parse
    if b"xmlns" in xml or b"xml:" in xml or b"xlink:" in xml:
        if _PLACEHOLDER in xml:
            return None
        xml = _rename_namespaced(xml, renamed)
        if not all(_QUALIFIED.fullmatch(name) for name in renamed):
            return None
    parts = _VOID.split(xml)        # split and join: re.sub calls Python for each match
    parts[1::2] = map(b"%s/>".__mod__, parts[1::2])
    # SVG's camelCase names and non-ASCII ones (lexbor lower-cases ASCII), lower case as `_build` makes them
    if odd_names and _ODD_START_TAG.search(xml):
        parts = _ODD_TAG.split(b"".join(parts))
        parts[2::3] = (name.decode("utf-8").lower().encode("utf-8") for name in parts[2::3])
    # XML reads a tab or a line break in an attribute value as a space, and a carriage return
    # anywhere as a line feed: as references they are read as written (as fast as a search)
    return (b"".join(parts).replace(b"&nbsp;", b"&#160;").replace(b"\r", b"&#13;").replace(b"\n", b"&#10;")
            .replace(b"\t", b"&#9;"))


def _rename_namespaced(xml: bytes, renamed: list[str]) -> bytes:
    """Attribute names XML reads as namespaces (xmlns, xlink:href) written as placeholders."""
    def rename(match):
        name = match.group(2)
        if b":" not in name and name != b"xmlns":
            return match.group(0)
        renamed.append(name.decode("utf-8"))
        return b"%s%s%d%s" % (match.group(1), _PLACEHOLDER, len(renamed) - 1, match.group(3))

    hits = sorted({m.start() for m in _PREFIXED.finditer(xml)} | set(_find_all(xml, b"xmlns")))
    out, written = [], 0
    for hit in hits:
        start = xml.rfind(b"<", 0, hit)
        end = xml.find(b">", start)
        if start < written or end < hit or not xml[start + 1:start + 2].isalpha():
            continue                # text, or a tag already rewritten
        out += [xml[written:start], _ATTRIBUTE.sub(rename, xml[start:end])]
        written = end
    out.append(xml[written:])
    return b"".join(out)


def _find_all(data: bytes, needle: bytes):
    at = data.find(needle)
    while at >= 0:
        yield at
        at = data.find(needle, at + 1)


def _restore_names(root, renamed: list[str]) -> None:
    """The attribute names `_rename_namespaced` set aside, back in place and order."""
    for element in root.xpath("//*[@*[starts-with(name(), 'rwns')]]"):
        attributes = element.items()
        element.attrib.clear()
        for name, value in attributes:
            element.set(renamed[int(name[4:])] if name.startswith("rwns") else name, value)


def _xml_parser():
    """One XML parser a thread (an lxml parser is not for concurrent use), making HtmlElements."""
    parser = getattr(_LOCAL, "parser", None)
    if parser is None:
        parser = etree.XMLParser(resolve_entities=False, no_network=True, collect_ids=False)
        parser.set_element_class_lookup(etree.ElementDefaultClassLookup(element=lxml_html.HtmlElement))
        _LOCAL.parser = parser
    return parser


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
