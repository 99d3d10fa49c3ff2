"""The scenario catalogue: one case per row of the edit taxonomy (research §5.3) and per noise case.

Each case is a baseline page on the replica site and, per later crawl pass, a mutation and what
remarkwatch must record in that pass: a change of a given kind, classes and changed fields, or
nothing at all. Every mutation is applied to the served HTML or to the release it is rendered
from; a text patch that does not match the page raises, so no case can silently test nothing.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Callable

from remarkwatch.demo.replica.content import Release
from remarkwatch.demo.replica.site import Response, Site

TEMPLATE = [
    "MR PRICE: Good afternoon, everyone. I have two things at the top, and then I am happy to take your questions.",
    "First, the United States is deeply concerned by reports of violence in the region. We call on all armed actors to stop attacks and intimidation against Eritrean forces and all refugees.",
    "Second, the Secretary will travel to Nairobi next week. I don't think we will have more to say on that today.",
    "QUESTION: Thanks, Ned. How many people have been displaced so far?",
    "MR PRICE: Our latest figure is 136 million people in need across the region. (Inaudible) – and we will update it.",
    "QUESTION: And were his supporters at the meeting?",
    "MR PRICE: His supporters were there, yes. Back over to you, Josh.",
    "For more information, please contact INL-PAPD@state.gov.",
]


@dataclass
class Expect:
    kind: str
    classes: set[str]
    fields: set[str]
    alert: bool = True
    where: str = ""              # text the change's summary must contain (where the edit is)
    at_least: bool = False       # real cases: the classes must include these (real edits carry extras)


Action = Callable[[Site, "Case", str], None]


@dataclass
class Step:
    actions: list[Action]
    expect: Expect | None        # None: the pass must record no change at all for this page


@dataclass
class Case:
    name: str
    row: str                      # taxonomy row (1-15), "noise", "fetch" or "real"
    what: str
    release: Release
    steps: list[Step]
    setup: list[Action] = field(default_factory=list)   # applied before the baseline crawl

    @property
    def slug(self) -> str:
        return self.release.slug


# ---- actions --------------------------------------------------------------------------------

def edit(old: str, new: str, modified: str | None = None) -> Action:
    """Replace body text; by default the page's modified time stays (a silent edit)."""
    def act(site: Site, case: Case, base: str) -> None:
        site.edit(case.slug, old, new, modified=modified)
    return act


def update(**changes) -> Action:
    def act(site: Site, case: Case, base: str) -> None:
        site.update(case.slug, **changes)
    return act


def patch(old: str, new: str) -> Action:
    """Replace text in the served HTML of the case's page ({base} is the site's URL)."""
    def act(site: Site, case: Case, base: str) -> None:
        site.patch(_path(site, case), old, new)
    return act


def patch_listing(old: str, new: str) -> Action:
    def act(site: Site, case: Case, base: str) -> None:
        path = _path(site, case)
        for page in _listing_paths(site):
            try:
                site.patch(page, old.replace("{path}", path), new.replace("{path}", path))
                return
            except ValueError:
                continue
        raise ValueError(f"{case.name}: {old!r} is on no listing page")
    return act


def respond(status: int, body: bytes = b"", headers: tuple = ()) -> Action:
    def act(site: Site, case: Case, base: str) -> None:
        site.override(_path(site, case), Response(status, body, headers=headers))
    return act


def restore() -> Action:
    def act(site: Site, case: Case, base: str) -> None:
        site.override(_path(site, case), None)
    return act


def move(new_slug: str) -> Action:
    def act(site: Site, case: Case, base: str) -> None:
        moved = site.move(case.slug, new_slug)
        case.release = moved
    return act


def _path(site: Site, case: Case) -> str:
    return next(p for p, r in site.releases.items() if r.post_id == case.release.post_id)


