"""Alerts against real endpoints on loopback: a signing webhook receiver, aiosmtpd, Apprise json://."""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone

import pytest

from remarkwatch.alerts import message as messages
from remarkwatch.alerts.channels.base import Channel, check_secrets
from remarkwatch.alerts.routing import wants
from remarkwatch.alerts.sample import sample_change
from remarkwatch.alerts.sender import deliver
from remarkwatch.config import load_config
from remarkwatch.core.sides import rows_json, side_by_side
from remarkwatch.errors import ConfigError
from remarkwatch.demo.replica.content import generated_releases
from remarkwatch.demo.replica.server import ReplicaServer
from remarkwatch.demo.replica.site import Response, Site
from remarkwatch.storage import outbox
from remarkwatch.storage.db import integrity_check
from tests.conftest import ROOT, db_at, forked, invoke, write_config
from tests.receivers import SECRET, SmtpHandler, SmtpServer, WebhookReceiver, tls_pair

ENV = {"RW_HOOK_SECRET": SECRET, "RW_SMTP_USER": "alerts", "RW_SMTP_PASSWORD": "pw-not-in-any-file"}


def with_alerts(config_path, *tables: str):
    config_path.write_text(config_path.read_text() + "".join(f"\n[[alerts]]\n{t}\n" for t in tables))
    return config_path


def hook(url: str, **extra) -> str:
    keys = {"name": "hook", "kind": "webhook", "url": url, "secret_env": "RW_HOOK_SECRET",
            "retry_base_s": 0, "timeout_s": 2, **extra}
    return "\n".join(f"{k} = {json.dumps(v)}" for k, v in keys.items())


class Clock:
    """An injected clock for the sender: retries come due without sleeping."""

    def __init__(self):
        self.now = datetime(2026, 11, 27, 12, 0, tzinfo=timezone.utc)

    def __call__(self) -> str:
        return self.now.isoformat(timespec="seconds")

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def test_routing_filters_and_cosmetic_stays_quiet():
    channel = Channel("c", "webhook")
    assert wants(channel, "edited", "s", ["wording"], 80)
    assert not wants(channel, "edited", "s", ["cosmetic"], 0)            # never alerted by default
    assert not wants(channel, "reextracted", "s", ["wording"], 0)        # a parser fix is not news
    assert wants(Channel("c", "webhook", min_significance=0), "edited", "s", ["cosmetic"], 0)
    picky = Channel("c", "webhook", sources=("a",), kinds=("removed",), classes=())
    assert wants(picky, "removed", "a") and not wants(picky, "removed", "b") and not wants(picky, "edited", "a")
    assert not wants(Channel("c", "webhook", classes=("number",)), "edited", "s", ["wording"], 80)


def test_html_is_escaped_and_messages_are_capped():
    change = {**sample_change(), "title": "<script>alert(1)</script>",
              "edits": [{"field": "body", "op": "insert", "old": "", "new": "<img src=x onerror=alert(2)>",
                         "classes": ["insertion"], "para": 1, "turn": None, "speaker": None}] * 300}
    full = messages.build([messages.change_item(change)], ["k"])
    assert "<script>" not in full.html and "<img" not in full.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in full.html and "&lt;img src=x onerror=alert(2)&gt;" in full.html
    capped = messages.build([messages.change_item(change)], ["k"], max_bytes=20_000)
    assert len(capped.text.encode()) + len(capped.html.encode()) <= 20_000
    assert "Truncated to fit 20,000 bytes" in capped.text and "Truncated to fit" in capped.html


