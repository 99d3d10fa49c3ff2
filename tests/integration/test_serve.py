"""`python -m remarkwatch.demo.serve` as a user meets it: a real process on free loopback ports,
its printed URLs, edits over HTTP, Ctrl-C."""
from __future__ import annotations

import re
import signal
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request

import pytest

from remarkwatch.config import load_config
from tests.conftest import ROOT

BRIEFING = "/department-press-briefing-july-27-2021/"


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as answer:
        return answer.read().decode("utf-8")


def _post(url: str, **fields) -> tuple[int, str]:
    data = urllib.parse.urlencode(fields).encode()
    try:
        with urllib.request.urlopen(url, data=data, timeout=10) as answer:
            return answer.status, answer.read().decode("utf-8")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8")


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """The serving process, its output up to its last instruction, and the config it wrote."""
    config = tmp_path_factory.mktemp("serve") / "try.toml"
    process = subprocess.Popen([sys.executable, "-m", "remarkwatch.demo.serve", "--config", str(config)],
                               cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines = []
    try:
        while not lines or not lines[-1].startswith("Ctrl-C stops"):
            line = process.stdout.readline()
            assert line, f"serve exited early:\n{''.join(lines)}{process.stderr.read()}"
            lines.append(line)
        yield process, "".join(lines), config
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)


def _urls(output: str) -> tuple[str, str]:
    site = re.search(r"^replica site: (http://127\.0\.0\.1:\d+)/press-releases/ \(34 releases\)$", output, re.M)
    wayback = re.search(r"^replica Wayback Machine: (http://127\.0\.0\.1:\d+)/ \(35 captures\)$", output, re.M)
    assert site and wayback, output
    return site.group(1), wayback.group(1)


def test_the_written_config_points_at_the_printed_replicas(served):
    _, output, config_path = served
    site, wayback = _urls(output)
    config = load_config(config_path)
    assert config.sources[0].start_urls == (f"{site}/press-releases/",)
    assert config.backfill.wayback_url == wayback
    assert f"config written to {config_path}" in output


def test_an_edit_over_http_changes_the_page_and_the_archive_holds_the_earlier_one(served):
    _, output, _ = served
    site, wayback = _urls(output)
    edit_line = re.search(r"^  (curl .*/__edit__)$", output, re.M).group(1)
    assert "slug=department-press-briefing-july-27-2021" in edit_line
    before = _get(site + BRIEFING)
    assert "against Eritrean forces" in before
    status, answer = _post(site + "/__edit__", slug=BRIEFING.strip("/"), old="Eritrean forces", new="Eritrean refugees")
    assert status == 200 and '"silent": true' in answer
    after = _get(site + BRIEFING)
    assert "against Eritrean refugees" in after and "against Eritrean forces" not in after
    search = _get(f"{wayback}/cdx/search/cdx?url={urllib.parse.quote(site + BRIEFING)}")
    assert len(search.strip().splitlines()) == 2       # before and after the archived edit


@pytest.mark.parametrize("fields,status,says", [
    ({"slug": "no-such-release", "old": "a", "new": "b"}, 404, "no release with slug"),
    ({"slug": BRIEFING.strip("/"), "old": "words the page never had", "new": "b"}, 400, "is not in release"),
    ({"slug": BRIEFING.strip("/")}, 400, "missing old, new"),
])
def test_a_bad_edit_is_refused_and_says_why(served, fields, status, says):
    site, _ = _urls(served[1])
    got, answer = _post(site + "/__edit__", **fields)
    assert (got, says in answer) == (status, True), answer


def test_ctrl_c_stops_it_cleanly(served):
    process, _, _ = served
    process.send_signal(signal.SIGINT)
    out, _ = process.communicate(timeout=10)
    assert process.returncode == 0 and out.strip().endswith("stopped")