def _listing_paths(site: Site) -> list[str]:
    from remarkwatch.demo.replica.site import LISTING
    pages = -(-len(site.releases) // site.per_page)
    return [LISTING] + [f"{LISTING}page/{n}/" for n in range(2, pages + 1)]


# ---- pages -----------------------------------------------------------------------------------

_NEXT_ID = [990_000]


def briefing(slug: str, paragraphs: list[str] | None = None, **kw) -> Release:
    _NEXT_ID[0] += 1
    defaults = dict(
        title=f"Department Press Briefing – {slug.replace('-', ' ').title()}",
        doc_type="Department Press Briefing", speakers=["Ned Price, Department Spokesperson"],
        published=date(2021, 7, 27), location="Washington, D.C.", tags=["Ethiopia"],
        modified="2021-07-27T15:04:00+00:00",
    )
    defaults.update(kw)
    return Release(_NEXT_ID[0], slug, paragraphs=list(paragraphs or TEMPLATE), **defaults)


def edited(kind="edited", classes=(), fields=("body",), **kw) -> Expect:
    return Expect(kind, set(classes), set(fields), **kw)


def quiet(classes=("cosmetic",), fields=("body",)) -> Expect:
    return Expect("edited", set(classes), set(fields), alert=False)


DECOY = b"""<!DOCTYPE html><html><head><title>Technical Difficulties</title></head>
<body><h1>Technical Difficulties</h1><p>We're sorry, this site is currently experiencing technical
difficulties. Please try again in a few moments.</p></body></html>"""
CAPTCHA = b"""<!DOCTYPE html><html><head><title>Just a moment...</title></head><body>
<div id="cf-browser-verification"><h1>Checking your browser before accessing www.state.gov</h1></div>
</body></html>"""
MAINTENANCE = b"""<!DOCTYPE html><html><head><title>Scheduled Maintenance</title></head><body>
<h1>Scheduled Maintenance</h1><p>This site is down for maintenance.</p></body></html>"""
NOT_FOUND_200 = b"""<!DOCTYPE html><html><head><title>Page Not Found - United States Department of State</title>
</head><body><main><h1>Page Not Found</h1><p>Sorry, we could not find that page.</p></main></body></html>"""
WAF_403 = b"""<html><head><title>Access Denied</title></head><body><h1>Access Denied</h1>
You don't have permission to access this server. Reference #18.2f3e4b17</body></html>"""


def cases() -> list[Case]:
    _NEXT_ID[0] = 990_000
    return [
        # 1. single word substitution changing meaning
        Case("wording-forces-refugees", "1", "'forces' -> 'refugees' in a briefing", briefing("wording-a"),
             [Step([edit("Eritrean forces", "Eritrean refugees")],
                   edited(classes={"wording"}, where="turn 1, MR PRICE: 'forces' -> 'refugees'"))]),
        Case("wording-think-believe", "1", "'I don't think' -> 'I believe'", briefing("wording-b"),
             [Step([edit("I don't think we will", "I believe we will")],
                   edited(classes={"wording"}, where="'don't think' -> 'believe'"))]),
        Case("punctuation-apostrophe", "1", "'supporters' -> 'supporter's' (meaning, not cosmetic)",
             briefing("punctuation"),
             [Step([edit("were his supporters at", "were his supporter's at")],
                   edited(classes={"punctuation"}, where="turn 4, QUESTION"))]),
        # 2. name/typo fix
        Case("name-fix", "2", "a name's spelling fixed", briefing("name-fix", [*TEMPLATE[:2], "We welcome UNFPA Executive Director Natalie Kanem to Washington."]),
             [Step([edit("Natalie Kanem", "Natalia Kanem")], edited(classes={"wording"}, where="'Natalie' -> 'Natalia'"))]),
        # 3. number correction with strike-through and brackets, added then removed
        Case("correction-added", "3", "'136' -> '<s>136</s> [3.6]' (house-style correction)", briefing("correction"),
             [Step([patch("136 million", "<s>136</s> [3.6] million")],
                   edited(classes={"correction", "number"}, where="turn 3, MR PRICE"))]),
        Case("correction-removed", "3", "strike-through and bracket markup taken out again", briefing("correction-gone"),
             [Step([patch("136 million", "<s>$798 million</s> [$698 million]")],
                   edited(classes={"correction", "number"})),
              Step([patch("<s>$798 million</s> [$698 million]", "$698 million")],
                   edited(classes={"correction", "number"}))]),
        Case("number-plain", "3", "a number changed without markup", briefing("number"),
             [Step([edit("136 million", "13.6 million")], edited(classes={"number"}))]),
        # 4. (inaudible) filled in, or removed
        Case("inaudible-filled", "4", "'(Inaudible)' replaced by the words", briefing("inaudible"),
             [Step([edit("(Inaudible) – and", "Those figures are preliminary – and")],
                   edited(classes={"inaudible"}, where="turn 3, MR PRICE"))]),
        # 5. sentence/line deleted
        Case("sentence-deleted", "5", "the contact e-mail line removed", briefing("deleted"),
             [Step([update(paragraphs=TEMPLATE[:-1])], edited(classes={"deletion"}, where="removed 'For more information"))]),
        # 6. paragraphs added
        Case("paragraphs-added", "6", "two paragraphs added to an unfinished transcript", briefing("added"),
             [Step([update(paragraphs=[*TEMPLATE, "QUESTION: One more on Ethiopia?", "MR PRICE: We will leave it there. (The briefing was concluded at 3:12 p.m.)"])],
                   edited(classes={"insertion"}, where="added 'QUESTION: One more"))]),
        # 7. speaker label changed / anonymised
        Case("speaker-relabelled", "7", "'MR PRICE:' -> 'MS. JEAN-PIERRE:' on one turn", briefing("speaker"),
             [Step([edit("MR PRICE: Our latest", "MS. JEAN-PIERRE: Our latest")],
                   edited(classes={"speaker"}, where="MS. JEAN-PIERRE"))]),
        Case("speaker-anonymised", "7", "'Josh' -> '[senior administration official]'", briefing("anonymised"),
             [Step([edit("to you, Josh.", "to you, [senior administration official].")], edited(classes={"speaker"}))]),
        # 8. title changed
        Case("title-wording", "8", "title corrected", briefing("title", title="Visas Restrictions on Regime Officials"),
             [Step([update(title="Visa Restrictions on Regime Officials")],
                   edited(classes={"title", "wording"}, fields={"title"}))]),
        Case("title-prepared", "8", "'Remarks' -> 'Remarks as Prepared for Delivery'", briefing("prepared", title="Remarks by the Secretary at the Summit"),
             [Step([update(title="Remarks as Prepared for Delivery by the Secretary at the Summit")],
                   edited(classes={"title", "insertion"}, fields={"title"}))]),
        # 9. URL/slug changed for the same post id
        Case("slug-renumbered", "9", "slug '-14/' -> '-15/' (WordPress re-numbering)", briefing("press-availability-14"),
             [Step([move("press-availability-15")], edited("moved", {"url"}, {"url"}))]),
        # 10. publication date changed
        Case("date-changed", "10", "published date moved to the next day", briefing("date"),
             [Step([update(published=date(2021, 7, 28))], edited(classes={"metadata"}, fields={"published"}))]),
        # 11. byline / location / venue changed
        Case("location-changed", "11", "'Duluth, Wisconsin' -> 'Duluth, Minnesota'", briefing("location", location="Duluth, Wisconsin"),
             [Step([update(location="Duluth, Minnesota")], edited(classes={"metadata", "wording"}, fields={"location"}))]),
        Case("byline-added", "11", "a second speaker added to the byline", briefing("byline"),
             [Step([update(speakers=["Ned Price, Department Spokesperson", "Jalina Porter, Principal Deputy Spokesperson"])],
                   edited(classes={"metadata", "speaker"}, fields={"speakers"},
                          where="-> 'Ned Price, Department Spokesperson; Jalina"))]),
        # Real patterns (issue 13): attribution, house style, anonymising, overwritten pages.
        Case("byline-replaced", "real-pattern", "'Office of the Spokesperson' -> a named official with title",
             briefing("byline-replaced", speakers=["Office of the Spokesperson"]),
             [Step([update(speakers=["Ned Price, Department Spokesperson"])],
                   edited(classes={"metadata", "speaker"}, fields={"speakers"},
                          where="speakers: 'Office of the Spokesperson' -> 'Ned Price, Department Spokesperson'"))]),
        Case("abbreviation-location", "real-pattern", "'Washington, D.C.' -> 'Washington, DC' (house style)",
             briefing("abbreviation"), [Step([update(location="Washington, DC")], quiet(fields={"location"}))]),
        Case("abbreviation-body", "real-pattern", "'U.S.' -> 'US' in the transcript", briefing("us-style", [
             *TEMPLATE[:2], "MR PRICE: U.S. support for the region will continue."]),
             [Step([edit("U.S. support", "US support")], quiet())]),
        Case("title-case-only", "real-pattern", "'At' -> 'at' in the title", briefing("title-case", title="Remarks At the Summit"),
             [Step([update(title="Remarks at the Summit")], Expect("edited", {"title", "case"}, {"title"}, alert=False))]),
        Case("name-removed", "real-pattern", "a name taken out of a background call ('Jake, we' -> 'We')", briefing("background", [
             *TEMPLATE[:2], "SENIOR ADMINISTRATION OFFICIAL: Jake, we are not going to get ahead of the President on that."]),
             [Step([edit("Jake, we are", "We are")], edited(classes={"speaker"}))]),
        Case("page-replaced", "real-pattern", "a briefing's page overwritten by unrelated remarks (same post id and URL)",
             briefing("overwritten"),
             [Step([update(title="Remarks at the Ocean Conference",
                           paragraphs=["SECRETARY BLINKEN: Thank you all for coming to this conference on the oceans.",
                                       "Fisheries, shipping lanes and coral reefs face pressures that no single nation can meet alone.",
                                       "Today we are announcing new partnerships with island nations in the Pacific and the Caribbean.",
                                       "Thank you."])],
                   edited(classes={"replaced"}, fields={"title", "body"}, where="replaced by a different document"))]),
        Case("sentence-with-slides", "real-pattern", "a sentence added with a link to slides", briefing("slides"),
             [Step([patch("<p>For more information", '<p>The slides are <a href="/wp-content/uploads/2021/07/slides.pdf">here</a>.</p><p>For more information')],
                   edited(classes={"insertion", "links"}, fields={"body", "links"}, where="added 'The slides are here.'"))]),
        Case("title-object-replacement", "real-pattern", "an object-replacement character removed from the title",
             briefing("fffc", title="Remarks on the Summit\ufffc"),
             [Step([update(title="Remarks on the Summit")], quiet(fields={"title"}))]),
        # 12. edit then revert (flip-flop)
        Case("flip-flop", "12", "'Hernstadt' -> 'Herrnstadt' -> 'Hernstadt'", briefing("flip", [*TEMPLATE[:3], "We thank Ambassador Hernstadt for her service."]),
             [Step([edit("Hernstadt", "Herrnstadt")], edited(classes={"wording"})),
              Step([edit("Herrnstadt", "Hernstadt")], edited("reverted", {"wording"}))]),
        # 13. withdrawn, then back; soft 404s
        Case("removed-404", "13", "404 for two passes, then back", briefing("withdrawn"),
             [Step([respond(404, b"<html><head><title>Not Found</title></head><body>gone</body></html>")], None),
              Step([], Expect("removed", set(), set())),
              Step([restore()], Expect("restored", set(), set()))]),
        Case("removed-410-to-home", "13", "410, then a redirect to the home page (soft 404)", briefing("withdrawn-home"),
             [Step([respond(410, b"gone")], None),
              Step([respond(301, b"", headers=(("Location", "/"),))], Expect("removed", set(), set()))]),
        Case("removed-200-not-found", "13", "a 'Page Not Found' page answered with HTTP 200", briefing("withdrawn-200"),
             [Step([respond(200, NOT_FOUND_200)], None),
              Step([], Expect("removed", set(), set()))]),
        # 14. media edited while the transcript is intact
        Case("media-replaced", "14", "the briefing video replaced, transcript unchanged", briefing("media"),
             [Step([patch('<p>For more information', '<p><iframe src="https://www.youtube.com/embed/XyZ2v"></iframe></p><p>For more information')],
                   edited(classes={"media", "cosmetic"}, fields={"media", "body"})),
              Step([patch("embed/XyZ2v", "embed/Cut8min")], edited(classes={"media"}, fields={"media"}))]),
        # 15. noise that must not alert
        Case("noise-nbsp-title", "noise", "NBSP -> space in the title", briefing("nbsp", title="Remarks to the Press in\xa0Nairobi"),
             [Step([update(title="Remarks to the Press in Nairobi")], quiet(fields={"title"}))]),
        Case("noise-double-spaces", "noise", "double spaces after periods", briefing("spaces"),
             [Step([patch("everyone. I have", "everyone.&nbsp; I have")], quiet())]),
        Case("noise-link-added", "noise", "a link added to existing text", briefing("link"),
             [Step([patch("the Secretary will travel to Nairobi", 'the Secretary will travel to <a href="/countries-areas/kenya/">Nairobi</a>')],
                   quiet({"links", "cosmetic"}, {"body", "links"}))]),
        Case("noise-wbr", "noise", "<wbr> inside a word", briefing("wbr"),
             [Step([patch("intimidation", "intimi<wbr>dation")], quiet())]),
        Case("noise-apostrophe-entity", "noise", "&#8217; versus '", briefing("entity"),
             [Step([patch("I don&#x27;t think", "I don&#8217;t think")], quiet())]),
        Case("noise-related", "noise", "a rotating 'related articles' block", briefing("related"),
             [Step([patch("The Lessons of 1989: Freedom and Our Future", "Secretary Blinken’s Travel to Kenya")], None)]),
        Case("noise-cookie-footer", "noise", "a changed cookie banner and footer", briefing("cookie"),
             [Step([patch("Office of the Inspector General", "Inspector General"),
                    patch("Share sensitive information only on official, secure websites.", "Share information only on secure websites.")], None)]),
        Case("noise-cache-buster", "noise", "a cache-busting query string on the article's link", briefing("cache"),
             [Step([patch_listing('href="{base}{path}"', 'href="{base}{path}?cb=20210727"')], None)]),
        Case("noise-script", "noise", "a new script block in the body", briefing("script"),
             [Step([patch("<p>For more information", '<script>window.nonce = "a81f";</script><p>For more information')], None)]),
        Case("noise-modified-only", "noise", "the page re-saved: modified time bumped, nothing else", briefing("resaved"),
             [Step([update(modified="2021-07-28T09:00:00+00:00")], quiet({"metadata"}, {"modified_time"}))]),
        Case("noise-reflow", "noise", "a paragraph split in two (markup reflow)", briefing("reflow"),
             [Step([update(paragraphs=["MR PRICE: Good afternoon, everyone.",
                                       "I have two things at the top, and then I am happy to take your questions.",
                                       *TEMPLATE[1:]])], quiet())]),
        # Fetch failures: recorded as outcomes, never as edits.
        Case("decoy-technical-difficulties", "fetch", "HTTP 200 'Technical Difficulties' decoy, then the page again", briefing("decoy"),
             [Step([respond(200, DECOY)], Expect("blocked", set(), set(), alert=False)),
              Step([restore()], None)]),
        Case("edge-403", "fetch", "an edge 403 'Access Denied' page", briefing("edge"),
             [Step([respond(403, WAF_403)], Expect("blocked", set(), set(), alert=False))]),
        Case("captcha", "fetch", "a CDN browser check (captcha) page with HTTP 200", briefing("captcha"),
             [Step([respond(200, CAPTCHA)], Expect("blocked", set(), set(), alert=False))]),
        Case("maintenance", "fetch", "a maintenance page with HTTP 200", briefing("maintenance"),
             [Step([respond(200, MAINTENANCE)], Expect("blocked", set(), set(), alert=False))]),
        Case("server-error", "fetch", "HTTP 500", briefing("error"),
             [Step([respond(500, b"<h1>Internal Server Error</h1>")], None)]),
        Case("truncated", "fetch", "the page cut off mid-body", briefing("truncated"),
             [Step([respond(200, b"<html><head><title>x</title></head><body><main><article><div class='entry-content'><p>MR PRICE: Good aftern")], None)]),
    ]
