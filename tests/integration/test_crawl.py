"""Real crawls (the CLI in a subprocess) of the replica site served on loopback."""
from __future__ import annotations

import json

import pytest

from remarkwatch.crawler.items import BLOCKED, GONE, HTTP_ERROR, NO_BODY, OFFSITE, ROBOTS, TRUNCATED
from remarkwatch.demo.replica.content import DEMO_EDIT, DEMO_NEW
from remarkwatch.demo.replica.site import Response, paragraph_html
from tests.conftest import FIXTURES, crawl, db_at, invoke, write_config

pytestmark = pytest.mark.slow
BRIEFING = "/department-press-briefing-july-27-2021/"


def test_first_pass_then_nothing_changes(config_path, site):
    first = crawl(config_path)
    assert "34 pages fetched, 34 new, 0 edited, 0 unchanged, 0 failed" in first.stdout
    db = db_at(config_path)
    assert (db["documents"].count, db["versions"].count, db["changes"].count) == (34, 34, 34)
    assert {r["kind"] for r in db["changes"].rows} == {"new"}
    doc = next(db["documents"].rows_where("key = ?", ["state.gov:post:262710"]))
    assert doc["url"].endswith(BRIEFING)
    version = next(db["versions"].rows_where("document_id = ?", [doc["id"]]))
    assert json.loads(version["speakers"]) == ["Ned Price, Department Spokesperson"]
    assert version["published"] == "2021-07-27" and "Eritrean forces" in version["body_text"]
    second = crawl(config_path)
    assert "34 pages fetched, 0 new, 0 edited, 34 unchanged, 0 failed" in second.stdout
    assert (db["versions"].count, db["changes"].count) == (34, 34)
    assert [r["outcome"] for r in db["runs"].rows] == ["ok", "ok"]
    assert db.execute("SELECT COUNT(*) FROM captures WHERE document_id IS NULL").fetchone()[0] == 0


def test_edit_and_new_release_detected(config_path, site):
    crawl(config_path)
    slug, old, new = DEMO_EDIT
    site.edit(slug, old, new)
    site.publish(DEMO_NEW)
    result = crawl(config_path)
    assert "1 new, 1 edited, 33 unchanged" in result.stdout
    listed = json.loads(invoke("changes", "--config", config_path, "--json", check=True).stdout)
    edited = [c for c in listed if c["kind"] == "edited"]
    assert len(edited) == 1 and edited[0]["changed_fields"] == ["modified_time", "body"]
    assert edited[0]["summary"].startswith("turn 1, MR PRICE: 'forces' -> 'refugees'")
    assert edited[0]["classes"] == ["metadata", "wording"] and not edited[0]["silent"]
    assert any(c["kind"] == "new" and c["title"] == DEMO_NEW.title for c in listed)
    by_class = json.loads(invoke("changes", "--config", config_path, "--json", "--class", "wording", check=True).stdout)
    assert [c["id"] for c in by_class] == [edited[0]["id"]]
    table = invoke("changes", "--config", config_path, "--min-significance", "60", check=True).stdout
    assert table.count("\n") == 3 and "edited" in table and "metadata,wording" in table   # header, rule, one row
    shown = invoke("diff", edited[0]["id"], "--config", config_path, check=True).stdout
    assert "turn 1, MR PRICE (para 2): [-forces-] {+refugees+}  (wording)" in shown
    assert "-The United States" in shown and "\x1b[" not in shown
    colored = invoke("diff", edited[0]["id"], "--config", config_path, "--color", check=True).stdout
    assert "\x1b[31m\x1b[9mforces" in colored and "\x1b[32m\x1b[4mrefugees" in colored
    assert invoke("diff", 9999, "--config", config_path).returncode == 1


def test_an_edit_after_an_html5_embed_is_found(config_path, site):
    """Issue 27: with a video as an HTML5 <embed> (a void element) after the first paragraph, the
    transcript after it was lost and the edit after it recorded as unchanged, with no alert."""
    slug, old, new = DEMO_EDIT
    release = next(r for r in site.releases.values() if r.slug == slug)

    def body(phrase: str) -> str:
        paragraphs = [paragraph_html(p.replace(old, phrase)) for p in release.paragraphs]
        return "\n".join([paragraphs[0], '<embed src="/video/briefing.mp4" type="video/mp4">', *paragraphs[1:]])

    site.update(slug, body_html=body(old))
    crawl(config_path)
    site.update(slug, body_html=body(new), modified="2026-09-24T10:00:00+00:00")
    assert "0 new, 1 edited, 33 unchanged" in crawl(config_path).stdout
    listed = json.loads(invoke("changes", "--config", config_path, "--json", check=True).stdout)
    edited = [c for c in listed if c["kind"] == "edited"]
    assert len(edited) == 1 and edited[0]["summary"].startswith("turn 1, MR PRICE: 'forces' -> 'refugees'")
    text = db_at(config_path).execute("SELECT body_text FROM versions WHERE id = (SELECT MAX(id) FROM versions)").fetchone()[0]
    assert len(text.split("\n\n")) == len(release.paragraphs) and new in text and release.paragraphs[-1] in text


