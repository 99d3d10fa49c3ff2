"""Save Page Now end to end on loopback: a replica site crawled twice with an edit between, the SPN2
replica capturing the edited page after the pass's alerts, and the memento shown on the change page,
in the alert payload, in `diff` and `changes --json`, and in the WARC export's metadata."""
from __future__ import annotations

import asyncio
import json

import pytest
from warcio.archiveiterator import ArchiveIterator

from remarkwatch.demo.replica.content import demo_releases
from remarkwatch.demo.replica.server import ReplicaServer
from remarkwatch.demo.replica.site import Site
from remarkwatch.demo.replica.spn import SaveReplica, SaveService
from remarkwatch.web.server import build_datasette
from tests.conftest import crawl, invoke, write_config
from tests.receivers import SECRET, WebhookReceiver

ENV = {"REMARKWATCH_SPN_ACCESS": "access-key", "REMARKWATCH_SPN_SECRET": "secret-key", "RW_HOOK_SECRET": SECRET}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """Baseline pass, an edit, a second pass whose alert fails once (HTTP 500) while the queue gets
    the page captured; then `alerts send` delivers the retry, which carries the memento."""
    folder = tmp_path_factory.mktemp("spn")
    site, service = Site(demo_releases()), SaveService(pending_polls=1)
    with ReplicaServer(site) as server, SaveReplica(service) as spn, WebhookReceiver() as receiver:
        receiver.script = [500]
        config = write_config(folder, server.base_url)
        config.write_text('public_url = "https://archive.example.org"\n' + config.read_text() + (
            f'\n[save_page_now]\nenabled = true\nendpoint = "{spn.url}"\npoll_s = 0.05\nmin_interval_s = 0\n'
            f'\n[[alerts]]\nname = "hook"\nkind = "webhook"\nurl = "{receiver.url}"\nsecret_env = "RW_HOOK_SECRET"\n'
            f'retry_base_s = 0\n'))
        baseline = crawl(config, env=ENV)
        site.edit(demo_releases()[0].slug, "Eritrean forces", "Eritrean refugees")
        second = crawl(config, "--full", env=ENV)
        retry = invoke("alerts", "send", "--config", config, env=ENV, check=True)
        yield {"config": config, "baseline": baseline, "second": second, "retry": retry, "service": service,
               "spn_url": spn.url, "payloads": [r.json for r in receiver.received], "site": site}


def _saved(world) -> dict:
    rows = json.loads(invoke("spn", "--json", "--config", world["config"], check=True).stdout)
    assert [r["state"] for r in rows] == ["saved"], rows
    return rows[0]


def test_the_baseline_asks_for_nothing_and_the_edit_is_captured_after_the_alerts(world):
    assert "save page now" not in world["baseline"].stdout
    out = world["second"].stdout
    assert out.index("alerts:") < out.index("save page now: 1 saved, 1 submitted")
    sent = world["service"].submissions
    assert len(sent) == 1 and sent[0]["authorization"] == "LOW access-key:secret-key"
    row = _saved(world)
    assert sent[0]["form"]["url"] == row["url"] and row["kind"] == "edited"
    assert row["memento_url"].startswith(world["spn_url"] + "/web/") and row["memento_url"].endswith(row["url"])


def test_the_alert_payload_carries_the_third_party_capture(world):
    first, retried = world["payloads"]
    assert first["evidence"]["third_party"]["state"] == "pending"      # sent before the queue's round
    proof = retried["evidence"]["third_party"]
    row = _saved(world)
    assert proof == {"service": "Internet Archive Save Page Now", "state": "saved", "memento_url": row["memento_url"],
                     "captured_at": row["memento_at"], "error": None}


def test_the_change_page_diff_and_changes_json_show_the_memento(world):
    row = _saved(world)
    datasette = build_datasette(world["config"].parent / "archive.db")
    page = asyncio.run(datasette.client.get(f"/-/change/{row['change_id']}")).text
    assert f'href="{row["memento_url"]}"' in page and "Independent capture" in page
    diff = invoke("diff", "--config", world["config"], str(row["change_id"]), check=True).stdout
    assert f"independent capture (Internet Archive Save Page Now): {row['memento_url']} at {row['memento_at']}" in diff
    listed = json.loads(invoke("changes", "--json", "--config", world["config"], check=True).stdout)
    edited = next(c for c in listed if c["id"] == row["change_id"])
    assert edited["evidence"]["third_party"]["memento_url"] == row["memento_url"]


def test_the_warc_export_names_the_memento_in_its_metadata(world, tmp_path):
    row = _saved(world)
    out = tmp_path / "all.warc.gz"
    invoke("export", "warc", "--config", world["config"], "-o", out, check=True)
    with out.open("rb") as stream:
        metadata = [json.loads(r.content_stream().read()) for r in ArchiveIterator(stream) if r.rec_type == "metadata"]
    found = [m for m in metadata if row["change_id"] in m["change_ids"]]
    assert found and found[0]["third_party"] == [{"change_id": row["change_id"], "service": "Internet Archive Save Page Now",
                                                  "state": "saved", "memento_url": row["memento_url"],
                                                  "captured_at": row["memento_at"], "error": None}]
