"""A site redesign (issue 13 part 1): noticed at once, alerted once, watched through with the
generic extractor, never reported as an edit by the site, and cleared once when the profile
matches again."""
from __future__ import annotations

import pytest

from remarkwatch.demo.replica.content import DEMO_EDIT
from remarkwatch.storage import outbox
from tests.conftest import crawl as crawl_once, db_at, write_config
from tests.receivers import SECRET, WebhookReceiver

pytestmark = pytest.mark.slow
ENV = {"RW_LAYOUT_SECRET": SECRET}


def crawl(config_path):
    return crawl_once(config_path, "--now", env=ENV)


def test_a_redesign_is_noticed_watched_through_and_cleared(tmp_path, server, site):
    with WebhookReceiver() as receiver:
        config_path = write_config(tmp_path, server.base_url)
        config_path.write_text(config_path.read_text() + f'\n[[alerts]]\nname = "hook"\nkind = "webhook"\n'
                               f'url = "{receiver.url}"\nsecret_env = "RW_LAYOUT_SECRET"\n')
        crawl(config_path)                                   # the baseline: the profile reads every page
        site.redesign('class="entry-content"', 'class="article-body"')
        redesigned = crawl(config_path)
        db = db_at(config_path)
        assert "1 layout-changed" in redesigned.stdout and "34 reextracted" in redesigned.stdout
        alerts = [r.json for r in receiver.received]
        assert [a["kind"] for a in alerts] == ["layout-changed"]
        assert "stopped matching: no element matches body selectors" in alerts[0]["summary"]
        assert server.base_url in alerts[0]["summary"]                  # one example page
        versions = db.execute("SELECT COUNT(*) FROM versions WHERE extractor LIKE 'fallback:%'").fetchone()[0]
        assert versions == 34
        assert db.execute("SELECT COUNT(*) FROM changes WHERE kind = 'edited'").fetchone()[0] == 0
        # Still redesigned: nothing raised again, and an edit by the site is found, like with like.
        site.edit(*DEMO_EDIT)
        during = crawl(config_path)
        assert "layout-changed" not in during.stdout and "1 edited" in during.stdout
        edit = next(r.json for r in receiver.received if r.json["kind"] == "edited")
        assert "'forces' -> 'refugees'" in edit["summary"]
        # The profile matches again (a fix, or the site reverting): cleared once, not an edit either.
        site.unpatch()
        back = crawl(config_path)
        assert "1 layout-restored" in back.stdout and "34 reextracted" in back.stdout
        assert [r.json["kind"] for r in receiver.received] == ["layout-changed", "edited", "layout-restored"]
        health = outbox.recent_extraction_health(db, "replica", 4)
        assert [(h["extracted"], h["fallback"]) for h in reversed(health)] == [(34, 0), (0, 34), (0, 1), (34, 0)]
