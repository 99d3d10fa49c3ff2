"""Deployed by a newsroom (issue 11): the documented cron line under a clean environment, each
alert channel on its own, loud failures, an archive never at risk, installs outside the checkout,
the systemd unit, and the output people read."""
from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from remarkwatch.demo.replica.content import DEMO_EDIT
from tests.conftest import ROOT, crawl, db_at, forked, invoke, run_cli, write_config
from tests.receivers import SECRET, WebhookReceiver

README = (ROOT / "README.md").read_text(encoding="utf-8")
CRON_LINE = next(line for line in (ROOT / "config" / "deploy" / "crontab.example").read_text().splitlines()
                 if line and not line.startswith("#"))


def add_channels(config_path: Path, *tables: str) -> Path:
    config_path.write_text(config_path.read_text() + "".join(f"\n[[alerts]]\n{t}\n" for t in tables))
    return config_path


def webhook(name: str, url: str, secret_env: str) -> str:
    return f'name = "{name}"\nkind = "webhook"\nurl = "{url}"\nsecret_env = "{secret_env}"\nretry_base_s = 0'


# --- alerts arrive under cron -------------------------------------------------------------------

@pytest.mark.slow
def test_the_documented_cron_line_delivers_alerts_from_a_clean_environment(tmp_path, server, site):
    assert CRON_LINE in README, "the README and config/deploy/crontab.example give different cron lines"
    with WebhookReceiver() as receiver:
        add_channels(write_config(tmp_path, server.base_url), webhook("hook", receiver.url, "RW_CRON_SECRET"))
        env_file = tmp_path / "env"
        env_file.write_text(f"# KEY=value lines, as systemd's EnvironmentFile reads them\nRW_CRON_SECRET={SECRET}\n")
        command = " ".join(CRON_LINE.split()[5:])        # the line less its five schedule fields
        command = (command.replace("/srv/remarkwatch", str(tmp_path)).replace("/etc/remarkwatch/env", str(env_file))
                   .replace(".venv/bin/remarkwatch", str(Path(sys.executable).parent / "remarkwatch")))
        subprocess.run(["env", "-i", "/bin/sh", "-c", command], check=True, timeout=120)    # the baseline
        site.edit(*DEMO_EDIT)
        subprocess.run(["env", "-i", "/bin/sh", "-c", command], check=True, timeout=120)    # sees the edit
        log = (tmp_path / "crawl.log").read_text()
        assert "alerts: 1 delivered" in log, log
        assert len(receiver.received) == 1 and receiver.received[0].signature_ok


@pytest.mark.slow
def test_a_channel_missing_its_secret_holds_back_only_itself(tmp_path, server, site):
    with WebhookReceiver() as receiver:
        config_path = add_channels(write_config(tmp_path, server.base_url),
                                   webhook("desk", receiver.url + "/desk", "RW_DESK_SECRET"),
                                   webhook("night", receiver.url + "/night", "RW_NIGHT_SECRET"))
        env = {"RW_DESK_SECRET": SECRET}
        crawl(config_path, env=env)
        site.edit(*DEMO_EDIT)
        result = crawl(config_path, env=env)
        assert [r.path for r in receiver.received] == ["/hook/desk"]
        assert "night: held back, not set in the environment: $RW_NIGHT_SECRET" in result.stderr
        checked = invoke("check-config", "--config", config_path, env=env, check=True).stdout
        assert "alert channel desk: webhook" in checked and "$RW_DESK_SECRET set" in checked
        assert "$RW_NIGHT_SECRET NOT SET" in checked
        status = json.loads(invoke("status", "--json", "--config", config_path, env=env, check=True).stdout)
        night = next(c for c in status["channels"] if c["channel"] == "night")
        assert night["pending"] == 1 and night["oldest_pending_age_s"] >= 0 and "$RW_NIGHT_SECRET" in night["why"]
        text = invoke("status", "--config", config_path, env=env, check=True).stdout
        assert "night (webhook): 1 pending, oldest" in text and "held back" in text
        send = invoke("alerts", "send", "--config", config_path, env=env)
        assert send.returncode == 2 and "night: not set in the environment" in send.stderr


