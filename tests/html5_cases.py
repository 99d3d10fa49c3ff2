"""Tricky markup (issue 27) with the paragraphs a browser's tree gives: one table, read in process by
tests/unit/test_html5tree.py and checked against Chromium's own DOM by tests/system/test_html5_chromium.py.

Each case is a whole document (the doctype decides quirks mode, as in a browser) and the paragraphs
`htmltext.paragraphs` makes of its <body> once scripts, styles, embeds and the other
never-content elements are dropped.
"""
from __future__ import annotations

DOCTYPE = "<!DOCTYPE html><html><head><title>t</title></head><body>"

CASES = [
    # id, html, paragraphs
    ("embed-between-paragraphs",
     DOCTYPE + '<p>one</p><embed src="v.mp4" type="video/mp4"><p>against Eritrean forces</p><p>three</p>',
     ["one", "against Eritrean forces", "three"]),
    ("embed-inside-paragraph",
     DOCTYPE + '<p>Watch <embed src="v.mp4"> now</p><p>after</p>', ["Watch now", "after"]),
    ("video-source-track",
     DOCTYPE + '<p>Before</p><video controls><source src="a.mp4" type="video/mp4"><source src="a.webm">'
     '<track kind="captions" src="a.vtt" srclang="en"></video><p>After forces</p>', ["Before", "After forces"]),
    ("audio-source",
     DOCTYPE + '<p>Listen:<audio controls><source src="a.mp3"></audio></p><p>later</p>', ["Listen:", "later"]),
    ("picture-source",
     DOCTYPE + '<picture><source srcset="a.webp"><img src="a.jpg" alt=""></picture><p>caption</p><p>next</p>',
     ["caption", "next"]),
    ("wbr", DOCTYPE + "<p>work<wbr>force programs grew</p><p>then</p>", ["workforce programs grew", "then"]),
    ("unclosed-p-inside-div",
     DOCTYPE + "<div><p>one<div>two</div>three</div><p>four<p>five", ["one", "two", "three", "four", "five"]),
    ("unclosed-p-then-table-quirks",
     "<html><body><p>a<table><tr><td>cell</td></tr></table>b", ["a", "cell", "b"]),
    ("template", DOCTYPE + "<p>one</p><template><p>hidden</p></template><p>two</p>", ["one", "two"]),
    ("svg-breaks-out-at-p",
     DOCTYPE + "<p>one <svg><title>icon</title><p>inside</p></svg> two</p><p>three</p>",
     ["one", "inside", "two", "three"]),
    ("svg-foreign-object",
     DOCTYPE + "<p>a</p><svg><foreignObject><p>in svg</p></foreignObject></svg><p>b</p>", ["a", "b"]),
    ("mathml", DOCTYPE + "<p>x = <math><mi>a</mi><mo>+</mo><mi>b</mi></math> done</p>", ["x = a+b done"]),
    ("misnested-b-i", DOCTYPE + "<p><b>bold <i>both</b> italic</i> plain</p><p>next</p>",
     ["bold both italic plain", "next"]),
    ("misnested-b-p", DOCTYPE + "<b>one<p>two</b>three</p><p>four</p>", ["one", "twothree", "four"]),
    ("nested-a", DOCTYPE + '<p><a href="/1">one<a href="/2">two</a> end</p>', ["onetwo end"]),
    ("table-foster-parenting",
     DOCTYPE + "<table>fostered<tr><td>cell</td></tr></table><p>after</p>", ["fostered", "cell", "after"]),
    ("noscript-in-body", DOCTYPE + "<p>one</p><noscript><p>enable scripts</p></noscript><p>two</p>", ["one", "two"]),
    ("noscript-pixel-in-head",
     '<!DOCTYPE html><html><head><noscript><img src="px.gif"></noscript><title>t</title></head>'
     "<body><p>body text</p>", ["body text"]),
    ("object-fallback",
     DOCTYPE + '<p>a</p><object data="v.swf"><param name="m" value="v"><p>fallback</p></object><p>b</p>', ["a", "b"]),
    ("stray-end-br", DOCTYPE + "<p>line one</br>line two</p>", ["line one\nline two"]),
    ("entities",
     DOCTYPE + "<p>AT&T &amp; &copy 2026 &notit; &#x27;q&#39; &#128512;</p>", ["AT&T & © 2026 ¬it; 'q' \U0001F600"]),
    ("strike-correction", DOCTYPE + "<p>I still got <s>136</s> [3.6] million</p>", ["I still got ~~136~~ [3.6] million"]),
    ("control-characters", DOCTYPE + "<p>a\x02b\x0cc</p><p>d</p>", ["ab c", "d"]),
]

# Bodies parsed as fragments, as a browser parses `div.innerHTML = body` (feed items, GOV.UK
# bodies): id, body, paragraphs of the container.
FRAGMENT_CASES = [
    ("stray-div-end", "<p>one</p></div><p>two</p></div></div><p>three</p>", ["one", "two", "three"]),
    ("stray-body-end", "<p>one</p></body></html><p>two</p>", ["one", "two"]),
    ("document-tags", "<html><head><title>T</title></head><body><p>one</p></body></html>", ["T", "one"]),
    ("embed", '<p>one</p><embed src="v.mp4"><p>two</p>', ["one", "two"]),
    ("leading-text", "lead <b>bold</b> tail<p>para", ["lead bold tail", "para"]),
]
