"""The newsroom pages over an archive: the front page of changes, search with highlighted
passages, a version as a transcript, a document's timeline, any two versions compared, and the
page of one change. Every page works with several databases served (`?db=NAME`; by default the
first that is a remarkwatch archive) and escapes everything that came from a page."""
from __future__ import annotations

import asyncio
import sqlite3
from contextlib import closing
from urllib.parse import quote, urlencode

import sqlite_utils
from datasette.utils import sqlite_timelimit
from datasette.utils.asgi import BadRequest, NotFound, Response
from markupsafe import Markup, escape

from remarkwatch.core import classes as class_table
from remarkwatch.core import detect, wording
from remarkwatch.core.fields import version_fields
from remarkwatch.core.sides import rows_from_json, side_by_side
from remarkwatch.evidence import proof
from remarkwatch.storage import changes as changes_table, documents, versions as versions_table
from remarkwatch.storage import pages as queries
from remarkwatch.web import cards

CLASS_WORDS = class_table.LABELS   # the web label of each edit class, in the filter menu's order
PAGE_SIZE = 30


class Links:
    """URLs of the pages, carrying `?db=` when several archives are served."""

    def __init__(self, datasette, database: str, several: bool):
        self.datasette, self.database_name, self.several = datasette, database, several

    def _path(self, path: str, **params) -> str:
        query = {k: v for k, v in params.items() if v not in (None, "")}
        if self.several:
            query["db"] = self.database_name
        return self.datasette.urls.path(path) + (("?" + urlencode(query)) if query else "")

    def home(self, **params) -> str:
        return self._path("/", **params)

    def search(self, **params) -> str:
        return self._path("/-/search", **params)

    def report(self, **params) -> str:
        return self._path("/-/report", **params)

    def change(self, change_id) -> str:
        return self._path(f"/-/change/{int(change_id)}")

    def version(self, version_id) -> str:
        return self._path(f"/-/version/{int(version_id)}")

    def document(self, document_id) -> str:
        return self._path(f"/-/document/{int(document_id)}")

    def compare(self, old_id, new_id) -> str:
        return self._path("/-/compare", **{"from": int(old_id), "to": int(new_id)})

    def compare_base(self) -> str:
        return self.datasette.urls.path("/-/compare")

    def database(self) -> str:
        return self.datasette.urls.database(self.database_name)


def archive_names(datasette) -> list[str]:
    """The served databases that are remarkwatch archives (checked once per database, read-only)."""
    known = datasette.__dict__.setdefault("_remarkwatch_archives", {})
    for name, database in datasette.databases.items():
        if name not in known:
            known[name] = _is_archive_file(database.path) if name != "_internal" and database.path else False
    return [name for name, yes in known.items() if yes]


def _is_archive_file(path: str) -> bool:
    """Read-only; `immutable=1` where even that cannot open it (read-only storage, a WAL archive
    whose -shm cannot be made), as the CLI reads such an archive."""
    for mode in ("mode=ro", "immutable=1"):
        try:
            with closing(sqlite3.connect(f"file:{quote(path)}?{mode}", uri=True)) as conn:
                return queries.is_archive(conn)
        except sqlite3.Error:
            continue
    return False


async def archive_of(request, datasette):
    names = archive_names(datasette)
    wanted = request.args.get("db")
    if wanted and wanted not in names:
        raise NotFound(f"No remarkwatch archive named {wanted!r}")
    if not names:
        raise NotFound("No remarkwatch archive is served here")
    name = wanted or names[0]
    return datasette.get_database(name), Links(datasette, name, several=len(names) > 1)


async def render(datasette, request, template: str, links: Links, context: dict) -> Response:
    context.update(links=links, database=links.database_name, several=links.several, class_words=CLASS_WORDS,
                   field_words=wording.field_words, time_fields=wording.TIME_FIELDS, metadata=datasette.metadata())
    return Response.html(await datasette.render_template(template, context, request=request))


ROW_ID_MAX = 2 ** 63 - 1      # SQLite's largest integer: a larger id names no row


def int_arg(value, name: str) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise NotFound(f"{name} must be a number") from None
    if not 0 <= number <= ROW_ID_MAX:
        raise NotFound(f"No {name} #{value}")
    return number


def text_arg(value, limit: int) -> str:
    """A query-string value as the pages use it: NULs dropped (SQLite and FTS5 cannot take them), trimmed."""
    return (value or "").replace("\x00", "").strip()[:limit]


SIGNIFICANCE_STEPS = (0, detect.ALERT_THRESHOLD, 40, 60, 70, 90)    # the front page's "at least" menu