@pytest.mark.slow
def test_test_alert_sends_the_schema_of_a_real_alert(tmp_path, server, site):
    with WebhookReceiver() as receiver:
        config_path = add_channels(write_config(tmp_path, server.base_url), webhook("hook", receiver.url, "RW_S"))
        config_path.write_text('public_url = "https://archive.example.org/"\n' + config_path.read_text())
        env = {"RW_S": SECRET}
        invoke("test-alert", "hook", "--config", config_path, env=env, check=True)
        crawl(config_path)
        site.edit(*DEMO_EDIT)
        crawl(config_path, env=env)
        sample, real = (r.json for r in receiver.received)
        assert set(sample) == set(real) and sample["change_id"] == 0 and sample["to_version_id"] == 0
        assert sample["test"] is True and real["test"] is False
        assert real["change_id"] > 0 and sample["change_url"] is None
        assert real["change_url"] == f"https://archive.example.org/-/change/{real['change_id']}"   # the diff, one click


# --- failures look like failures ----------------------------------------------------------------

def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow
def test_a_site_that_is_down_is_one_line_a_problem_a_failed_run_and_exit_3(tmp_path):
    config_path = write_config(tmp_path, f"http://127.0.0.1:{closed_port()}")
    result = forked("crawl", "--config", config_path)
    assert result.returncode == 3 and "Traceback" not in result.stderr
    assert "(failed)" in result.stdout and "problem: replica: listing" in result.stderr
    assert len(result.stderr.splitlines()) <= 6, result.stderr
    verbose = forked("-v", "crawl", "--now", "--config", config_path)
    lines = [line for line in verbose.stderr.splitlines() if re.search(r" (DEBUG|INFO|WARNING|ERROR|CRITICAL) [\w.]+: ", line)]
    assert lines and all(re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ [A-Z]+ ", line) for line in lines), lines[:5]
    assert next(db_at(config_path).query("SELECT outcome FROM runs ORDER BY id DESC"))["outcome"] == "failed"


def test_check_offline_and_serve_on_a_busy_port_say_one_line(tmp_path):
    offline = invoke("check", f"http://127.0.0.1:{closed_port()}/x/", "--profile", "state.gov")
    assert offline.returncode == 1 and len(offline.stderr.strip().splitlines()) == 1
    assert "cannot fetch it" in offline.stderr and "Traceback" not in offline.stderr
    config_path = tmp_path / "remarkwatch.toml"
    config_path.write_text('db = "archive.db"\n')
    from remarkwatch.storage.db import open_db
    open_db(tmp_path / "archive.db").close()
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        served = run_cli("serve", "--port", busy.getsockname()[1], "--config", config_path, timeout=60)
    assert served.returncode == 1 and "serving at" not in served.stdout and "cannot serve on" in served.stderr


@pytest.mark.slow
def test_status_says_a_killed_daemon_is_not_running(tmp_path, server):
    config_path = write_config(tmp_path, server.base_url)
    daemon = subprocess.Popen([sys.executable, "-m", "remarkwatch", "run", "--config", str(config_path)], cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while "daemon:   running" not in invoke("status", "--config", config_path).stdout:
        assert time.monotonic() < deadline, "the daemon never reported running"
        time.sleep(0.5)
    daemon.send_signal(signal.SIGKILL)
    daemon.wait(timeout=10)
    shown = invoke("status", "--config", config_path, check=True).stdout
    assert "not running (killed?" in shown
    assert json.loads(invoke("status", "--json", "--config", config_path).stdout)["daemon"]["alive"] is False


# --- the archive is never at risk ---------------------------------------------------------------

def test_demo_refuses_a_folder_it_did_not_write(tmp_path):
    (tmp_path / "remarkwatch.toml").write_text("# my newsroom's config\n")
    (tmp_path / "remarkwatch.db").write_bytes(b"precious")
    refused = forked("demo", "--dir", tmp_path)
    assert refused.returncode == 2 and "holds files the demo did not write" in refused.stderr
    assert (tmp_path / "remarkwatch.db").read_bytes() == b"precious"


def test_config_before_the_command_and_from_the_environment(tmp_path):
    config_path = tmp_path / "elsewhere.toml"
    config_path.write_text('db = "mine.db"\n')
    before = invoke("--config", config_path, "check-config", cwd=tmp_path.parent, check=True).stdout
    from_env = invoke("check-config", cwd=tmp_path.parent, env={"REMARKWATCH_CONFIG": str(config_path)}, check=True).stdout
    assert f"config: {config_path}" in before and f"config: {config_path}" in from_env
    assert str(tmp_path / "mine.db") in before


# --- installs anywhere --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    # --no-build-isolation: the test extra's setuptools builds it, with no build venv made first.
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                    "-w", str(out), str(ROOT)], check=True, timeout=300, capture_output=True)
    return next(out.glob("remarkwatch-*.whl"))


