"""Pure extraction: a page's HTML and its site profile in, transcript fields out. No I/O."""
from __future__ import annotations

import re
from copy import deepcopy
from dataclasses import replace
from functools import lru_cache
from html import escape
from datetime import datetime
from urllib.parse import urljoin

from dateutil import parser as dateparser
from lxml import etree
from parsel import Selector
from parsel.csstranslator import HTMLTranslator

from remarkwatch.crawler import html5tree, htmltext
from remarkwatch.crawler.items import (BLOCKED, EMPTY_BODY, EXTRACT_ERROR, GONE, INCOMPLETE, NO_BODY, NOT_HTML, OK, TRUNCATED, Extracted,
                           Extraction)
from remarkwatch.crawler.profiles import Profile

EXTRACTOR_VERSION = "3"   # 2: embedded media sources recorded; 3: pages parsed as HTML5 (issue 27)
_ATTR = re.compile(r"::(attr\([^)]*\)|text)$")
_TRANSLATOR = HTMLTranslator()     # parsel's: CSS with its ::text and ::attr() pseudo-elements


@lru_cache(maxsize=4096)
def _compiled(css: str) -> etree.XPath:
    """A profile's CSS selector as compiled XPath, made once: parsel translates the CSS and lxml
    compiles the XPath again on every call, about 40% of an article's extraction."""
    return etree.XPath(_TRANSLATOR.css_to_xpath(css), smart_strings=False)


def select(root, css: str) -> list:
    """The matches of one CSS selector under an lxml element: elements, or strings for ::text
    and ::attr()."""
    return _compiled(css)(root)


def _values(sel: Selector, selector: str) -> list[str]:
    """Text (or attribute) values of every match of one CSS selector."""
    if _ATTR.search(selector):
        return [htmltext.collapse(v) for v in select(sel.root, selector) if v and v.strip()]
    return [t for t in (htmltext.inline_text(m) for m in select(sel.root, selector)) if t]


def first_value(sel: Selector, selectors) -> str | None:
    for selector in selectors:
        values = _values(sel, selector)
        if values:
            return values[0]
    return None


def all_values(sel: Selector, selectors) -> list[str]:
    for selector in selectors:
        values = _values(sel, selector)
        if values:
            return list(dict.fromkeys(values))
    return []


def parse_date(text: str | None, formats) -> str | None:
    """The ISO date for a printed date such as "October 8, 2021"; None when unreadable."""
    if not text:
        return None
    cleaned = htmltext.collapse(text.replace("\xa0", " "))
    for fmt in formats:
        try:
            return datetime.strptime(cleaned, fmt).date().isoformat()
        except ValueError:
            continue
    try:
        return dateparser.parse(cleaned, fuzzy=False).date().isoformat()
    except (ValueError, OverflowError):
        return None


def find_post_id(sel: Selector, profile: Profile) -> str | None:
    for rule in profile.post_id:
        # ::text and ::attr() through the compiled selectors; an element rule reads its markup
        values = select(sel.root, rule.css) if _ATTR.search(rule.css) else sel.css(rule.css).getall()
        for value in values:
            match = rule.regex.search(value or "")
            if match:
                return match.group(1)
    return None


# Block, challenge and maintenance pages of common CDNs and WAFs, on top of a profile's own.
GENERIC_BLOCK_MARKERS = (
    "Attention Required! | Cloudflare", "Just a moment...", "cf-browser-verification",
    "Checking your browser before accessing", "Verify you are human", "are you a robot",
    "g-recaptcha", "h-captcha", "captcha-delivery", "Access Denied", "Request Rejected", "The requested URL was rejected",
    "Request unsuccessful. Incapsula", "Sucuri WebSite Firewall", "Pardon Our Interruption",
    "403 Forbidden", "Too Many Requests", "Service Unavailable", "Under Maintenance",
    "Scheduled Maintenance", "Down for Maintenance", "Temporarily Unavailable",
)
NOT_FOUND_MARKERS = ("Page Not Found", "404 Not Found", "Error 404", "Page Cannot Be Found")


def _heads(sel: Selector) -> str:
    return " ".join(select(sel.root, "title::text, h1 *::text, h1::text"))


