"""Site profiles: selectors, date formats and block markers, loaded from TOML data in config/."""
from __future__ import annotations

import re
import tomllib
from importlib import resources
from dataclasses import dataclass, field, replace
from pathlib import Path

from remarkwatch.crawler.errors import ProfileError

LISTING_KEYS = ("items", "link", "next")
ARTICLE_KEYS = (
    "title", "doc_type", "speakers", "audience", "location", "published", "modified_time",
    "canonical", "tags", "body", "hero", "strip",
)
TOP_KEYS = {
    "name", "site", "description", "delay_s", "date_formats", "blocked_markers",
    "speaker_role_words", "expect_html_end", "listing", "article", "signals", "extractor", "hosts", "eras",
    "starts", "discover",
}
START_KEYS = {"name": str, "start_urls": list, "max_listing_pages": int, "allowed_domains": list, "note": str}
ERA_KEYS = {"name", "match", "listing", "article"}
SELECTOR_KEYS = LISTING_KEYS + ARTICLE_KEYS


def config_dir() -> Path:
    """The bundled config/ folder: the `remarkwatch.data` package data of an install (a venv,
    `pip install --user`, a system pip, an editable checkout alike), else the checkout's config/."""
    try:
        found = Path(str(resources.files("remarkwatch.data")))
    except ModuleNotFoundError:
        found = None
    if found is not None and (found / "profiles").is_dir():
        return found
    return Path(__file__).resolve().parents[1] / "config"


@dataclass(frozen=True)
class PostIdRule:
    css: str
    regex: re.Pattern


@dataclass(frozen=True)
class Era:
    """One layout of a site: the elements that tell it (`match`, CSS) and the selectors that
    differ from the profile's own. Told by markup, never by date or by a substring of the page."""
    name: str
    match: tuple[str, ...]
    selectors: dict[str, tuple[str, ...]] = field(default_factory=dict)
    post_id: tuple[PostIdRule, ...] = ()


@dataclass(frozen=True)
class Start:
    """A source that works as a start for the site (`remarkwatch init --profile NAME` writes it):
    a name, listing or feed URLs, and how far to page. `note` says what it watches."""
    name: str
    start_urls: tuple[str, ...]
    max_listing_pages: int | None = None
    allowed_domains: tuple[str, ...] = ()
    note: str = ""


@dataclass(frozen=True)
class Discover:
    """Which of a site's archived URLs are releases (`backfill --discover`): the CDX is asked for
    every URL under `prefixes` (paths under the source's host, `matchType=prefix`) or, with
    `domain`, for every host of the site (`matchType=domain`); a URL is a release when its path
    (and query) matches a `release_url` regex and no `skip_url` one (listings, tags, search, feeds)."""
    prefixes: tuple[str, ...] = ("/",)
    domain: bool = False
    release_url: tuple[re.Pattern, ...] = ()
    skip_url: tuple[re.Pattern, ...] = ()

    def is_release(self, path_and_query: str) -> bool:
        return any(p.search(path_and_query) for p in self.release_url) and \
            not any(p.search(path_and_query) for p in self.skip_url)