def _site_packages() -> str:
    import sysconfig
    return sysconfig.get_paths()["purelib"]


def _uses_the_install(run, where: Path) -> None:
    """profiles, init and check-config work from the installed package alone (not the checkout)."""
    profiles = run("profiles")
    assert profiles.returncode == 0 and "state.gov" in profiles.stdout and "whitehouse.gov" in profiles.stdout
    assert run("init", str(where / "remarkwatch.toml")).returncode == 0
    checked = run("check-config", "--config", str(where / "remarkwatch.toml"))
    assert checked.returncode == 0 and "source state-press-releases" in checked.stdout, checked.stderr


@pytest.mark.slow
def test_a_wheel_in_a_fresh_venv_finds_its_own_config(tmp_path, wheel):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    target = next((venv / "lib").glob("python3*/site-packages"))
    # The dependencies come from the project's venv (a .pth), the package only from the wheel.
    (target / "deps.pth").write_text(_site_packages() + "\n")
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target), str(wheel)],
                   check=True, timeout=300)
    assert not (target / "__editable__.remarkwatch-0.1.0.pth").exists()
    env = {**os.environ, "PYTHONPATH": ""}
    _uses_the_install(lambda *a: subprocess.run([str(venv / "bin" / "python"), "-m", "remarkwatch", *a], cwd=tmp_path,
                                                env=env, capture_output=True, text=True, timeout=120), tmp_path)


