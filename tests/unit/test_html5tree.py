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