async def front_page(request, datasette):
    database, links = await archive_of(request, datasette)
    tab = "new" if request.args.get("tab") == "new" else "changes"
    filters = {key: text_arg(request.args.get(arg), 200) for key, arg in (
        ("source", "source"), ("kind", "kind"), ("klass", "class"), ("speaker", "speaker"),
        ("since", "since"), ("until", "until"))}
    silent = request.args.get("silent") == "1"
    historical = request.args.get("historical") == "1"
    least = request.args.get("min", "")
    least = int(least) if least.isdigit() and int(least) <= 100 else detect.ALERT_THRESHOLD

    def read(conn):
        return (queries.front_page(conn, min_significance=least, new=tab == "new", silent=silent,
                                   historical=historical, **filters),
                queries.choices(conn))
    changes, choices = await database.execute_fn(read)
    for change in changes:
        change.update(wording.for_list(change), made_at=wording.made_at(change), made_between=wording.made_between(change))
    return await render(datasette, request, "remarkwatch_index.html", links, {
        "tab": tab, "filters": filters, "changes": changes, "choices": choices, "silent": silent,
        "historical": historical,
        "least": least, "steps": SIGNIFICANCE_STEPS, "threshold": detect.ALERT_THRESHOLD})


def passage_html(passage: str) -> Markup:
    """The FTS5 snippet, escaped, with its hit marks turned into <mark>."""
    text = str(escape(passage))
    return Markup(text.replace(queries.HIT_START, "<mark>").replace(queries.HIT_END, "</mark>"))


async def search_page(request, datasette):
    database, links = await archive_of(request, datasette)
    q = text_arg(request.args.get("q"), 500)
    order = "date" if request.args.get("order") == "date" else "relevance"
    try:
        offset = max(0, min(int(request.args.get("offset") or 0), ROW_ID_MAX))
    except ValueError:
        raise NotFound("offset must be a number") from None
    limit_ms = datasette.setting("sql_time_limit_ms")

    def read(conn):
        # Within the SQL time limit, as Datasette's own queries are: a search for words in
        # every version must not hold a SQL thread (and the pages behind it) for long.
        with sqlite_timelimit(conn, limit_ms):
            return queries.search(conn, q, order=order, limit=PAGE_SIZE, offset=offset)
    try:
        results, total = await database.execute_fn(read)
    except sqlite3.OperationalError as exc:
        if "interrupt" not in str(exc):
            raise
        raise BadRequest(f"This search took longer than {limit_ms / 1000:g} s: add a rarer word, "
                         f"or put a phrase in quotes") from None
    for result in results:
        result.update(passage_html=passage_html(result["passage"]), presence=wording.presence(result["versions"]),
                      origins=wording.origins(result["versions"]))
    more = offset + PAGE_SIZE < total
    return await render(datasette, request, "remarkwatch_search.html", links, {
        "q": q, "order": order, "results": results, "total": total, "offset": offset,
        "next_url": links.search(q=q, order=order, offset=offset + PAGE_SIZE) if more else None})


async def _one(request, datasette, var: str, read):
    """The archive, its links, the id in the route, and what `read(conn, id)` finds (else 404)."""
    database, links = await archive_of(request, datasette)
    row_id = int_arg(request.url_vars[f"{var}_id"], var)
    found = await database.execute_fn(lambda conn: read(conn, row_id))
    if found is None:
        raise NotFound(f"No {var} #{row_id}")
    return links, row_id, found


async def version_page(request, datasette):
    links, _, found = await _one(request, datasette, "version", queries.version)
    for change in found["changes"]:
        change["in_words"] = wording.summary(change["edits"], change["summary"])
    return await render(datasette, request, "remarkwatch_version.html", links, {"version": found})


async def document_page(request, datasette):
    links, _, found = await _one(request, datasette, "document", queries.timeline)
    for change in found["changes"]:
        change.update(wording.for_list(change))
    # Versions and changes on one time line: a version's own `new`/`edited` change stands for it.
    shown = {c["to_version_id"] for c in found["changes"] if c["to_version_id"]}
    # In the site's time order: when each content was observed (a backfill's history comes
    # before what live crawls saw, though written after it); a historical join before the live
    # `new` of the same version.
    items = [{"when": c["observed_at"], "rank": 0 if c["historical"] else 1, "change": c} for c in found["changes"]]
    items += [{"when": v["observed_at"], "rank": 0, "version": v} for v in found["versions"] if v["id"] not in shown]
    items.sort(key=lambda item: (item["when"], item["rank"]))
    return await render(datasette, request, "remarkwatch_document.html", links, {
        "document": found["document"], "versions": found["versions"], "addresses": found["urls"], "timeline": items})