def test_the_message_shows_the_edit_in_its_sentence_in_words_and_the_payload_keeps_iso():
    old = "MR PRICE: Good afternoon.\n\nMS PORTER: We call on all armed actors to stop attacks against Eritrean forces and all refugees."
    change = {**sample_change(), "sides": rows_json(side_by_side(old, old.replace("Eritrean forces", "Eritrean refugees"))),
              "edits": [{**sample_change()["edits"][0], "para": 2}, {"field": "modified_time", "op": "replace", "old": "2021-07-27T20:00:00+00:00",
                                                    "new": "2021-07-28T09:30:00+00:00", "classes": ["metadata"], "significance": 5}]}
    message = messages.build([messages.change_item(change)], ["k"])
    assert message.text.splitlines()[2:5] == [
        "MS PORTER (turn 2): … all armed actors to stop attacks against Eritrean [-forces-] {+refugees+} and all refugees.",
        "Modified time: 27 Jul 2021, 20:00 UTC → 28 Jul 2021, 09:30 UTC",
        "Silent edit: the page's own modified time did not change."]
    assert "detected: 28 Jul 2021, 00:00 UTC  (wording)" in message.text and "classes: [" not in message.text
    assert "<del" in message.html.split("Eritrean")[1] and "Modified time: 27 Jul 2021, 20:00 UTC" in message.html
    # JSON keeps ISO times and carries nothing the page does not store (no rendered sentence).
    assert message.payload["detected_at"] == "2021-07-28T00:00:00+00:00"
    assert not {"sentence", "in_words"} & set(message.payload)


def test_missing_secret_is_a_clear_config_error():
    channel = Channel("hook", "webhook", options={"url": "http://127.0.0.1:9/", "secret_env": "RW_NOT_SET"})
    with pytest.raises(ConfigError, match=r"\$RW_NOT_SET \(channel hook\)"):
        check_secrets([channel], env={})


@pytest.mark.parametrize("script", [[404], [500], [("hang", 3)]], ids=["404", "500", "timeout"])
def test_only_2xx_counts_as_delivered(tmp_path, script):
    db_path = tmp_path / "a.db"
    with WebhookReceiver() as receiver:
        channel = Channel("hook", "webhook", retry_base_s=60, timeout_s=0.5,
                          options={"url": receiver.url, "secret_env": "RW_HOOK_SECRET"})
        db = _db_with_change(db_path, [channel])
        receiver.script = list(script)
        clock = Clock()
        report = deliver(db, [channel], clock, env=ENV)
        assert report.counts == {"failed": 1}
        row = next(db.query("SELECT * FROM outbox"))
        assert (row["state"], row["attempts"]) == ("pending", 1) and row["next_attempt_at"] > clock()
        attempt = next(db.query("SELECT * FROM alert_attempts"))
        assert attempt["outcome"] == "failed" and (attempt["status"] or 0) in (0, script[0] if isinstance(script[0], int) else 0)
        assert deliver(db, [channel], clock, env=ENV).counts == {}        # not due yet: nothing sent
        clock.advance(3600)
        assert deliver(db, [channel], clock, env=ENV).counts == {"delivered": 1}
        keys = receiver.keys()
        assert len(set(keys)) == 1 and all(r.signature_ok for r in receiver.received)


def test_failures_back_off_then_go_dead_and_retry_requeues(tmp_path):
    with WebhookReceiver() as receiver:
        channel = Channel("hook", "webhook", retry_base_s=10, max_attempts=3, timeout_s=2,
                          options={"url": receiver.url, "secret_env": "RW_HOOK_SECRET"})
        db = _db_with_change(tmp_path / "a.db", [channel])
        receiver.script = [503, 503, 503]
        clock = Clock()
        waits = []
        for _ in range(3):
            deliver(db, [channel], clock, env=ENV)
            row = next(db.query("SELECT * FROM outbox"))
            if row["state"] == "pending":
                waits.append((datetime.fromisoformat(row["next_attempt_at"]) - clock.now).total_seconds())
                clock.advance(waits[-1])
        assert row["state"] == "dead" and row["attempts"] == 3
        assert 8 <= waits[0] <= 12 and 16 <= waits[1] <= 24          # 10 s, then 20 s, with ±20 % jitter
        assert db["alert_attempts"].count == 3
        assert outbox.requeue_dead(db, [], clock()) == 1
        assert deliver(db, [channel], clock, env=ENV).counts == {"delivered": 1}