@dataclass(frozen=True)
class Profile:
    name: str
    site: str
    description: str
    delay_s: float
    date_formats: tuple[str, ...]
    blocked_markers: tuple[str, ...]
    speaker_role_words: tuple[str, ...]
    expect_html_end: bool = True
    selectors: dict[str, tuple[str, ...]] = field(default_factory=dict)
    post_id: tuple[PostIdRule, ...] = ()
    sitemaps: tuple[str, ...] = ()          # sitemap (index) paths or URLs: lastmod flags edited pages
    sitemap_include: re.Pattern | None = None   # which child sitemaps of an index to read
    feeds: tuple[str, ...] = ()             # RSS/Atom feed paths or URLs: new releases in one request
    rest: tuple[str, ...] = ()              # WordPress REST URLs with {since}: posts modified since
    # A feed's or REST query's listings (paths, as written in [signals]): its new releases belong to
    # the sources whose start URL is one of them (crawler/spiders/sitesignals.py).
    signal_listings: dict[str, tuple[str, ...]] = field(default_factory=dict)
    extractor: str = "selectors"            # "trafilatura": automatic main text; "govuk": GOV.UK Content API JSON
    hosts: tuple[str, ...] = ()             # more hosts it reads (archive hosts), besides `site`
    eras: tuple[Era, ...] = ()              # older layouts, each told by its own elements
    era: str = ""                           # the era this profile was narrowed to, "" for its own selectors
    starts: tuple[Start, ...] = ()          # sources to start with ([[starts]]): `init --profile`
    discover: Discover | None = None        # which archived URLs are releases ([discover])

    def sel(self, key: str) -> tuple[str, ...]:
        return self.selectors.get(key, ())

    def for_page(self, selector) -> "Profile":
        """This profile narrowed to the era whose `match` elements the page has (the first that
        matches), or itself. `selector` is the page's parsel Selector."""
        for era in self.eras:
            if any(selector.css(css) for css in era.match):
                return replace(self, selectors={**self.selectors, **era.selectors},
                               post_id=era.post_id or self.post_id, eras=(), era=era.name)
        return self

    def reads_host(self, host: str) -> int:
        """How specifically this profile reads `host`: the length of the site or archive host it
        matches (0: not at all), so 2009-2017.state.gov goes to its archive profile, not state.gov's."""
        host = host.lower()
        return max((len(h) for h in (self.site, *self.hosts) if host == h or host.endswith("." + h)), default=0)

    def with_overrides(self, overrides: dict[str, tuple[str, ...]]) -> "Profile":
        """The same profile with some selectors replaced (a source's [sources.selectors])."""
        return replace(self, selectors={**self.selectors, **overrides})


_TRANSLATOR = None


def css_error(selector: str) -> str | None:
    """Why `selector` is not a valid CSS selector (parsel's dialect, with ::text and ::attr()),
    or None. Checked when profiles and configs load, so a typo is a config error, not a crash."""
    global _TRANSLATOR
    from cssselect import SelectorError
    from parsel.csstranslator import HTMLTranslator

    _TRANSLATOR = _TRANSLATOR or HTMLTranslator()
    try:
        _TRANSLATOR.css_to_xpath(selector)
    except (SelectorError, ValueError) as exc:
        return str(exc) or type(exc).__name__
    return None


def css_selectors(value, where: str, error=ProfileError) -> tuple[str, ...]:
    """A selector or list of selectors, each checked with `css_error`."""
    selectors = _strings(value, where) if error is ProfileError else value
    for selector in selectors:
        problem = css_error(selector)
        if problem:
            raise error(f"{where}: {selector!r} is not a valid CSS selector ({problem})")
    return tuple(selectors)


