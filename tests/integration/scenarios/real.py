"""Real before/after pairs from ../shared/fixtures/real as extra scenario cases (none when absent).

The real text is served by the replica in state.gov markup: the RSS items' `content:encoded`
bodies as they were, and the White House pages' pandoc text turned back into paragraphs. The
fixtures are read in place and never copied into the project.
"""
from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

from remarkwatch.demo.replica.content import Release
from tests.integration.scenarios.cases import Case, Expect, Step, move, update

REAL = Path(__file__).resolve().parents[4] / "shared" / "fixtures" / "real"
NS = {"content": "http://purl.org/rss/1.0/modules/content/", "dc": "http://purl.org/dc/elements/1.1/"}


def _item(name: str, guid: str) -> dict:
    root = ET.parse(REAL / name).getroot()
    for item in root.iter("item"):
        if item.findtext("guid") == guid:
            return {"title": item.findtext("title"), "link": item.findtext("link"),
                    "content": item.findtext("content:encoded", namespaces=NS) or ""}
    raise LookupError(f"{name}: no item {guid}")


def _slug(link: str) -> str:
    """The page's own slug, prefixed so it cannot collide with the demo releases on the same site."""
    return "real-" + urlsplit(link).path.strip("/").split("/")[-1]


def _feed_release(post_id: int, item: dict, published: date) -> Release:
    return Release(post_id, _slug(item["link"]), html.unescape(item["title"]), "Press Release",
                   ["Office of the Spokesperson"], published, [], body_html=item["content"],
                   modified=f"{published.isoformat()}T12:00:00+00:00")


def _markdown(name: str) -> tuple[dict, str]:
    """Front matter and body of a pandoc-markdown page, the body as HTML paragraphs."""
    text = (REAL / name).read_text(encoding="utf-8")
    _, front, body = text.split("---\n", 2)
    meta = {}
    for line in front.splitlines():
        key, _, value = line.partition(": ")
        meta[key.strip()] = value.strip().strip('"').strip("'").replace("\\_", "\xa0")
    paras = []
    for block in re.split(r"\n\s*\n", body):
        if not block.strip():
            continue
        lines = [line.rstrip() for line in block.split("\n")]
        joined = "<br>".join(html.escape(" ".join(lines), quote=False).split("&lt;br&gt;"))
        for old, new in (("&lt;s&gt;", "<s>"), ("&lt;/s&gt;", "</s>"), ("\\[", "["), ("\\]", "]"),
                         ("\\$", "$"), ("\\*", "*"), ("\\'", "'")):
            joined = joined.replace(old, new)
        paras.append(f"<p>{joined}</p>")
    return meta, "\n".join(paras)


def _md_release(post_id: int, name: str) -> Release:
    meta, body = _markdown(name)
    return Release(post_id, _slug(meta["source_url"]), meta["title"], "Remarks", ["The White House"],
                   date.fromisoformat(meta["date"]), [], body_html=body,
                   modified=meta["modified_time"].replace(" ", "T"))


def _md_update(name: str):
    meta, body = _markdown(name)
    return update(body_html=body, title=meta["title"], modified=meta["modified_time"].replace(" ", "T"))


def real_cases() -> list[Case]:
    if not REAL.exists():
        return []
    out = []
    state_guid = "https://www.state.gov/?post_type=state_briefing&p=262710"
    before = _item("state_gov__rss_edit_pair_2021-07-28__before.xml", state_guid)
    after = _item("state_gov__rss_edit_pair_2021-07-28__after.xml", state_guid)
    out.append(Case(
        "real-state-forces-refugees", "real", "state.gov 2021-07-28: 'Eritrean forces' -> 'Eritrean refugees'",
        _feed_release(9_262_710, before, date(2021, 7, 27)),
        [Step([update(body_html=after["content"])],
              Expect("edited", {"wording"}, {"body"}, where="MS PORTER: 'forces' -> 'refugees'"))]))
    slug_guid = "https://www.state.gov/?page_id=352170"
    before = _item("state_gov__rss_slug_change_2022-06-13__before.xml", slug_guid)
    after = _item("state_gov__rss_slug_change_2022-06-13__after.xml", slug_guid)
    out.append(Case(
        "real-state-slug-and-title", "real", "state.gov 2022-06-13: 'Visas' -> 'Visa' in the title and the slug",
        _feed_release(9_352_170, before, date(2022, 6, 13)),
        [Step([move(_slug(after["link"])), update(title=html.unescape(after["title"]), body_html=after["content"])],
              Expect("moved", {"url", "title"}, {"url", "title"}, at_least=True))]))
    wh_guid = "https://www.whitehouse.gov/?p=20549"
    before = _item("whitehouse_gov__rss_edit_pair_2021-06-12__before.xml", wh_guid)
    after = _item("whitehouse_gov__rss_edit_pair_2021-06-12__after.xml", wh_guid)
    out.append(Case(
        "real-wh-question-rewritten", "real", "whitehouse.gov 2021-06-12: a press question rewritten",
        _feed_release(9_020_549, before, date(2021, 6, 12)),
        [Step([update(body_html=after["content"])], Expect("edited", {"wording"}, {"body"}, at_least=True))]))
    out.append(Case(
        "real-wh-think-believe", "real", "whitehouse.gov 2022-05-17: 'I don't think' -> 'I believe', location added",
        _md_release(9_220_517, "wh_briefings__2022-05-17_af1_departure_buffalo__before.md"),
        [Step([_md_update("wh_briefings__2022-05-17_af1_departure_buffalo__after.md")],
              Expect("edited", {"wording", "insertion"}, {"body", "modified_time"}, at_least=True,
                     where="THE PRESIDENT: 'don't think' -> 'believe'"))]))
    out.append(Case(
        "real-wh-strikethrough", "real", "whitehouse.gov 2023-12-20: '136' -> '<s>136</s> [3.6]'",
        _md_release(9_231_220, "wh_briefings__2023-12-20_strikethrough_correction__before.md"),
        [Step([_md_update("wh_briefings__2023-12-20_strikethrough_correction__after.md")],
              Expect("edited", {"correction", "number"}, {"body"}, at_least=True))]))
    return out
