"""crawler/html5tree.py: pages parsed as a browser parses them, handed on as lxml trees."""
from __future__ import annotations

import importlib.util
import sys

import pytest
from lxml import etree
from lxml.html import HtmlElement

from remarkwatch.crawler import html5tree, htmltext
from tests.html5_cases import CASES, FRAGMENT_CASES


def body_paragraphs(html: str) -> list[str]:
    body = html5tree.parse(html).find("body")
    htmltext.drop_non_content(body)
    return htmltext.paragraphs(body)


@pytest.mark.parametrize("case_id, html, expected", CASES, ids=[c[0] for c in CASES])
def test_tricky_markup_gives_the_browsers_paragraphs(case_id, html, expected):
    assert body_paragraphs(html) == expected


@pytest.mark.parametrize("case_id, body, expected", FRAGMENT_CASES, ids=[c[0] for c in FRAGMENT_CASES])
def test_a_body_parsed_as_a_fragment_stays_in_its_container(case_id, body, expected):
    container = html5tree.fragment_selector(body, "rw-item").css("#rw-item")[0].root
    htmltext.drop_non_content(container)
    assert htmltext.paragraphs(container) == expected


def test_the_tree_is_lxml_html_without_comments_doctype_or_template_contents():
    root = html5tree.parse('<!DOCTYPE html><!-- c --><html lang="en"><body><p>a<!-- x -->b</p>'
                           "<template><p>inner</p></template><input disabled></body></html>")
    assert isinstance(root, HtmlElement) and root.tag == "html" and root.get("lang") == "en"
    assert etree.tostring(root, encoding="unicode") == (
        '<html lang="en"><head/><body><p>ab</p><template/><input disabled=""/></body></html>')


def test_names_lxml_refuses_and_characters_xml_forbids_do_not_break_the_page():
    root = html5tree.parse('<p x"y=1 xlink:href="#a" data-v="ok">one</p><a"b>two</a"b><p>\x00\x01three\x0cfour\ufffe</p>')
    first, odd, last = root.find("body")
    assert dict(first.attrib) == {'x"y': "1", "xlink:href": "#a", "data-v": "ok"}    # as in Chromium's DOM
    assert (odd.tag, odd.text) == (html5tree.UNKNOWN_TAG, "two")
    assert last.text == "three four"


def test_svg_and_mathml_names_are_lower_case_as_parsels_css_expects():
    root = html5tree.parse('<svg viewBox="0 0 1 1"><foreignObject><p>x</p></foreignObject></svg><math><mi>y</mi></math>')
    assert [el.tag for el in root.find("body").iter()] == ["body", "svg", "foreignobject", "p", "math", "mi"]
    assert root.find("body/svg").get("viewBox") == "0 0 1 1"


def test_selector_is_parsel_over_the_html5_tree():
    sel = html5tree.selector('<p>one<embed src="v.mp4"><p class="x">two <a href="/l">link</a>')
    assert sel.css("p::text").getall() == ["one", "two "]
    assert sel.css("p.x a::attr(href)").get() == "/l"
    assert sel.xpath("//embed/following::p/@class").get() == "x"
    assert sel.root.tag == "html" and html5tree.selector("").root.find("body") is not None


def test_a_page_nested_deeper_than_any_recursion_limit_parses():
    depth = sys.getrecursionlimit() * 3
    body = html5tree.parse("<div>" * depth + "deep" + "</div>" * depth + "<p>after</p>").find("body")
    assert htmltext.paragraphs(body)[-2:] == ["deep", "after"]


def test_without_selectolax_the_import_fails_with_what_to_install(monkeypatch):
    """No silent fallback to libxml2's tree: a missing parser is an error that says what to do."""
    monkeypatch.setitem(sys.modules, "selectolax.lexbor", None)
    spec = importlib.util.spec_from_file_location("html5tree_without_parser", html5tree.__file__)
    with pytest.raises(ImportError, match=r"needs selectolax.*pip install 'selectolax>=1.0.1,<2'"):
        spec.loader.exec_module(importlib.util.module_from_spec(spec))


