"""What parsing a page as HTML5 would cost, told before parsing it: lexbor, like a browser, checks
the stack of open elements at each block-level tag, so markup nested thousands deep costs the
square of its depth (100,000 nested <div>s took 23 s; libxml2 stopped nesting at 256). Pages too
costly are refused as extraction errors rather than hold a pass. Pure: no I/O.
"""
from __future__ import annotations

import re
from collections import Counter

# A page with fewer tags than this costs at most a fraction of a second whatever its nesting.
CHEAP_TAGS = 20_000
# Stack steps the HTML5 parser may take (about 4.6 ns each here): about a second.
MAX_STEPS = 200_000_000
_WALK = 256      # how far down the modelled stack a closing rule looks (further: assume it does not close)

_TAG = re.compile(r"<(/?)([A-Za-z][^\s/>]*)")
VOID = frozenset("area base br col embed hr img input link meta source track wbr keygen param basefont "
                 "bgsound frame image".split())
RAW_TEXT = frozenset("script style textarea title xmp iframe noembed noframes noscript plaintext".split())
# Start tags that close an open <p> (so walk the stack: "has a p element in button scope").
CLOSES_P = frozenset("address article aside blockquote center details dialog dir div dl fieldset figcaption "
                     "figure footer header hgroup main menu nav ol p search section summary ul h1 h2 h3 h4 "
                     "h5 h6 pre listing form li dd dt plaintext table hr xmp".split())
SPECIAL = frozenset("address applet area article aside base basefont bgsound blockquote body br button caption "
                    "center col colgroup dd details dir div dl dt embed fieldset figcaption figure footer form "
                    "frame frameset h1 h2 h3 h4 h5 h6 head header hgroup hr html iframe img input keygen li link "
                    "listing main marquee menu meta nav noembed noframes noscript object ol p param plaintext "
                    "pre script search section select source style summary table tbody td template textarea "
                    "tfoot th thead title tr track ul wbr xmp".split())
SCOPE = frozenset("applet caption html table td th marquee object template button svg math".split())
SAME_TOP = frozenset("option optgroup tr td th rb rp rt rtc".split())


class MarkupTooCostly(ValueError):
    """A page's markup would cost the HTML5 parser too long (nested thousands deep)."""


def check(html: str) -> None:
    """Raise MarkupTooCostly when parsing `html` would take more than MAX_STEPS stack steps."""
    steps = parse_steps(html)
    if steps > MAX_STEPS:
        raise MarkupTooCostly(f"markup nested too deep to parse (about {steps:,} steps of the HTML5 "
                              f"parser, more than {MAX_STEPS:,}); a browser keeps 512 levels")


def parse_steps(html: str) -> int:
    """An upper estimate of the stack steps parsing `html` takes (0 for a page with few tags).

    The stack of open elements is modelled so that it is never shallower than the parser's: every
    start tag of a non-void element opens one, and a tag closes elements only where the HTML
    Standard surely does (a <p>, <li>, <dd> or <dt> closing its like, an end tag whose element is
    open close enough above, with nothing that would stop the parser in between)."""
    if html.count("<") < CHEAP_TAGS:
        return 0
    lower = html.lower()
    stack: list[str] = []
    open_names: Counter = Counter()
    steps, pos = 0, 0
    while True:
        match = _TAG.search(html, pos)
        if match is None:
            return steps
        pos = match.end()
        closing, name = match.group(1), match.group(2).lower()
        if closing:
            if open_names[name]:
                _close(stack, open_names, name, stop=SCOPE if name in SPECIAL else SPECIAL)
            continue
        if name in CLOSES_P:
            steps += len(stack)
            if open_names["p"]:
                _close(stack, open_names, "p", stop=SCOPE)
            if name in ("li", "dd", "dt") and open_names[name]:
                _close(stack, open_names, name, stop=SPECIAL - {"address", "div", "p"})
        elif name in SAME_TOP and stack and stack[-1] == name:
            open_names[stack.pop()] -= 1
        if name in VOID:
            continue
        if name in RAW_TEXT:          # its text is not markup: skip to its end tag
            end = lower.find(f"</{name}", pos) if name != "plaintext" else -1
            if end < 0:
                return steps
            pos = end
            continue
        stack.append(name)
        open_names[name] += 1


def _close(stack: list[str], open_names: Counter, name: str, stop: frozenset) -> None:
    """Pop down to `name` if it is within reach and no element in `stop` is above it."""
    for depth in range(1, min(len(stack), _WALK) + 1):
        element = stack[-depth]
        if element == name:
            for _ in range(depth):
                open_names[stack.pop()] -= 1
            return
        if element in stop:
            return
