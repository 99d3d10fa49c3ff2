"""The tree extraction reads is the tree Chromium builds (issue 27): the tricky-markup table and every
real page in ../shared/fixtures/real, served on loopback to Debian's headless Chromium, whose own
DOM is read as paragraphs by a script that mirrors `htmltext.paragraphs` step for step.

Both sides then apply the same rules to the same region, so what is compared is the parse:
- the region is <body>, and for a page a bundled profile extracts also the profile's body region
  with its hero and strip selectors removed (the extractor's header lines are put back in front:
  the browser side keeps them in place); a feed item's or GOV.UK body is a fragment, set as the
  innerHTML of a div#rw-item on both sides, as extraction parses it;
- dropped on both sides: script, style, noscript, template, iframe, object, embed, svg, forms
  and the other `htmltext.NEVER_CONTENT` elements, and comments (embedded media and captions are
  not transcript text);
- whitespace: runs of HTML whitespace are one space, lines trimmed as Python's str.strip() does;
- deliberate difference: control characters XML forbids (U+0001 to U+001F but tab, newline and
  carriage return) are dropped before parsing, as lxml cannot store them; the browser side drops
  them from its text (a form feed is whitespace on both sides).
Pages are served with `Content-Security-Policy: default-src 'none'`: no script runs and nothing
is fetched, while the parser's scripting flag stays on as in a browser that runs scripts
(<noscript> is raw text).
"""
from __future__ import annotations

import json
import threading
import xml.etree.ElementTree as ET
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from remarkwatch.crawler import html5tree, htmltext
from remarkwatch.crawler.extract import clean_body, extract_article, select
from remarkwatch.crawler.items import OK
from remarkwatch.crawler.profiles import get_profile
from tests.browser import chromium  # noqa: F401
from tests.conftest import REAL
from tests.html5_cases import CASES, FRAGMENT_CASES
from tests.receivers import QuietServer

pytestmark = pytest.mark.slow
PROFILES = ("whitehouse.gov", "state.gov", "state.gov-archive")
NS = {"content": "http://purl.org/rss/1.0/modules/content/"}
BLANK = "<!DOCTYPE html><html><head><title>blank</title></head><body></body></html>"

PARAGRAPHS_JS = r"""
const [regions, strips, never, blocks, fragment] = arguments;
if (fragment !== null) {            // a body parsed as a fragment, as extraction parses feed items
  const container = document.createElement("div");
  container.id = "rw-item";
  container.innerHTML = fragment;
  document.body.replaceChildren(container);
}
const NEVER = new Set(never), BLOCK = new Set(blocks), STRIKE = new Set(["s", "strike", "del"]);
const PYSPACE = "[\\t\\n\\x0b\\x0c\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]";
const TRIM = new RegExp("^" + PYSPACE + "+|" + PYSPACE + "+$", "g");
const collapse = s => s.replace(/[ \t\n\r\f]+/g, " ").replace(TRIM, "");
const clean = s => s.replace(/[\x00-\x08\x0b\x0e-\x1f\ufffe\uffff]/g, "");
const tag = el => el.localName.toLowerCase();
function parts(el, inStrike) {
  let out = "";
  for (const c of el.childNodes) {
    if (c.nodeType === 3) { out += clean(c.data); continue; }
    if (c.nodeType !== 1) continue;
    const t = tag(c);
    if (t === "br") out += "\n";
    else if (STRIKE.has(t) && !inStrike) out += "~~" + collapse(parts(c, true)) + "~~";
    else if (!NEVER.has(t)) out += parts(c, inStrike);
  }
  return out;
}
let region = null;
for (const css of regions) { region = document.querySelector(css); if (region) break; }
if (!region) return null;
for (const css of strips) region.querySelectorAll(css).forEach(e => e.remove());
const out = [], current = [];
function flush() {
  const lines = current.join("").split("\n").map(collapse).filter(l => l);
  current.length = 0;
  if (lines.length) out.push(lines.join("\n"));
}
function walk(el) {
  const t = tag(el);
  if (NEVER.has(t)) return;
  if (t === "br") { current.push("\n"); return; }
  if (STRIKE.has(t)) { current.push("~~" + collapse(parts(el, false)) + "~~"); return; }
  const block = BLOCK.has(t);
  if (block) flush();
  for (const c of el.childNodes) {
    if (c.nodeType === 3) current.push(clean(c.data));
    else if (c.nodeType === 1) walk(c);
  }
  if (block) flush();
}
walk(region);
flush();
return out;
"""