def _compared(old: dict, new: dict):
    change = detect.compare(version_fields(old), version_fields(new))
    return change, side_by_side(old["body_text"] or "", new["body_text"] or "") if change else []


async def compare_page(request, datasette):
    database, links = await archive_of(request, datasette)
    old_id, new_id = int_arg(request.args.get("from"), "from"), int_arg(request.args.get("to"), "to")
    versions = {v["id"]: v for v in await database.execute_fn(lambda conn: queries.versions_of(conn, [old_id, new_id]))}
    if old_id not in versions or new_id not in versions:
        raise NotFound("No such version")
    old, new = versions[old_id], versions[new_id]
    if old["document_id"] != new["document_id"]:
        raise NotFound("Those versions belong to different documents; compare versions of one document")
    # Comparing two long versions is CPU work: off the event loop, so other pages are not held.
    change, rows = await asyncio.get_running_loop().run_in_executor(None, _compared, old, new)
    view = "side" if request.args.get("view") == "side" else "inline"
    base = links.compare(old_id, new_id)
    edits = change.edits_as_dicts() if change else []
    return await render(datasette, request, "remarkwatch_compare.html", links, {
        "old": old, "new": new, "change": change, "edits": edits,
        "in_words": wording.summary(edits, change.summary) if change else "",
        "rows": rows, "view": view, "side_url": base + "&view=side", "inline_url": base})


def _load_change(conn, change_id: int) -> dict | None:
    db = sqlite_utils.Database(conn)
    change = changes_table.get_change(db, change_id)
    if change is None:
        return None
    old = versions_table.get_version(db, change["from_version_id"]) if change["from_version_id"] else None
    new = versions_table.get_version(db, change["to_version_id"]) if change["to_version_id"] else None
    rows = []
    if old and new and "body" in change["changed_fields"]:
        stored = changes_table.change_sides(db, change_id)
        rows = rows_from_json(stored) if stored else side_by_side(old["body_text"], new["body_text"])
    return {"change": change, "document": documents.get_document(db, change["document_id"]), "rows": rows,
            "sentences": _sentences(rows, change["edits"]),
            "in_words": wording.summary([e for e in change["edits"] if e["field"] != "body"] if rows else change["edits"],
                                        "" if rows else change["summary"]),
            "versions": versions_table.document_versions(db, change["document_id"]),
            "proof": proof.third_party(change)}


def _evidence(request, datasette, links: Links, change: dict) -> dict:
    """The change page's downloads (the change as JSON and CSV, its evidence as WARC) and its
    "cite this" line, whose permalink is under `public_url` when one is configured."""
    path = links.change(change["id"])
    permalink = cards.permalink(datasette, request, links, change["id"])
    plain, _, query = path.partition("?")
    downloads = {fmt: f"{plain}.{fmt}" + (f"?{query}" if query else "") for fmt in ("json", "csv", "warc.gz")}
    return {"cite": proof.cite(change, permalink), "downloads": downloads}


FIRST_SENTENCES = 5     # changed paragraphs the change page opens with; the rest are in the diff below


def _sentences(rows, edits: list[dict]) -> list[dict]:
    """The change's first changed paragraphs in their sentences, with speaker and turn: what the
    change page shows first (the last one says how many more the diff below holds)."""
    changed = [row for row in rows if row.changed]
    shown = [wording.in_sentence(row, edits, wording.CHANGED_WORDS) for row in changed[:FIRST_SENTENCES]]
    if len(changed) > FIRST_SENTENCES:
        shown[-1]["more"] = len(changed) - FIRST_SENTENCES
    return shown


async def change_page(request, datasette):
    links, change_id, context = await _one(request, datasette, "change", _load_change)
    base = links.change(change_id)
    card_url = base.replace(f"/-/change/{change_id}", f"/-/change/{change_id}/card.png", 1)
    context.update(card_url=card_url, card_alt=cards.card_alt(
        context["change"], context["rows"], cards.permalink(datasette, request, links, change_id)))
    context.update(view="side" if request.args.get("view") == "side" else "inline",
                   side_url=base + ("&" if "?" in base else "?") + "view=side", inline_url=base)
    context.update(_evidence(request, datasette, links, context["change"]))
    return await render(datasette, request, "remarkwatch_change.html", links, context)


async def card_png(request, datasette):
    """The change's share card (`remarkwatch card` as a page asset)."""
    database, links = await archive_of(request, datasette)
    change_id = int_arg(request.url_vars["change_id"], "change")
    return await cards.card_response(database, change_id, cards.permalink(datasette, request, links, change_id))
