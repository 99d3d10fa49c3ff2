"""The CLI as a user meets it: help, version, the demo, and docs that cannot drift."""
from __future__ import annotations

import re
import sqlite3

import pytest

from remarkwatch import __version__
from remarkwatch.alerts.channels.base import COMMON_KEYS
from remarkwatch.alerts.channels.registry import kinds
from remarkwatch.cli.main import cli
from remarkwatch.config import BACKFILL_KEYS, CLUSTER_KEYS, SOURCE_KEYS, TOP_KEYS
from tests.conftest import ROOT, run_cli

README = (ROOT / "README.md").read_text(encoding="utf-8")
# The README and the docs it links to: what a reader can find documented.
DOCS = "\n".join([README, *(p.read_text(encoding="utf-8") for p in sorted((ROOT / "docs").glob("*.md")))])


def test_version_and_help():
    assert run_cli("--version", check=True).stdout.strip().endswith(__version__)
    help_text = run_cli("-h", check=True).stdout
    for name in cli.commands:
        assert name in help_text


def _all_commands(group, prefix=""):
    for name, command in group.commands.items():
        yield f"{prefix}{name}", command
        if hasattr(command, "commands"):
            yield from _all_commands(command, f"{prefix}{name} ")


COMMANDS = dict(_all_commands(cli))


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_has_summary_example_and_docs(name):
    command = COMMANDS[name]
    assert command.help and "Example: remarkwatch" in command.help
    assert re.search(rf"remarkwatch {re.escape(name)}\b", DOCS), f"`remarkwatch {name}` is not in the README or docs/"


CHANNEL_KEYS = set(COMMON_KEYS).union(*(k.keys for k in kinds().values()))


@pytest.mark.parametrize("key", sorted(set(TOP_KEYS) | set(SOURCE_KEYS) | CHANNEL_KEYS | set(BACKFILL_KEYS) | set(CLUSTER_KEYS)))
def test_every_config_key_is_documented(key):
    assert f"`{key}`" in DOCS, f"config key {key!r} is not documented in the README or docs/"


def test_readme_starts_with_the_two_commands():
    head = README.split("\n## ", 1)[0]
    assert "python3 dev.py demo" in head and "python3 dev.py test" in head
    ci = (ROOT / ".ci" / "run").read_text()
    assert "python3 dev.py test" in ci


@pytest.mark.slow
def test_demo_offline(tmp_path):
    from tests.conftest import forked

    result = forked("demo", "--dir", tmp_path / "demo", check=True, timeout=120)
    out = result.stdout
    assert "pass 1: run 1 (ok): 34 pages fetched, 34 new" in out
    assert "pass 2: run 2 (ok): 35 pages fetched, 1 new, 1 edited" in out
    assert "turn 1, MR PRICE (para 2): [-forces-] {+refugees+}  (wording)" in out
    assert "silent: the page's modified time did not change" in out
    assert "pass 3: run 3 (ok): 35 pages fetched, 0 new, 1 edited, 34 unchanged, 0 failed (1 reverted, 34 same_bytes)" in out
    assert ("alert received by the demo webhook: edited — Department Press Briefing – July 27, 2021: "
            "turn 1, MR PRICE: “forces” → “refugees” (signature valid)") in out
    assert "alert received by the demo webhook: reverted" in out
    assert "REMARKWATCH_DEMO_SECRET" in (tmp_path / "demo" / "remarkwatch.toml").read_text()
    db_path = tmp_path / "demo" / "remarkwatch.db"
    assert f"database: {db_path}" in out
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT kind, COUNT(*) FROM changes GROUP BY kind ORDER BY kind").fetchall() == [
            ("edited", 1), ("new", 35), ("reverted", 1)]
        # The revert names the version it returns to: the first one of that document.
        first, reverted_to = conn.execute(
            "SELECT (SELECT MIN(id) FROM versions v WHERE v.document_id = c.document_id), "
            "reverted_to_version_id FROM changes c WHERE kind = 'reverted'").fetchone()
        assert first == reverted_to