# Every fragment body in one script on the blank page: a call per body cost a round trip through
# chromedriver each (109 of them), which took most of this file's minute and a half in a loaded
# suite run. The function is PARAGRAPHS_JS with its arguments as parameters.
FRAGMENTS_JS = ("function one(regions, strips, never, blocks, fragment) {\n"
                + PARAGRAPHS_JS.split("\n", 2)[2] + "}\n"
                + "const [regions, strips, never, blocks, bodies] = arguments;\n"
                + "return bodies.map(body => one(regions, strips, never, blocks, body));\n")


class Pages(BaseHTTPRequestHandler):
    """Serves `pages[path]` as UTF-8 HTML that may run nothing and load nothing."""
    pages: dict[str, str] = {}

    def do_GET(self):  # noqa: N802 - http.server's name
        body = self.pages.get(self.path, "").encode("utf-8")
        self.send_response(200 if self.path in self.pages else 404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Security-Policy", "default-src 'none'")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def served():
    """`served(path, html)`: the URL on loopback where `html` is now served."""
    server = QuietServer(("127.0.0.1", 0), Pages)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def publish(path: str, html: str) -> str:
        Pages.pages[path] = html
        return f"http://127.0.0.1:{server.server_address[1]}{path}"
    try:
        yield publish
    finally:
        server.shutdown()
        server.server_close()


def chromium_paragraphs(browser, url, regions=("body",), strips=(), fragment=None) -> list[str] | None:
    """The paragraphs of the first of `regions` in Chromium's DOM of `url`, `strips` removed;
    with `fragment`, of a div#rw-item whose innerHTML it is, in place of the page's body (the blank
    page is loaded once for a run of fragments: the script replaces the body's children each time)."""
    if fragment is None or browser.run("return location.href") != url:
        browser.open(url, 1280, dom=False)
    return browser.run(PARAGRAPHS_JS, list(regions), list(strips), sorted(htmltext.NEVER_CONTENT),
                       sorted(htmltext.BLOCK_TAGS), fragment)


def our_paragraphs(html: str, region: str = "body", fragment: bool = False) -> list[str]:
    root = html5tree.fragment_selector(html, "rw-item").root if fragment else html5tree.parse(html)
    element = select(root, region)[0]
    htmltext.drop_non_content(element)
    return htmltext.paragraphs(element)


@pytest.mark.parametrize("case_id, html, expected", CASES, ids=[c[0] for c in CASES])
def test_tricky_markup_reads_as_chromium_reads_it(chromium, served, case_id, html, expected):  # noqa: F811
    seen = chromium_paragraphs(chromium, served(f"/case/{case_id}", html))
    assert seen == expected, f"Chromium's DOM differs from the table: {seen}"
    assert our_paragraphs(html) == seen


def real_pages() -> list[Path]:
    folder = REAL / "pages"
    return sorted(folder.glob("*/*.html")) if folder.is_dir() else []


def real_bodies() -> list[tuple[str, str]]:
    """(id, a feed item's or GOV.UK item's body HTML) of the real feeds and content items."""
    out = []
    for path in sorted(REAL.glob("*.xml")) if REAL.is_dir() else []:
        for n, item in enumerate(ET.parse(path).getroot().iter("item")):
            out.append((f"{path.stem}#{n}", item.findtext("content:encoded", namespaces=NS) or ""))
    for path in sorted([*REAL.glob("*.json"), *(REAL / "pages").glob("*/*.json")]) if REAL.is_dir() else []:
        out.append((path.stem, (json.loads(path.read_text(encoding="utf-8")).get("details") or {}).get("body") or ""))
    return [(i, body) for i, body in out if body.strip()]


def _page_id(path: Path) -> str:
    return f"{path.parent.name}/{path.stem}"


def reading_profile(html: str, url: str):
    """The first bundled profile that extracts this page, or None."""
    return next((get_profile(n) for n in PROFILES if extract_article(html, url, get_profile(n)).outcome == OK), None)


@pytest.fixture(scope="module")
def page_seen(chromium, served):  # noqa: F811
    """`page_seen(path)`: Chromium's paragraphs of a real page's <body>, and of the region of the
    profile that reads it (None without one). Each page is loaded once for both: the region's
    strips are removed after the body is read."""
    seen: dict[Path, tuple] = {}

    def read(path: Path) -> tuple:
        if path not in seen:
            html = path.read_text(encoding="utf-8", errors="replace")
            body = chromium_paragraphs(chromium, served(f"/real/{_page_id(path)}", html))
            profile = reading_profile(html, f"https://example.org/{path.name}")
            region = None
            if profile is not None:
                profile = profile.for_page(html5tree.selector(html))
                region = chromium.run(PARAGRAPHS_JS, list(profile.sel("body")),
                                      [*profile.sel("hero"), *profile.sel("strip")],
                                      sorted(htmltext.NEVER_CONTENT), sorted(htmltext.BLOCK_TAGS), None)
            seen[path] = (body, region)
        return seen[path]
    return read


@pytest.mark.parametrize("path", real_pages() or [None], ids=[_page_id(p) for p in real_pages()] or ["absent"])
def test_real_page_body_reads_as_chromium_reads_it(page_seen, path):
    if path is None:
        pytest.skip(f"{REAL / 'pages'} is not available (../shared is absent)")
    html = path.read_text(encoding="utf-8", errors="replace")
    seen, _ = page_seen(path)
    assert seen and our_paragraphs(html) == seen


@pytest.mark.parametrize("path", real_pages() or [None], ids=[_page_id(p) for p in real_pages()] or ["absent"])
def test_real_page_extracted_body_is_chromiums_region(page_seen, path):
    """The extractor's body text (profile region, hero and strip selectors removed) of each real
    page a bundled profile reads, against the same region of Chromium's DOM."""
    if path is None:
        pytest.skip(f"{REAL / 'pages'} is not available (../shared is absent)")
    html = path.read_text(encoding="utf-8", errors="replace")
    url = f"https://example.org/{path.name}"
    profile = reading_profile(html, url)
    if profile is None:
        pytest.skip("no bundled profile reads this page (its <body> is compared above)")
    sel = html5tree.selector(html)
    profile = profile.for_page(sel)
    body = next(m for s in profile.sel("body") for m in select(sel.root, s))
    header_lines, _, text, _, _ = clean_body(body, profile, url)
    ours = [*header_lines, *text.split("\n\n")]
    _, seen = page_seen(path)
    assert [htmltext.collapse(p) for p in ours] == [htmltext.collapse(p) for p in seen]


@pytest.fixture(scope="module")
def fragments_seen(chromium, served):  # noqa: F811
    """Chromium's paragraphs of each fragment body (the real feed and GOV.UK bodies and the
    fragment cases), as `innerHTML` of a div#rw-item on the blank page: {body: paragraphs}."""
    bodies = sorted({*(body for _, body in real_bodies()), *(body for _, body, _ in FRAGMENT_CASES)})
    chromium.open(served("/blank", BLANK), 1280)
    seen = chromium.run(FRAGMENTS_JS, ["#rw-item"], [], sorted(htmltext.NEVER_CONTENT), sorted(htmltext.BLOCK_TAGS),
                        bodies)
    return dict(zip(bodies, seen, strict=True))


@pytest.mark.parametrize("item", real_bodies() or [("absent", "")], ids=[i for i, _ in real_bodies()] or ["absent"])
def test_real_feed_and_govuk_bodies_read_as_chromium_reads_them(fragments_seen, item):
    item_id, body = item
    if not body:
        pytest.skip(f"{REAL} is not available (../shared is absent)")
    seen = fragments_seen[body]
    assert our_paragraphs(body, "#rw-item", fragment=True) == seen


@pytest.mark.parametrize("case_id, body, expected", FRAGMENT_CASES, ids=[c[0] for c in FRAGMENT_CASES])
def test_bodies_parsed_as_fragments_read_as_chromium_reads_them(fragments_seen, case_id, body, expected):
    seen = fragments_seen[body]
    assert seen == expected, f"Chromium's DOM differs from the table: {seen}"
    assert our_paragraphs(body, "#rw-item", fragment=True) == seen