def is_blocked(sel: Selector, profile: Profile, body_found: bool) -> str | None:
    """The block marker this page shows, if it is a decoy/edge/WAF page rather than an article.

    When the article body is there, the page is the site's own template: only the profile's
    markers are looked for, and only in the title and headline (a statement titled "Access Denied
    to Aid Workers" is an article). Otherwise the whole page is read for generic markers too.
    """
    if body_found:
        text, markers = _heads(sel), profile.blocked_markers
    else:
        text = (_heads(sel) + " " + " ".join(select(sel.root, "body *::text")))[:20000]
        markers = (*profile.blocked_markers, *GENERIC_BLOCK_MARKERS)
    for marker in markers:
        if marker.lower() in text.lower():
            return marker
    return None


def is_not_found(sel: Selector) -> str | None:
    """The "page not found" marker in a page's title or headline (a soft 404 answered with 200)."""
    heads = _heads(sel).lower()
    return next((m for m in NOT_FOUND_MARKERS if m.lower() in heads), None)


def looks_like_speaker(line: str, profile: Profile) -> bool:
    return any(word.lower() in line.lower() for word in profile.speaker_role_words) and len(line) < 200


def split_header_lines(lines: list[str], profile: Profile) -> tuple[list[str], str | None, str | None]:
    """Bylines, location and venue from the plain header lines some layouts put before the hero."""
    speakers = [line for line in lines if looks_like_speaker(line, profile)]
    rest = [line for line in lines if line not in speakers]
    return speakers, (rest[0] if rest else None), (rest[1] if len(rest) > 1 else None)


def clean_body(body_root, profile: Profile, base_url: str, leading=None):
    """Strip chrome from the body element, in place; return (header_lines, html, text, links, media).

    The page's tree is not read after this (the header fields and the block and not-found checks
    come first), so it is not copied. `leading` decides whether a leading paragraph is a header
    line (feed items); by default the paragraphs before the profile's hero block are header lines.
    """
    root = body_root
    header_lines = _take_header_lines(root, profile, leading)
    for selector in (*profile.sel("hero"), *profile.sel("strip")):
        for match in select(root, selector):
            if match is not root:
                htmltext.remove_keep_tail(match)
    media = [urljoin(base_url, src) for src in htmltext.media_sources(root)]
    htmltext.drop_non_content(root)
    links = [urljoin(base_url, a.get("href")) for a in root.iter("a") if a.get("href")]
    text = "\n\n".join(htmltext.paragraphs(root))
    return header_lines, htmltext.to_html(root), text, list(dict.fromkeys(links)), list(dict.fromkeys(media))


def _take_header_lines(root, profile: Profile, leading) -> list[str]:
    lines: list[str] = []
    if leading is not None:
        for child in list(root):
            if not isinstance(child.tag, str) or child.tag != "p":
                break
            text = htmltext.inline_text(child)
            if not leading(text):
                break
            lines.append(text)
            htmltext.remove_keep_tail(child)
        return lines
    heroes = [m for s in profile.sel("hero") for m in select(root, s)]
    if not heroes:
        return lines
    for sibling in list(heroes[0].itersiblings(preceding=True))[::-1]:
        if isinstance(sibling.tag, str) and sibling.tag == "p":
            text = htmltext.inline_text(sibling)
            if text:
                lines.append(text)
            htmltext.remove_keep_tail(sibling)
    return lines


def _speakers(sel: Selector, profile: Profile) -> list[str]:
    for selector in profile.sel("speakers"):
        for match in select(sel.root, selector):
            lines = htmltext.split_on_br(match)
            if lines:
                return lines
    return []


def _header_fields(sel: Selector, profile: Profile, url: str) -> Extracted:
    published_text = first_value(sel, profile.sel("published"))
    canonical = first_value(sel, profile.sel("canonical"))
    return Extracted(
        title=first_value(sel, profile.sel("title")),
        doc_type=first_value(sel, profile.sel("doc_type")),
        speakers=_speakers(sel, profile),
        audience=first_value(sel, profile.sel("audience")),
        location=first_value(sel, profile.sel("location")),
        published=parse_date(published_text, profile.date_formats),
        published_text=published_text,
        modified_time=first_value(sel, profile.sel("modified_time")),
        tags=all_values(sel, profile.sel("tags")),
        post_id=find_post_id(sel, profile),
        canonical_url=urljoin(url, canonical) if canonical else None,
    )


def extract_article(html: str, url: str, profile: Profile) -> Extraction:
    """Extract one article page. Never raises: a page the extractor cannot handle (a bug, or a
    hostile tree) is the outcome `extract_error` with the error, recorded like any other outcome."""
    try:
        return _extract_article(html, url, profile)
    except Exception as exc:  # noqa: BLE001 - any failure on one page is that page's outcome
        return Extraction(EXTRACT_ERROR, problem=f"{type(exc).__name__}: {str(exc)[:300]}")


