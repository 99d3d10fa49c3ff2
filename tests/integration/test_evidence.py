"""Save Page Now end to end on loopback: a replica site crawled twice with an edit between, the SPN2
replica capturing the edited page after the pass's alerts, and the memento shown on the change page,
in the alert payload, in `diff` and `changes --json`, and in the WARC export's metadata; the
exports a newsroom uses (CSV for Excel, one change's evidence as WARC, the change page's downloads)."""
from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from remarkwatch.core.wording import human_time
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
    assert out.index("alerts:") < out.index("save page now: 1 submitted, 1 saved\n")
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
    when = human_time(row["memento_at"])            # "7 Dec 2026, 08:42 UTC": people read words
    assert f'href="{row["memento_url"]}"' in page and "Independent capture" in page and f"captured {when}" in page
    diff = invoke("diff", "--config", world["config"], str(row["change_id"]), check=True).stdout
    assert f"independent capture (Internet Archive Save Page Now): {row['memento_url']} at {when}" in diff
    listed = json.loads(invoke("changes", "--json", "--config", world["config"], check=True).stdout)
    edited = next(c for c in listed if c["id"] == row["change_id"])
    assert edited["evidence"]["third_party"]["memento_url"] == row["memento_url"]
    assert edited["evidence"]["third_party"]["captured_at"] == row["memento_at"]      # JSON keeps ISO


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


WARCIO = Path(sys.executable).parent / "warcio"


@pytest.fixture
def umask_022():
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def test_csv_export_opens_in_excel_with_the_right_characters_and_columns(world, tmp_path, umask_022):
    out = tmp_path / "changes.csv"
    invoke("export", "changes", "--format", "csv", "--since", "2000-01-01", "-o", out, "--config", world["config"],
           check=True)
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "a byte-order mark: Excel then reads UTF-8"
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    edited = next(r for r in rows if r["kind"] == "edited")
    assert edited["change_url"] == f"https://archive.example.org/-/change/{edited['id']}"
    assert edited["historical"] == "no" and edited["made_after"] < edited["made_before"]
    assert edited["third_party_state"] == "saved" and edited["third_party_memento_url"] == _saved(world)["memento_url"]
    assert any("–" in r["title"] for r in rows), "a dash the site writes survives as itself"
    assert stat.S_IMODE(out.stat().st_mode) == 0o644
    plain = invoke("export", "changes", "--format", "csv", "--no-excel", "--since", "2999-01-01",
                   "--config", world["config"], check=True)
    assert plain.stdout == "", "nothing after --since, and no mark on stdout"


def test_the_evidence_warc_of_one_change_passes_warcio_check(world, tmp_path, umask_022):
    row = _saved(world)
    out = tmp_path / "evidence.warc.gz"
    done = invoke("export", "warc", "--change", row["change_id"], "-o", out, "--config", world["config"], check=True)
    assert "wrote 2 captures" in done.stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o644, "the user's umask, not a temporary file's 0600"
    checked = subprocess.run([str(WARCIO), "check", "-v", str(out)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    with out.open("rb") as stream:
        kinds = [r.rec_type for r in ArchiveIterator(stream)]
    assert kinds.count("response") == 2 and kinds.count("metadata") >= 2


def test_the_change_page_offers_downloads_and_a_line_to_cite(world):
    row = _saved(world)
    datasette = build_datasette(world["config"].parent / "archive.db", public_url="https://archive.example.org")

    def get(path):
        return asyncio.run(datasette.client.get(path))
    page = get(f"/-/change/{row['change_id']}").text
    for fmt in ("json", "csv", "warc.gz"):
        assert f'href="/-/change/{row["change_id"]}.{fmt}"' in page
    assert f"https://archive.example.org/-/change/{row['change_id']}" in page and "Cite this" in page
    assert row["memento_url"] in page.split("Cite this")[1]
    as_json = get(f"/-/change/{row['change_id']}.json")
    assert as_json.status_code == 200 and "attachment" in as_json.headers["content-disposition"]
    change = as_json.json()
    assert change["evidence"]["third_party"]["memento_url"] == row["memento_url"] and change["kind"] == "edited"
    assert isinstance(change["edits"], list) and change["change_url"].endswith(f"/-/change/{row['change_id']}")
    as_csv = get(f"/-/change/{row['change_id']}.csv")
    assert as_csv.content.startswith(b"\xef\xbb\xbf") and len(list(csv.reader(io.StringIO(as_csv.text)))) == 2
    evidence = get(f"/-/change/{row['change_id']}.warc.gz")
    assert evidence.headers["content-type"] == "application/warc"
    metadata = [json.loads(r.content_stream().read()) for r in ArchiveIterator(io.BytesIO(evidence.content))
                if r.rec_type == "metadata"]
    assert any(m["third_party"] and m["third_party"][0]["memento_url"] == row["memento_url"] for m in metadata)
    assert get("/-/change/999999.warc.gz").status_code == 404


@pytest.mark.parametrize("env, said", [
    (ENV, "save page now: 0 pending, 0 submitted, 1 saved, 0 failed\n"),
    ({"REMARKWATCH_SPN_ACCESS": ""}, "1 saved, 0 failed (held back: its keys are not set in the environment)"),
])
def test_status_shows_the_queue(world, env, said):
    assert said in invoke("status", "--config", world["config"], env=env, check=True).stdout


@pytest.mark.parametrize("env, said", [
    (ENV, "keys: $REMARKWATCH_SPN_ACCESS set, $REMARKWATCH_SPN_SECRET set"),
    ({"REMARKWATCH_SPN_SECRET": ""}, "$REMARKWATCH_SPN_SECRET NOT SET"),
])
def test_check_config_says_whether_the_keys_are_set_never_what_they_are(world, env, said):
    out = invoke("check-config", "--config", world["config"], env=env, check=True).stdout
    assert said in out and "secret-key" not in out and "save page now: http://127.0.0.1:" in out