def _strings(value, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise ProfileError(f"{where}: expected a string or a list of strings")


def parse_profile(data: dict, origin: str) -> Profile:
    unknown = set(data) - TOP_KEYS
    if unknown:
        raise ProfileError(f"{origin}: unknown key {sorted(unknown)[0]!r} (valid: {', '.join(sorted(TOP_KEYS))})")
    for required in ("name", "site"):
        if not isinstance(data.get(required), str) or not data[required]:
            raise ProfileError(f"{origin}: key {required!r} is required and must be a string")
    selectors, post_id = _selector_tables(data, origin)
    eras = tuple(_era(raw, f"{origin}: eras[{i}]") for i, raw in enumerate(data.get("eras", [])))
    try:
        delay = float(data.get("delay_s", 1.0))
    except (TypeError, ValueError):
        raise ProfileError(f"{origin}: delay_s must be a number of seconds") from None
    return Profile(
        name=data["name"], site=data["site"], description=str(data.get("description", "")),
        delay_s=delay,
        date_formats=_strings(data.get("date_formats", ["%B %d, %Y"]), f"{origin}: date_formats"),
        blocked_markers=_strings(data.get("blocked_markers", []), f"{origin}: blocked_markers"),
        speaker_role_words=_strings(data.get("speaker_role_words", []), f"{origin}: speaker_role_words"),
        expect_html_end=bool(data.get("expect_html_end", True)),
        selectors=selectors, post_id=tuple(post_id), **_signals(data.get("signals", {}), origin),
        extractor=_extractor(data.get("extractor", "selectors"), origin),
        hosts=_strings(data.get("hosts", []), f"{origin}: hosts"), eras=eras,
        starts=tuple(_start(raw, f"{origin}: starts[{i}]") for i, raw in enumerate(data.get("starts", []))),
        discover=_discover(data["discover"], origin) if "discover" in data else None,
    )


def _start(raw, where: str) -> Start:
    if not isinstance(raw, dict) or set(raw) - set(START_KEYS) or not raw.get("name") or not raw.get("start_urls"):
        raise ProfileError(f"{where}: a [[starts]] table takes {', '.join(START_KEYS)} (name and start_urls required)")
    for key, kind in START_KEYS.items():
        if key in raw and not isinstance(raw[key], kind):
            raise ProfileError(f"{where}.{key}: must be a {kind.__name__}")
    return Start(name=raw["name"], start_urls=_strings(raw["start_urls"], f"{where}.start_urls"),
                 max_listing_pages=raw.get("max_listing_pages"),
                 allowed_domains=_strings(raw.get("allowed_domains", []), f"{where}.allowed_domains"),
                 note=raw.get("note", ""))


def _selector_tables(data: dict, origin: str) -> tuple[dict[str, tuple[str, ...]], list[PostIdRule]]:
    selectors: dict[str, tuple[str, ...]] = {}
    post_id: list[PostIdRule] = []
    for section, keys in (("listing", LISTING_KEYS), ("article", ARTICLE_KEYS + ("post_id",))):
        table = data.get(section, {})
        for key, value in table.items():
            where = f"{origin}: {section}.{key}"
            if key not in keys:
                raise ProfileError(f"{where}: unknown selector key (valid: {', '.join(keys)})")
            if key == "post_id":
                post_id = [_post_id_rule(rule, where) for rule in value]
            else:
                selectors[key] = css_selectors(value, where)
    return selectors, post_id


def _era(raw, origin: str) -> Era:
    if not isinstance(raw, dict) or set(raw) - ERA_KEYS or not raw.get("name") or not raw.get("match"):
        raise ProfileError(f"{origin}: an [[eras]] table takes name, match (CSS: elements only this layout has), "
                           f"listing and article")
    selectors, post_id = _selector_tables(raw, origin)
    return Era(name=str(raw["name"]), match=css_selectors(raw["match"], f"{origin}.match"),
               selectors=selectors, post_id=tuple(post_id))


EXTRACTORS = ("selectors", "trafilatura", "govuk")


def _extractor(value, origin: str) -> str:
    if value not in EXTRACTORS:
        raise ProfileError(f"{origin}: extractor must be one of {', '.join(EXTRACTORS)} (got {value!r})")
    return value


SIGNAL_KEYS = ("sitemaps", "sitemap_include", "feeds", "rest")


def _signals(table, origin: str) -> dict:
    """The [signals] table: cheap change signals the site offers (sitemaps with lastmod, feeds, REST).
    A feed or REST entry is a URL, or a table {url, listings} naming the listing paths whose releases
    it carries, so its new releases go only to the sources reading one of those listings."""
    if not isinstance(table, dict) or set(table) - set(SIGNAL_KEYS):
        raise ProfileError(f"{origin}: [signals] takes {', '.join(SIGNAL_KEYS)}")
    include = table.get("sitemap_include")
    try:
        pattern = re.compile(include) if include else None
    except re.error as exc:
        raise ProfileError(f"{origin}: signals.sitemap_include: bad regex: {exc}") from None
    listings: dict[str, tuple[str, ...]] = {}
    found = {key: _signal_urls(table.get(key, []), f"{origin}: signals.{key}", listings) for key in ("feeds", "rest")}
    return {"sitemaps": _strings(table.get("sitemaps", []), f"{origin}: signals.sitemaps"),
            "sitemap_include": pattern, **found, "signal_listings": listings}


def _signal_urls(value, where: str, listings: dict) -> tuple[str, ...]:
    entries = value if isinstance(value, list) else [value]
    urls = []
    for i, entry in enumerate(entries):
        if isinstance(entry, dict):
            paths = _strings(entry.get("listings", []), f"{where}[{i}].listings")
            if set(entry) != {"url", "listings"} or not isinstance(entry["url"], str) or not paths or \
                    not all(p.startswith("/") for p in paths):
                raise ProfileError(f"{where}[{i}]: a table takes url (a string) and listings (paths starting with /)")
            listings[entry["url"]] = paths
            entry = entry["url"]
        urls.append(entry)
    return _strings(urls, where)


DISCOVER_KEYS = ("prefixes", "domain", "release_url", "skip_url")


def _discover(table, origin: str) -> Discover:
    """The [discover] table: where the site's releases live, by URL (see Discover)."""
    if not isinstance(table, dict) or set(table) - set(DISCOVER_KEYS) or "release_url" not in table:
        raise ProfileError(f"{origin}: [discover] takes {', '.join(DISCOVER_KEYS)} (release_url required)")
    prefixes = _strings(table.get("prefixes", ["/"]), f"{origin}: discover.prefixes")
    if not prefixes or not all(p.startswith("/") for p in prefixes):
        raise ProfileError(f"{origin}: discover.prefixes: each is a path starting with / (got {list(prefixes)})")
    if not isinstance(table.get("domain", False), bool):
        raise ProfileError(f"{origin}: discover.domain must be true or false")
    patterns = {}
    for key in ("release_url", "skip_url"):
        try:
            patterns[key] = tuple(re.compile(p) for p in _strings(table.get(key, []), f"{origin}: discover.{key}"))
        except re.error as exc:
            raise ProfileError(f"{origin}: discover.{key}: bad regex: {exc}") from None
    if not patterns["release_url"]:
        raise ProfileError(f"{origin}: discover.release_url: at least one regex")
    return Discover(prefixes, table.get("domain", False), patterns["release_url"], patterns["skip_url"])


def _post_id_rule(rule, where: str) -> PostIdRule:
    if not isinstance(rule, dict) or set(rule) != {"css", "regex"}:
        raise ProfileError(f"{where}: each rule is a table with exactly 'css' and 'regex'")
    css_selectors([rule["css"]], f"{where}.css")
    try:
        return PostIdRule(css=rule["css"], regex=re.compile(rule["regex"]))
    except re.error as exc:
        raise ProfileError(f"{where}: bad regex {rule['regex']!r}: {exc}") from None


def profile_files(directory: Path | None = None) -> list[Path]:
    return sorted((directory or config_dir() / "profiles").glob("*.toml"))


_LOADED: dict[tuple, dict[str, Profile]] = {}


def load_profiles(directory: Path | None = None) -> dict[str, Profile]:
    """Every profile in the profiles folder, keyed by name. Parsed again only when a file was
    added, removed or changed (name, size, modified time): backfill asks for a profile for every
    capture it judges."""
    files = profile_files(directory)
    try:
        key = tuple((str(path), path.stat().st_mtime_ns, path.stat().st_size) for path in files)
    except OSError:
        key = None
    if key is not None and key in _LOADED:
        return dict(_LOADED[key])
    profiles = _parse_all(files)
    if key is not None:
        _LOADED.clear()
        _LOADED[key] = profiles
    return dict(profiles)


def _parse_all(files: list[Path]) -> dict[str, Profile]:
    profiles: dict[str, Profile] = {}
    for path in files:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ProfileError(f"{path}: cannot read profile ({exc})") from exc
        profile = parse_profile(data, str(path))
        profiles[profile.name] = profile
    return profiles


def get_profile(name: str, directory: Path | None = None) -> Profile:
    profiles = load_profiles(directory)
    if name not in profiles:
        valid = ", ".join(sorted(profiles)) or "none found"
        raise ProfileError(f"unknown profile {name!r} (valid: {valid})")
    return profiles[name]