def _extract_article(html: str, url: str, profile: Profile) -> Extraction:
    if profile.extractor == "trafilatura":
        return extract_automatic(html, url, profile)
    if profile.extractor == "govuk":
        return extract_govuk(html, url, profile)
    sel = html5tree.selector(html)
    profile = profile.for_page(sel)          # the site's layout of this page's era
    body = next((m for s in profile.sel("body") for m in select(sel.root, s)), None)
    marker = is_blocked(sel, profile, body is not None)
    if marker:
        return Extraction(BLOCKED, problem=f"block page ({marker!r})")
    missing = is_not_found(sel)
    if missing:
        return Extraction(GONE, problem=f"not-found page ({missing!r})")
    if body is None:
        return Extraction(NO_BODY, problem=f"no element matches body selectors {list(profile.sel('body'))}")
    if profile.expect_html_end and "</html>" not in (html or "")[-4096:].lower():
        return Extraction(TRUNCATED, problem="the page ends before </html>")
    fields = _header_fields(sel, profile, url)
    if not fields.title:
        return Extraction(INCOMPLETE, fields=fields, problem="the page has no title")
    header_lines, fields.body_html, fields.body_text, fields.links, fields.media = clean_body(
        body, profile, url)
    _fill_from_header_lines(fields, header_lines, profile)
    if not fields.body_text.strip():
        return Extraction(EMPTY_BODY, fields=fields, problem="the body holds no text")
    return Extraction(OK, fields=fields)


def _fill_from_header_lines(fields: Extracted, lines: list[str], profile: Profile) -> None:
    if not lines:
        return
    speakers, location, audience = split_header_lines(lines, profile)
    fields.speakers = fields.speakers or speakers
    fields.location = fields.location or location
    fields.audience = fields.audience or audience


# A profile that misses a page this way may be facing a redesign: the generic extractor steps in.
FALLBACK_OUTCOMES = (NO_BODY, INCOMPLETE, EMPTY_BODY)
MIN_FALLBACK_WORDS = 40     # what the generic extractor finds must read like a release, not a hero line


def fallback_profile(site: Profile, generic: Profile) -> Profile:
    """The generic extractor (trafilatura, standard meta tags) with the site's own block markers,
    post-id rules and date formats, for pages the site's profile no longer matches."""
    return replace(generic, name=f"{site.name}+fallback", site=site.site,
                   blocked_markers=(*site.blocked_markers, *generic.blocked_markers),
                   post_id=(*site.post_id, *generic.post_id), date_formats=(*site.date_formats, *generic.date_formats),
                   speaker_role_words=site.speaker_role_words, expect_html_end=site.expect_html_end)


def extract_or_fallback(html: str, url: str, profile: Profile, fallback: Profile | None) -> tuple[Extraction, str | None]:
    """The profile's extraction; when it misses the page (no body, no title, an empty body), the
    fallback's, with what the profile missed (None when the profile did the work)."""
    result = extract_article(html, url, profile)
    if fallback is None or result.outcome not in FALLBACK_OUTCOMES:
        return result, None
    rescued = extract_article(html, url, fallback)
    if rescued.outcome != OK or len(rescued.fields.body_text.split()) < MIN_FALLBACK_WORDS:
        return result, None        # a home or hub page at an article's address is no release
    return rescued, result.problem or result.outcome


def extract_feed_item(content_html: str, *, url: str, title: str | None, creator: str | None,
                      profile: Profile) -> Extraction:
    """Extract a feed item's body (RSS content:encoded) the way an article body is extracted."""
    sel = html5tree.fragment_selector(content_html or "", "rw-item")
    root = sel.css("#rw-item")[0].root
    creator_text = htmltext.collapse(creator or "")
    hero = any(sel.css(s) for s in profile.sel("hero"))
    leading = None if hero else (lambda line: bool(line) and line in creator_text)
    header_fields = _header_fields(sel, profile, url)
    header_fields.title = header_fields.title or (htmltext.collapse(title) if title else None)
    header_lines, body_html, body_text, links, media = clean_body(root, profile, url, leading)
    header_fields.body_html, header_fields.body_text = body_html, body_text
    header_fields.links, header_fields.media = links, media
    _fill_from_header_lines(header_fields, header_lines, profile)
    if not body_text.strip():
        return Extraction(EMPTY_BODY, fields=header_fields, problem="the item holds no text")
    return Extraction(OK, fields=header_fields)