def _db_with_change(db_path, channels):
    from remarkwatch.crawler.items import OK, Capture, Extracted
    from remarkwatch.record.ingest import ingest
    from remarkwatch.storage.db import open_db

    db = open_db(db_path)
    capture = Capture(source="s", url="https://x/a/", final_url="https://x/a/", status=200, fetched_at="t",
                      outcome=OK, fields=Extracted(title="A", body_text="MR PRICE: Hello.", post_id="1"))
    ingest(db, capture, site="x", run_id=None, now="2026-11-27T11:00:00+00:00", channels=tuple(channels))
    assert db["outbox"].count == len(channels)
    return db


@pytest.mark.slow
def test_receiver_down_for_passes_then_up_delivers_each_once_in_order(tmp_path, server, site):
    receiver = WebhookReceiver()
    port = receiver.port
    receiver.httpd.server_close()                              # down: connection refused
    config_path = with_alerts(write_config(tmp_path, server.base_url), hook(receiver.url))
    baseline = forked("crawl", "--config", config_path, env=ENV, check=True)
    assert "34 new" in baseline.stdout and "alerts:" not in baseline.stdout   # the baseline alerts nothing
    for release in generated_releases(40)[:34]:
        site.publish(release)
    first = forked("crawl", "--config", config_path, env=ENV, check=True)
    # The first alert fails and the channel's others wait behind it, in order.
    assert "34 new" in first.stdout and "alerts: 0 delivered, 1 failed (will retry), 0 dead" in first.stdout
    assert "problem: alert channel hook: ConnectionError" in first.stderr
    site.edit("department-press-briefing-july-27-2021", "Eritrean forces", "Eritrean refugees")
    second = forked("crawl", "--config", config_path, env=ENV, check=True)
    assert "alerts: 0 delivered, 1 failed" in second.stdout          # the first row fails, the rest wait
    with WebhookReceiver(port=port) as receiver:
        third = forked("crawl", "--config", config_path, env=ENV, check=True)
        assert "alerts: 35 delivered, 0 failed (will retry), 0 dead" in third.stdout
        payloads = [r.json for r in receiver.received]
        assert all(r.signature_ok for r in receiver.received)
        assert [p["change_id"] for p in payloads] == sorted(p["change_id"] for p in payloads)
        assert len({p["change_id"] for p in payloads}) == 35 and len(set(receiver.keys())) == 35
        edited = next(p for p in payloads if p["kind"] == "edited")
        for key in ("kind", "source", "url", "title", "document_id", "change_id", "classes", "changed_fields",
                    "detected_at", "diff", "schema", "idempotency_key"):
            assert key in edited
        assert edited["classes"] == ["metadata", "wording"] and "refugees" in edited["diff"]
        assert edited["schema"] == "remarkwatch.alert/1"
        assert forked("crawl", "--config", config_path, env=ENV, check=True).stdout.count("alerts:") == 0
        assert len(receiver.received) == 35                     # nothing is sent twice
    db = db_at(config_path)
    attempts = db.execute("SELECT COUNT(*) FROM alert_attempts WHERE outcome = 'failed'").fetchone()[0]
    assert attempts == 2
    listed = invoke("alerts", "--config", config_path, check=True).stdout
    assert listed.startswith("0 pending, 35 delivered, 0 dead")


