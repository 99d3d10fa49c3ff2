"""crawler/htmltext.py: lxml trees to paragraphs of text, node removal, media and sanitised HTML."""
from __future__ import annotations

import lxml.html
import pytest

from remarkwatch.crawler import htmltext


def tree(html: str):
    return lxml.html.fragment_fromstring(html, create_parent="div")


@pytest.mark.parametrize("html, paragraphs", [
    ("<p>One  two</p><p>three</p>", ["One two", "three"]),
    ("<p>MR PRICE: Hi.<br>QUESTION: Hello?</p>", ["MR PRICE: Hi.\nQUESTION: Hello?"]),
    ("Loose text<p>then a block</p>tail text", ["Loose text", "then a block", "tail text"]),
    ("<p>a <b>bold</b> <i>word</i></p>", ["a bold word"]),
    ("<p>was <del>wrong</del> right</p>", ["was ~~wrong~~ right"]),
    ("<p>x<script>alert(1)</script>y</p><style>p{}</style>", ["xy"]),
    ("<ul><li>one</li><li>two</li></ul>", ["one", "two"]),
    ("<div><div><p>deep</p></div></div>", ["deep"]),
    ("<p> </p><p>\n</p>", []),
    ("<p>keep\u00a0NBSP</p>", ["keep\u00a0NBSP"]),               # content until normalisation
])
def test_paragraphs(html, paragraphs):
    assert htmltext.paragraphs(tree(html)) == paragraphs


def test_a_page_nested_thousands_deep_does_not_recurse():
    root = tree("<p></p>")
    inner = root[0]
    for _ in range(5_000):          # built by hand: lxml's parser itself stops at 256 levels
        inner = lxml.html.etree.SubElement(inner, "span")
    inner.text = "deep"
    assert htmltext.paragraphs(root) == ["deep"]
    assert htmltext.inline_text(root) == "deep"


@pytest.mark.parametrize("html, text", [
    ("<p>a  <b>b</b>\n c</p>", "a b c"),
    ("<p>was <s>old</s> new</p>", "was ~~old~~ new"),
    ("<p>x<noscript>no</noscript>y</p>", "xy"),
])
def test_inline_text(html, text):
    assert htmltext.inline_text(tree(html)) == text


def test_split_on_br():
    assert htmltext.split_on_br(tree("<p>Antony J. Blinken<br> <br>Secretary of State</p>")) == [
        "Antony J. Blinken", "Secretary of State"]


def test_remove_keep_tail_keeps_the_text_after_the_node():
    root = tree("<p>before<span>gone</span>after</p>")
    htmltext.remove_keep_tail(root.find(".//span"))
    assert htmltext.inline_text(root) == "beforeafter"
    root = tree("<p><i>first</i><span>gone</span> kept</p>")
    htmltext.remove_keep_tail(root.find(".//span"))
    assert htmltext.inline_text(root) == "first kept"
    htmltext.remove_keep_tail(root)            # a node without a parent: nothing to do


def test_drop_non_content():
    root = tree("<p>a<script>x</script>b</p><form><input></form><!-- note --><p>c</p>")
    htmltext.drop_non_content(root)
    assert lxml.html.tostring(root, encoding="unicode") == "<div><p>ab</p><p>c</p></div>"


def test_media_sources_in_page_order():
    root = tree('<iframe src=" https://www.youtube.com/embed/x "></iframe><video><source src="/v.mp4"></video>'
                '<object data="/o.swf"></object><audio data-src="/a.mp3"></audio><img src="/i.png"><embed src="">')
    assert htmltext.media_sources(root) == ["https://www.youtube.com/embed/x", "/v.mp4", "/o.swf", "/a.mp3"]


def test_to_html_keeps_only_safe_markup():
    root = tree('<p onclick="steal()" style="color:red" class="x">Hi <a href="/a" target="_blank">link</a>'
                '<script>alert(1)</script><img src="/i.png" onerror="x()"></p>')
    assert htmltext.to_html(root) == '<div><p>Hi <a href="/a">link</a><img src="/i.png"></p></div>'


@pytest.mark.parametrize("text, lines", [
    ("  a \t b \n\n  c  ", "a b\nc"),
    ("a\xa0\n\xa0b", "a\nb"),                  # str.strip() takes a line's NBSP at either end
    ("a\xa0b\u2028c", "a\xa0b\u2028c"),        # inside a line, Unicode spaces are content
    ("\n \r\n\x0c", ""),
    ("x\r\ny", "x\ny"),
])
def test_lines_of_collapses_each_line_as_collapse_does(text, lines):
    assert htmltext.lines_of(text) == lines
    assert lines == "\n".join(line for line in (htmltext.collapse(part) for part in text.split("\n")) if line)