def extract_listing(html: str, url: str, profile: Profile) -> tuple[list[str], str | None]:
    """Article links on a listing page, in page order, and the next page's URL if any."""
    sel = html5tree.selector(html)
    profile = profile.for_page(sel)
    links: list[str] = []
    for item_selector in profile.sel("items") or ("body",):
        for item in sel.css(item_selector):
            href = first_value(item, profile.sel("link"))
            if href:
                links.append(urljoin(url, href))
        if links:
            break
    next_href = first_value(sel, profile.sel("next"))
    return list(dict.fromkeys(links)), (urljoin(url, next_href) if next_href else None)


def extract_automatic(html: str, url: str, profile: Profile) -> Extraction:
    """Any page, without selectors: trafilatura finds the main text; title, dates, canonical URL
    and tags come from standard tags (og:*, article:*, JSON-LD) and the profile's selectors."""
    import trafilatura

    sel = html5tree.selector(html)
    # trafilatura reads (and prunes) a copy of the HTML5 tree rather than libxml2's parse of the text
    document = trafilatura.bare_extraction(deepcopy(sel.root), url=url, with_metadata=True, include_comments=False,
                                           include_tables=True, favor_precision=True)
    text = (document.text or "") if document is not None else ""
    marker = is_blocked(sel, profile, bool(text.strip()))
    if marker:
        return Extraction(BLOCKED, problem=f"block page ({marker!r})")
    missing = is_not_found(sel)
    if missing:
        return Extraction(GONE, problem=f"not-found page ({missing!r})")
    if profile.expect_html_end and "</html>" not in (html or "")[-4096:].lower():
        return Extraction(TRUNCATED, problem="the page ends before </html>")
    fields = _header_fields(sel, profile, url)
    if document is not None:
        fields.title = fields.title or document.title
        fields.published_text = fields.published_text or document.date
        fields.published = fields.published or parse_date(document.date, profile.date_formats)
        fields.tags = fields.tags or list(dict.fromkeys([*(document.categories or []), *(document.tags or [])]))
        if not fields.speakers and document.author:
            fields.speakers = [a.strip() for a in document.author.split(";") if a.strip()]
    paragraphs = [htmltext.collapse(line) for line in text.split("\n") if line.strip()]
    fields.body_text = "\n\n".join(paragraphs)
    fields.body_html = "".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    if not fields.title:
        return Extraction(INCOMPLETE, fields=fields, problem="the page has no title")
    if not fields.body_text:
        return Extraction(NO_BODY, fields=fields, problem="no main text found")
    return Extraction(OK, fields=fields)


def extract_govuk(text: str, url: str, profile: Profile) -> Extraction:
    """A GOV.UK Content API item (JSON). Its modified time is the latest public change note of
    `details.change_history`, so an edit the page does not declare comes out `silent`."""
    import json

    try:
        item = json.loads(text or "")
    except ValueError:
        return Extraction(NOT_HTML, problem="not a GOV.UK content item (not JSON)")
    if not isinstance(item, dict) or not item.get("title") or "details" not in item:
        return Extraction(INCOMPLETE, problem="not a GOV.UK content item (no title or details)")
    details, links = item.get("details") or {}, item.get("links") or {}
    notes = sorted((n for n in details.get("change_history") or [] if n.get("public_timestamp")),
                   key=lambda n: n["public_timestamp"])
    delivered = details.get("delivered_on") or item.get("first_published_at")
    fields = Extracted(
        title=htmltext.collapse(item["title"]), doc_type=item.get("document_type"),
        speakers=[p["title"] for p in links.get("speaker") or [] if p.get("title")]
        or ([details["speaker_without_profile"]] if details.get("speaker_without_profile") else []),
        audience=details.get("speech_type_explanation"), location=details.get("location"),
        published_text=delivered, published=parse_date(delivered, profile.date_formats),
        modified_time=notes[-1]["public_timestamp"] if notes else item.get("first_published_at"),
        tags=[o["title"] for o in links.get("organisations") or [] if o.get("title")],
        post_id=item.get("content_id"),
        canonical_url=urljoin("https://www.gov.uk", item["base_path"]) if item.get("base_path") else None,
    )
    sel = html5tree.fragment_selector(details.get("body") or "", "rw-item")
    _, fields.body_html, fields.body_text, fields.links, fields.media = clean_body(
        sel.css("#rw-item")[0].root, profile, url, leading=lambda line: False)
    if not fields.body_text.strip():
        return Extraction(EMPTY_BODY, fields=fields, problem="the item's details.body holds no text")
    return Extraction(OK, fields=fields)