@pytest.mark.slow
def test_a_user_install_finds_its_own_config(tmp_path, wheel):
    base = tmp_path / "userbase"
    env = {**os.environ, "PYTHONUSERBASE": str(base), "PIP_BREAK_SYSTEM_PACKAGES": "1"}
    python = shutil.which("python3", path="/usr/local/bin:/usr/bin") or sys.executable
    done = subprocess.run([python, "-m", "pip", "install", "--quiet", "--user", "--no-deps", str(wheel)], env=env,
                          capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        pytest.skip(f"no user install possible with {python}: {done.stderr.strip()[-200:]}")
    script = next(base.glob("bin/remarkwatch"))
    # Its dependencies come from the project's venv through PYTHONPATH; the checkout is not on it.
    env["PYTHONPATH"] = _site_packages()
    _uses_the_install(lambda *a: subprocess.run([python, str(script), *a], cwd=tmp_path, env=env,
                                                capture_output=True, text=True, timeout=120), tmp_path)


# --- re-checks keep their promise -----------------------------------------------------------------

@pytest.mark.slow
def test_changing_recheck_reschedules_archived_documents(tmp_path, server):
    config_path = write_config(tmp_path, server.base_url)
    config_path.write_text(config_path.read_text().replace('recheck = [["*", "0s"]]', 'recheck = [["*", "7d"]]'))
    crawl(config_path)
    db = db_at(config_path)
    week = db.execute("SELECT MIN(next_check_at) FROM documents").fetchone()[0]
    config_path.write_text(config_path.read_text().replace('recheck = [["*", "7d"]]', 'recheck = [["*", "1h"]]'))
    crawl(config_path, "--now")
    hour = db.execute("SELECT MAX(next_check_at) FROM documents").fetchone()[0]
    assert hour < week, "the documents kept the next check of the old rule"


# --- deployment files -----------------------------------------------------------------------------

@pytest.mark.parametrize("name, writes", [("remarkwatch.service", "ReadWritePaths="),
                                          ("remarkwatch-coordinator.service", "ReadWritePaths="),
                                          ("remarkwatch-worker@.service", "ReadOnlyPaths=")])
def test_the_systemd_unit_is_hardened_and_verifies(tmp_path, name, writes):
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    unit = (ROOT / "config" / "deploy" / name).read_text()
    for key in ("ProtectSystem=strict", writes, "NoNewPrivileges=yes", "PrivateTmp=yes",
                "ProtectHome=yes", "UMask=0027"):
        assert key in unit
    local = tmp_path / name.replace("@", "@1")
    local.write_text(unit.replace("/srv/remarkwatch/.venv/bin/remarkwatch", "/bin/true"))
    verified = subprocess.run([analyze, "verify", str(local)], capture_output=True, text=True)
    assert verified.returncode == 0 and local.name not in verified.stderr, verified.stderr
    security = subprocess.run([analyze, "security", "--offline=true", str(local)], capture_output=True, text=True)
    score = float(re.search(r"Overall exposure level for \S+: ([\d.]+)", security.stdout).group(1))
    assert score <= 2.0, security.stdout[-500:]


# --- output people read ---------------------------------------------------------------------------

@pytest.mark.slow
def test_changes_table_since_diff_in_context_and_csv(tmp_path, server, site):
    config_path = write_config(tmp_path, server.base_url)
    crawl(config_path)
    site.edit(*DEMO_EDIT)
    crawl(config_path)
    table = invoke("changes", "--config", config_path, env={"COLUMNS": "100"}, check=True).stdout.splitlines()
    assert table[0].split()[:4] == ["id", "when", "(UTC)", "kind"] and set(table[1]) <= {"-", " "}
    assert all(len(line) <= 100 for line in table), max(map(len, table))
    newest = json.loads(invoke("changes", "--json", "--limit", "1", "--config", config_path, check=True).stdout)[0]
    later = json.loads(invoke("changes", "--json", "--since", str(newest["id"] - 1), "--config", config_path,
                               check=True).stdout)
    assert [c["id"] for c in later] == [newest["id"]]
    assert json.loads(invoke("changes", "--json", "--since", newest["detected_at"], "--config", config_path,
                              check=True).stdout) == []
    plain = invoke("diff", newest["id"], "--config", config_path, check=True).stdout
    assert "in context:" in plain and "[-forces-] {+refugees+}" in plain.split("in context:")[1]
    colored = invoke("diff", newest["id"], "--color", "--config", config_path, check=True).stdout
    assert "\x1b[" in colored
    # NO_COLOR wins over a terminal; there is none here, so check the helper's rule directly.
    from remarkwatch.cli.render import use_color
    assert use_color(None, stream=type("TTY", (), {"isatty": lambda self: True})()) is (not os.environ.get("NO_COLOR"))
    os.environ["NO_COLOR"] = "1"
    try:
        assert use_color(None, stream=type("TTY", (), {"isatty": lambda self: True})()) is False
    finally:
        del os.environ["NO_COLOR"]
    sheet = invoke("export", "changes", "--format", "csv", "--config", config_path, check=True).stdout
    rows = list(csv.DictReader(io.StringIO(sheet)))
    edited = next(r for r in rows if r["kind"] == "edited")
    assert edited["title"] and edited["url"].startswith(server.base_url)
    assert edited["classes"] == "metadata, wording" and edited["silent"] in ("yes", "no")
    assert "'forces' -> 'refugees'" in edited["edits"] and not edited["classes"].startswith("[")