def test_error_and_block_pages_are_not_changes(config_path, site):
    crawl(config_path)
    decoy = (FIXTURES / "pages" / "decoy-technical-difficulties.html").read_bytes()
    nobody = (FIXTURES / "pages" / "no-body-selector.html").read_bytes()
    paths = sorted(site.releases)
    site.override(paths[0], Response(500, b"<h1>Internal Server Error</h1>"))
    site.override(paths[1], Response(404, b"<h1>Not found</h1>"))
    site.override(paths[2], Response(200, decoy))
    site.override(paths[3], Response(200, nobody))
    site.override(paths[4], Response(200, b""))
    site.override(paths[5], Response(200, b"<html><body><div class='entry-content'><p>Trunc"))  # truncated
    result = crawl(config_path)
    assert result.returncode == 0
    db = db_at(config_path)
    # No version, no edit: the one change is the decoy page, recorded as a block of that document.
    assert db["versions"].count == 34
    assert db.execute("SELECT kind FROM changes WHERE run_id = 2").fetchall() == [("blocked",)]
    outcomes = dict(db.execute(
        "SELECT c.url, c.outcome FROM captures c WHERE c.run_id = 2 AND c.outcome != 'ok'").fetchall())
    by_path = {url.split(":", 2)[2].split("/", 1)[1]: o for url, o in outcomes.items()}
    assert by_path["/".join(paths[0].split("/")[1:])] == HTTP_ERROR
    assert set(outcomes.values()) >= {HTTP_ERROR, BLOCKED, NO_BODY, GONE, TRUNCATED}
    assert "problem:" in result.stderr and "http_error" in result.stderr
    for path in paths[:6]:
        site.override(path, None)
    assert "0 new, 0 edited, 34 unchanged, 0 failed" in crawl(config_path).stdout


def test_moved_url_keeps_identity(config_path, site):
    crawl(config_path)
    moved = site.move("visa-restrictions-on-ortega-murillo-regime-officials", "visa-restrictions-on-ortega-murillo-regime-officials-2")
    result = crawl(config_path)
    assert "0 new" in result.stdout
    db = db_at(config_path)
    doc = next(db["documents"].rows_where("key = ?", ["state.gov:post:352170"]))
    urls = {r["url"] for r in db["document_urls"].rows_where("document_id = ?", [doc["id"]])}
    assert any(u.endswith("/visa-restrictions-on-ortega-murillo-regime-officials/") for u in urls)
    assert any(u.endswith(moved.path) for u in urls)
    assert doc["url"].endswith(moved.path) and db["documents"].count == 34


def test_a_meta_refresh_to_a_moved_release_is_followed(config_path, site):
    """The old address of a moved release answers a page with only a meta refresh to the new one
    (crawler.metarefresh): the crawl follows it and the document keeps its identity."""
    crawl(config_path)
    slug = "visa-restrictions-on-ortega-murillo-regime-officials"
    old_path = next(p for p, r in site.releases.items() if r.slug == slug)
    moved = site.move(slug, slug + "-2")
    site.override(old_path, Response(200, f'<html><head><META HTTP-EQUIV="Refresh" content="0; url={moved.path}">'
                                          f'</head><body></body></html>'.encode()))
    try:
        result = crawl(config_path)
    finally:
        site.override(old_path, None)
    assert "0 new" in result.stdout and "0 failed" in result.stdout, result.stdout
    db = db_at(config_path)
    doc = next(db["documents"].rows_where("key = ?", ["state.gov:post:352170"]))
    assert doc["url"].endswith(moved.path) and db["documents"].count == 34
    assert db.execute("SELECT COUNT(*) FROM captures WHERE url LIKE ? AND final_url LIKE ?",
                      [f"%{old_path}", f"%{moved.path}"]).fetchone()[0] == 1


def test_offsite_redirect_robots_and_user_agent(tmp_path, server, site):
    config_path = write_config(tmp_path, server.base_url, user_agent_placeholder=1)
    text = config_path.read_text().replace("user_agent_placeholder = 1\n", "")
    config_path.write_text('user_agent = "rw-test/1.0 (test@example.org)"\n' + text)
    paths = sorted(site.releases)
    offsite_target = f"http://localhost:{server.port}{paths[1]}"
    site.override(paths[0], Response(301, b"", headers=(("Location", offsite_target),)))
    site.robots = f"User-agent: *\nDisallow: {paths[2]}\n"
    crawl(config_path)
    db = db_at(config_path)
    outcomes = {r["url"].split(str(server.port), 1)[1]: r["outcome"] for r in db["captures"].rows}
    assert outcomes[paths[0]] == OFFSITE and outcomes[paths[2]] == ROBOTS
    assert site.hits.get(paths[2], 0) == 0
    run = next(db["runs"].rows)
    failed = db.execute("SELECT COUNT(*) FROM captures WHERE outcome != 'ok'").fetchone()[0]
    assert (run["failed"], run["pages"]) == (failed, db["captures"].count)  # offsite one counted too
    offsite = next(db["captures"].rows_where("outcome = ?", [OFFSITE]))
    assert offsite["error"].startswith("redirected outside allowed_domains")
    assert site.user_agents == {"rw-test/1.0 (test@example.org)"}