# The fast path (lexbor's serialisation read by libxml2's XML parser) against the tree built node by
# node: id, html, whether the fast path takes it (a page it declines is built; either way the same).
XML_PATH_CASES = [
    ("namespaces-and-camel-case",
     '<html xmlns="http://www.w3.org/1999/xhtml" xml:lang="en" lang="en"><body><svg xmlns="http://www.w3.org/2000/svg"'
     ' xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 1 1"><use xlink:href="#i"></use><linearGradient id="g">'
     '</linearGradient><clipPath><rect/></clipPath></svg><p xmlns="x" data-xmlns="1" a:b="2">p</p>', True),
    ("xml-and-xlink-prefixes", '<p xml:lang="en" xml:space="preserve">x</p><svg><use xlink:href="#a"></use></svg>', True),
    ("whitespace-and-returns-in-values", '<p title="a\nb\tc" data-x="&#13;">x&#13;y\r\nz</p>', True),
    ("raw-text-with-markup",
     '<script>if (a < b && c > d) document.write("<p>x</p>")</script><style>a > b {}</style>'
     "<noscript><p>&amp;</p></noscript><iframe>&lt;b&gt;</iframe><xmp><b>&amp;</xmp><noembed><i></noembed>"
     '<noframes>x</noframes><script>var s = "<\\/script>"; // </scripts></script><p>after</p>', True),
    ("comments", "<!-- <script> --><p>a<!-- x -->b</p><script><!-- y --></script><!-- a --!> b --><!---->", True),
    ("entities", '<p>a&nbsp;b ]]&gt;</p><p title="&nbsp;&amp;&quot;&lt;x&gt;">&amp;c</p>', True),
    ("template-contents", "<template><script>x</script><p>t<template>u</template></p></template><p>after</p>", True),
    ("void-elements",
     '<p>x<wbr>y<embed src=v><source><track><br><img src=x><input checked><hr></p><param name=a><keygen>'
     "<bgsound><basefont><frame><area><col><link><meta><base>", True),
    ("foreign-style-text", "<svg><style>a{}</style><script><![CDATA[x<y]]></script></svg><p>x</p>", True),
    ("html-script-in-foreign-object", "<svg><foreignObject><script>x<y</script></foreignObject></svg>", True),
    ("mathml-annotation", '<math><mi>x</mi><annotation-xml encoding="text/html"><p>y</p></annotation-xml></math>', True),
    ("non-ascii", '<p>\U0001F600 é 中 \u00a0</p><a href="é">é</a><DÉV>x</DÉV>', True),
    ("foreign-style-holding-markup", "<svg><style><rect></rect>a</style></svg><p>x</p>", False),
    ("foreign-style-holding-a-comment", "<svg><style><!--a-->b</style></svg>", False),
    ("prefixed-tag", "<p>one<o:p></o:p> two</p>", False),
    ("other-prefix", '<button v-on:click="go">x</button>', False),
    ("names-xml-refuses", '<p @click="x" :class="y">v</p>', False),
    ("placeholder-without-namespaces", '<p data-rwns0="1">rwns0</p>', True),
    ("placeholder-with-namespaces", '<svg xmlns="http://www.w3.org/2000/svg"><g data-rwns0="1"></g></svg>', False),
    ("control-characters", "<p>a\x02b\x0cc</p>", False),
    ("plaintext", "<p>a<plaintext>b</plaintext>c", False),
    ("nested-deeper-than-xml-reads", "<div>" * 300 + "x", False),
]


def built_node_by_node(html: str, monkeypatch):
    with monkeypatch.context() as patch:
        patch.setattr(html5tree, "_copy_serialised", lambda *args: False)
        return html5tree.parse(html)


@pytest.mark.parametrize("case_id, html, taken", XML_PATH_CASES, ids=[c[0] for c in XML_PATH_CASES])
def test_the_xml_path_gives_the_tree_built_node_by_node_or_declines(case_id, html, taken, monkeypatch):
    document = html5tree._lexbor(html)
    assert html5tree._copy_serialised(html5tree._MAKE("html"), document, document.root.html) is taken
    fast = html5tree.parse(html)
    assert etree.tostring(fast, encoding="unicode") == etree.tostring(built_node_by_node(html, monkeypatch),
                                                                   encoding="unicode")
    assert all(isinstance(el, HtmlElement) for el in fast.iter())


@pytest.mark.parametrize("case_id, html", [(c[0], c[1]) for c in CASES], ids=[c[0] for c in CASES])
def test_tricky_markup_reads_the_same_on_both_paths(case_id, html, monkeypatch):
    assert etree.tostring(html5tree.parse(html)) == etree.tostring(built_node_by_node(html, monkeypatch))