@pytest.mark.slow
def test_kill_between_commit_and_send_loses_nothing(tmp_path, server):
    with WebhookReceiver() as receiver:
        receiver.script = [("hang", 60)]
        config_path = with_alerts(write_config(tmp_path, server.base_url, extract_workers="auto"), hook(receiver.url, timeout_s=120))
        forked("crawl", "--config", config_path, env=ENV, check=True)           # the baseline
        for release in generated_releases(34):
            server.site.publish(release)
        process = subprocess.Popen([sys.executable, "-m", "remarkwatch", "crawl", "--config", str(config_path)],
                                   cwd=ROOT, env={**os.environ, **ENV}, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while not receiver.received and time.monotonic() < deadline:
            time.sleep(0.05)
        assert receiver.received, "the first alert was never sent"
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
    with WebhookReceiver(port=receiver.port) as again:
        sent = invoke("alerts", "send", "--config", config_path, env=ENV, check=True)
        assert "alerts: 34 delivered" in sent.stdout
        # The alert in flight when the process died is sent again, with the same idempotency key.
        assert again.keys()[0] == receiver.keys()[0]
    db = db_at(config_path)
    assert integrity_check(db) == ["ok"]
    assert db.execute("SELECT COUNT(*) FROM outbox WHERE state != 'delivered'").fetchone()[0] == 0


@pytest.mark.slow
def test_digest_of_fifty_changes_is_one_message(tmp_path):
    releases = generated_releases(60)
    site = Site(releases[:10], per_page=60)
    with ReplicaServer(site) as server, WebhookReceiver() as receiver:
        config_path = with_alerts(write_config(tmp_path, server.base_url), hook(receiver.url, mode="digest"))
        forked("crawl", "--config", config_path, env=ENV, check=True)           # the baseline
        for release in releases[10:]:
            site.publish(release)
        out = forked("crawl", "--config", config_path, env=ENV, check=True).stdout
        assert "50 new" in out and "alerts: 50 delivered" in out
        assert len(receiver.received) == 1
        payload = receiver.received[0].json
        assert payload["schema"] == "remarkwatch.digest/1" and len(payload["alerts"]) == 50
        assert {a["kind"] for a in payload["alerts"]} == {"new"}
        assert receiver.keys()[0] == payload["idempotency_key"]
    db = db_at(config_path)
    batch = db.execute("SELECT COUNT(DISTINCT batch_key), COUNT(*) FROM alert_attempts").fetchone()
    assert batch == (1, 50)


@pytest.mark.slow
def test_email_starttls_auth_refused_then_accepted_and_inert_html(tmp_path, site, server):
    ca, server_context = tls_pair()
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    slug = "department-press-briefing-july-27-2021"
    site.edit(slug, "With that, happy", "<script>alert(1)</script><img src=x onerror=alert(2)> With that, happy")
    handler = SmtpHandler(refuse=1)
    with SmtpServer(handler, tls_context=server_context, user=("alerts", ENV["RW_SMTP_PASSWORD"])) as smtp:
        email = "\n".join([
            'name = "desk"', 'kind = "email"', 'smtp_host = "127.0.0.1"', f"smtp_port = {smtp.port}",
            'security = "starttls"', f'ca_file = "{ca_file}"', 'username_env = "RW_SMTP_USER"',
            'password_env = "RW_SMTP_PASSWORD"', 'from = "remarkwatch@example.org"', 'to = ["desk@example.org"]',
            'kinds = ["edited"]', "retry_base_s = 0"])
        config_path = with_alerts(write_config(tmp_path, server.base_url), email)
        crawl_env = {**os.environ, **ENV}
        forked("crawl", "--config", config_path, env=crawl_env, check=True)
        site.edit(slug, "Eritrean forces", "Eritrean refugees")
        first = forked("crawl", "--config", config_path, env=crawl_env, check=True)
        assert "alerts: 0 delivered, 1 failed" in first.stdout and "SMTP 451" in first.stderr
        second = invoke("alerts", "send", "--config", config_path, env=crawl_env, check=True)
        assert "alerts: 1 delivered" in second.stdout
    assert len(handler.messages) == 1
    mail = handler.messages[0]
    assert mail["Subject"].startswith("[remarkwatch] edited (silent): Department Press Briefing")
    assert mail["Subject"].endswith("— 'forces' -> 'refugees'")          # the edit itself
    assert mail["Date"].endswith("+0000") and mail["Message-ID"].endswith("@example.org>")
    html = mail.get_body(("html",)).get_content()
    text = mail.get_body(("plain",)).get_content()
    assert "<del" in html and "forces" in html and "<ins" in html and "refugees" in html
    assert "<script" not in html and "<img" not in html and "&lt;script&gt;" in html
    assert "[-forces-] {+refugees+}" in text
    stored = (tmp_path / "archive.db").read_bytes() + (tmp_path / "remarkwatch.toml").read_bytes()
    assert ENV["RW_SMTP_PASSWORD"].encode() not in stored


@pytest.mark.slow
def test_apprise_json_url_reaches_the_receiver(tmp_path, server):
    with WebhookReceiver() as receiver:
        apprise = "\n".join(['name = "chat"', 'kind = "apprise"', 'url_env = "RW_APPRISE_URL"'])
        config_path = with_alerts(write_config(tmp_path, server.base_url), apprise)
        env = {"RW_APPRISE_URL": f"json://127.0.0.1:{receiver.port}/apprise"}
        result = invoke("test-alert", "chat", "--config", config_path, env=env, check=True)
        assert "channel chat: delivered" in result.stdout
        body = receiver.received[0].json
        assert receiver.received[0].path == "/apprise"
        assert "refugees" in body["message"] and body["title"].startswith("[remarkwatch] edited (silent)")
        # Chat-sized: title, summary and a link, no diff.
        assert len(body["message"]) < 600 and "https://www.state.gov/" in body["message"]
        assert "--- before" not in body["message"]
    missing = invoke("test-alert", "chat", "--config", config_path)
    assert missing.returncode == 2 and "$RW_APPRISE_URL (channel chat)" in missing.stderr
    unknown = invoke("test-alert", "nope", "--config", config_path)
    assert unknown.returncode == 2 and "no alert channel named 'nope'" in unknown.stderr


@pytest.mark.slow
def test_source_failing_alerts_once_and_recovered_once(tmp_path, server, site):
    with WebhookReceiver() as receiver:
        config_path = with_alerts(write_config(tmp_path, server.base_url), hook(receiver.url, kinds=[
            "source-failing", "source-recovered"]))
        config_path.write_text("source_failing_after = 2\n" + config_path.read_text())
        forked("crawl", "--config", config_path, env=ENV, check=True)
        # Retry-After: 0, so the back-off that a 503 earns does not slow the test down.
        site.override("/press-releases/", Response(503, b"<h1>Service Unavailable</h1>", headers=(("Retry-After", "0"),)))
        for _ in range(4):   # a pass that cannot read its source exits 3, for cron and health checks
            failing = forked("crawl", "--config", config_path, env=ENV)
            assert failing.returncode == 3 and "run " in failing.stdout and "(failed)" in failing.stdout
        site.override("/press-releases/", None)
        forked("crawl", "--config", config_path, env=ENV, check=True)
        forked("crawl", "--config", config_path, env=ENV, check=True)
        kinds = [r.json["kind"] for r in receiver.received]
        assert kinds == ["source-failing", "source-recovered"]
        assert "failed 2 passes in a row" in receiver.received[0].json["summary"]
    health = next(db_at(config_path).query("SELECT * FROM source_health"))
    assert (health["state"], health["consecutive_failures"]) == ("ok", 0)


@pytest.mark.parametrize("table, message", [
    ('kinds = ["edit"]', "unknown ['edit']"),
    ('sources = ["t"]', "unknown ['t']"),
    ('mode = "batch"', "mode: 'batch' (valid: each, digest)"),
    ("min_significance = 101", "min_significance: 0 to 100"),
    ("max_attempts = 0", "max_attempts must be 1 or more"),
])
def test_keys_every_channel_takes_are_validated(tmp_path, table, message):
    # Each kind's own keys are checked in tests/unit/test_channel_<kind>.py.
    config_path = tmp_path / "remarkwatch.toml"
    base = '[[sources]]\nname = "s"\nprofile = "state.gov"\nstart_urls = ["https://www.state.gov/press-releases/"]\n'
    config_path.write_text(base + "\n[[alerts]]\n" + hook("http://h/") + "\n" + table + "\n")
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_config(config_path)
    config_path.write_text(base + "\n[[alerts]]\n" + hook("http://h/") + "\n")
    assert load_config(config_path).channel("hook").retry_base_s == 0


def test_a_backlog_larger_than_a_page_drains_in_one_round(tmp_path):
    with WebhookReceiver() as receiver:
        channel = Channel("hook", "webhook", options={"url": receiver.url, "secret_env": "RW_HOOK_SECRET"})
        db = _db_with_change(tmp_path / "a.db", [channel])
        change_id = next(db.query("SELECT change_id FROM outbox"))["change_id"]
        with db.atomic():
            outbox.enqueue(db, [{"channel": "hook", "change_id": change_id, "idempotency_key": f"k{i}",
                                 "created_at": "2026-11-27T11:00:00+00:00"} for i in range(700)])
        assert deliver(db, [channel], Clock(), env=ENV).counts == {"delivered": 701}
        assert len(receiver.received) == 701


def test_webhook_errors_never_store_the_url_token(tmp_path):
    token_url = "http://127.0.0.1:9/services/T000/B000/XXXXsecretXXXX"
    channel = Channel("hook", "webhook", timeout_s=1, options={"url_env": "RW_HOOK_URL", "secret_env": "RW_HOOK_SECRET"})
    db = _db_with_change(tmp_path / "a.db", [channel])
    report = deliver(db, [channel], Clock(), env={**ENV, "RW_HOOK_URL": token_url})
    assert report.counts == {"failed": 1}
    error = next(db.query("SELECT error FROM alert_attempts"))["error"]
    assert "ConnectionError" in error and "XXXXsecretXXXX" not in error and "T000" not in error
    assert "XXXXsecretXXXX" not in report.errors[0]


def test_the_sender_applies_the_kinds_size_limit(tmp_path):
    handler = SmtpHandler()
    with SmtpServer(handler) as smtp, WebhookReceiver() as receiver:
        mail = Channel("desk", "email", options={
            "smtp_host": "127.0.0.1", "smtp_port": smtp.port, "security": "none", "max_bytes": 300,
            "from": "rw@example.org", "to": ["desk@example.org"]})
        hook = Channel("hook", "webhook", options={"url": receiver.url, "secret_env": "RW_HOOK_SECRET"})
        db = _db_with_change(tmp_path / "a.db", [mail, hook])
        assert deliver(db, [mail, hook], Clock(), env=ENV).counts == {"delivered": 2}
    assert "Truncated to fit 300 bytes" in handler.messages[0].get_body(("plain",)).get_content()
    assert "Truncated" not in receiver.received[0].body.decode()          # a webhook has no size limit


def test_digest_period_holds_messages_back(tmp_path):
    with WebhookReceiver() as receiver:
        channel = Channel("hook", "webhook", mode="digest", digest_minutes=60,
                          options={"url": receiver.url, "secret_env": "RW_HOOK_SECRET"})
        db = _db_with_change(tmp_path / "a.db", [channel])
        clock = Clock()
        assert deliver(db, [channel], clock, env=ENV).counts == {"delivered": 1}
        change_id = next(db.query("SELECT change_id FROM outbox"))["change_id"]
        with db.atomic():
            outbox.enqueue(db, [{"channel": "hook", "change_id": change_id, "idempotency_key": f"k{i}",
                                 "created_at": clock()} for i in range(3)])
        clock.advance(30 * 60)
        assert deliver(db, [channel], clock, env=ENV).counts == {}
        clock.advance(31 * 60)
        assert deliver(db, [channel], clock, env=ENV).counts == {"delivered": 3}
        assert len(receiver.received) == 2 and len(receiver.received[1].json["alerts"]) == 3
