"""Run the scenario suite: real crawls of one replica site holding every case, passes in lockstep.

    python -m tests.integration.scenarios.run [--json results.json] [--dir DIR]

Pass 0 crawls every baseline page; before pass k, step k of every case is applied to the site.
After the last pass each case's changes, pass by pass, are checked against what it expects, and
a table is printed: cases, expected edits detected, misclassified, missed, false alerts.
Exit status 0 only when every case is right.
"""
from __future__ import annotations

import argparse
import io
import json
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from remarkwatch.config import load_config
from remarkwatch.core.detect import ALERT_THRESHOLD
from remarkwatch.passes.local import CrawlPass, run_steps
from remarkwatch.passes.progress import Progress
from remarkwatch.demo.replica.content import demo_releases
from remarkwatch.demo.replica.server import ReplicaServer
from remarkwatch.demo.replica.site import LISTING, Site
from remarkwatch.storage.db import open_db
from tests.integration.scenarios.cases import Case, Expect, cases
from tests.integration.scenarios.real import real_cases

CONFIG = """db = "scenarios.db"
concurrency = 8

[[sources]]
name = "scenarios"
profile = "state.gov"
start_urls = ["{base}{listing}"]
max_listing_pages = 50
delay_s = 0
removed_after_passes = 2
removed_after_hours = 0
"""


@dataclass
class Outcome:
    case: str
    row: str
    step: int
    expected: str
    got: str
    verdict: str            # ok, missed, misclassified, false-alert, unexpected
    detail: str = ""


@dataclass
class Report:
    outcomes: list[Outcome] = field(default_factory=list)
    cases: int = 0

    def count(self, verdict: str) -> int:
        return sum(o.verdict == verdict for o in self.outcomes)

    @property
    def expected_changes(self) -> int:
        return sum(o.expected != "nothing" for o in self.outcomes)

    @property
    def detected(self) -> int:
        return sum(o.expected != "nothing" and o.verdict in ("ok", "misclassified") for o in self.outcomes)

    @property
    def ok(self) -> bool:
        return all(o.verdict == "ok" for o in self.outcomes)

    def table(self) -> str:
        lines = [f"{'case':<30} {'row':<6} {'pass':<4} {'expected':<38} {'got':<38} verdict"]
        for o in self.outcomes:
            lines.append(f"{o.case:<30} {o.row:<6} {o.step:<4} {o.expected[:38]:<38} {o.got[:38]:<38} {o.verdict}"
                         + (f"  ({o.detail})" if o.detail else ""))
        lines.append("")
        lines.append(
            f"cases: {self.cases}   steps checked: {len(self.outcomes)}   expected changes: {self.expected_changes}   "
            f"detected: {self.detected}   misclassified: {self.count('misclassified')}   "
            f"missed: {self.count('missed')}   false alerts: {self.count('false-alert')}   "
            f"unexpected quiet changes: {self.count('unexpected')}")
        return "\n".join(lines)

    def as_dict(self) -> dict:
        return {
            "cases": self.cases, "steps": len(self.outcomes), "expected_changes": self.expected_changes,
            "detected": self.detected, "misclassified": self.count("misclassified"),
            "missed": self.count("missed"), "false_alerts": self.count("false-alert"),
            "unexpected": self.count("unexpected"), "ok": self.ok,
            "outcomes": [o.__dict__ for o in self.outcomes],
        }


def describe(expect: Expect | None) -> str:
    if expect is None:
        return "nothing"
    classes = ",".join(sorted(expect.classes)) + ("+" if expect.at_least else "")
    fields = ",".join(sorted(expect.fields))
    return f"{expect.kind} [{classes}] {{{fields}}}" + ("" if expect.alert else " quiet")


def judge(case: Case, step: int, expect: Expect | None, changes: list[dict]) -> Outcome:
    got = "; ".join(f"{c['kind']} [{','.join(sorted(c['classes']))}] {{{','.join(sorted(c['changed_fields']))}}}"
                    f" s={c['significance']}" for c in changes) or "nothing"
    alerting = [c for c in changes if c["significance"] >= ALERT_THRESHOLD]
    base = dict(case=case.name, row=case.row, step=step, expected=describe(expect), got=got)
    if expect is None or not expect.alert:
        if alerting:
            return Outcome(**base, verdict="false-alert")
    if expect is None:
        return Outcome(**base, verdict="unexpected" if changes else "ok")
    if len(changes) != 1:
        return Outcome(**base, verdict="missed" if not changes else "misclassified",
                       detail="" if not changes else f"{len(changes)} changes")
    change = changes[0]
    classes, fields = set(change["classes"]), set(change["changed_fields"])
    wrong = []
    if change["kind"] != expect.kind:
        wrong.append(f"kind {change['kind']}")
    if (not expect.classes <= classes) if expect.at_least else classes != expect.classes:
        wrong.append(f"classes {sorted(classes)}")
    if (not expect.fields <= fields) if expect.at_least else fields != expect.fields:
        wrong.append(f"fields {sorted(fields)}")
    if expect.where and expect.where not in (change["summary"] or ""):
        wrong.append(f"summary {change['summary']!r}")
    if expect.alert and change["significance"] < ALERT_THRESHOLD:
        wrong.append(f"significance {change['significance']} is below the alert threshold")
    return Outcome(**base, verdict="misclassified" if wrong else "ok", detail="; ".join(wrong))


def run(directory: Path, *, include_real: bool = True) -> Report:
    suite = cases() + (real_cases() if include_real else [])
    # The demo releases stay on the site as bystanders: none of them may change.
    bystanders = demo_releases()
    site = Site([*bystanders, *(c.release for c in suite)])
    passes = 1 + max(len(c.steps) for c in suite)
    with ReplicaServer(site) as server:
        config_path = directory / "remarkwatch.toml"
        config_path.write_text(CONFIG.format(base=server.base_url, listing=LISTING), encoding="utf-8")
        config = load_config(config_path)
        db = open_db(config.db_path)
        for case in suite:
            for action in case.setup:
                action(site, case, server.base_url)
        quiet = Progress(stream=io.StringIO(), enabled=False)   # fetch problems are expected here
        crawls = [CrawlPass(config, db, config.sources, quiet, full=True) for _ in range(passes)]

        def mutate(number: int):
            def apply(_process):
                for case in suite:
                    if number - 1 < len(case.steps):
                        for action in case.steps[number - 1].actions:
                            action(site, case, server.base_url)
            return apply

        steps: list = [crawls[0]]
        for number in range(1, passes):
            steps += [mutate(number), crawls[number]]
        run_steps(config, steps)
        report = Report(cases=len(suite))
        keys = {c.release.post_id: c for c in suite}
        runs = [p.result.run_id for p in crawls]
        for post_id, case in keys.items():
            document = next(db.query("SELECT id FROM documents WHERE key = ?", [f"state.gov:post:{post_id}"]), None)
            by_run = _changes_by_run(db, document["id"]) if document else {}
            first = by_run.get(runs[0], [])
            base_ok = [c["kind"] for c in first] == ["new"]
            report.outcomes.append(Outcome(case.name, case.row, 0, "new", ", ".join(c["kind"] for c in first) or "nothing",
                                           "ok" if base_ok else "missed"))
            for number, step in enumerate(case.steps, start=1):
                report.outcomes.append(judge(case, number, step.expect, by_run.get(runs[number], [])))
        bystander_changes = db.execute(
            "SELECT COUNT(*) FROM changes c JOIN documents d ON d.id = c.document_id "
            f"WHERE c.kind != 'new' AND d.post_id IN ({', '.join(str(r.post_id) for r in bystanders)})"
        ).fetchone()[0]
        report.outcomes.append(Outcome("bystanders", "noise", passes - 1, "nothing",
                                       f"{bystander_changes} changes", "ok" if bystander_changes == 0 else "unexpected"))
        integrity = db.execute("PRAGMA integrity_check").fetchone()[0]
        if integrity != "ok":
            report.outcomes.append(Outcome("integrity", "db", passes - 1, "ok", integrity, "unexpected"))
        db.close()
    return report


def _changes_by_run(db, document_id: int) -> dict[int, list[dict]]:
    out: dict[int, list[dict]] = {}
    for row in db.query("SELECT * FROM changes WHERE document_id = ? ORDER BY id", [document_id]):
        row["classes"] = json.loads(row["classes"])
        row["changed_fields"] = json.loads(row["changed_fields"])
        out.setdefault(row["run_id"], []).append(row)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="Also write the results here as JSON.")
    parser.add_argument("--dir", type=Path, help="Keep the config and database here (default: a temp dir).")
    parser.add_argument("--no-real", action="store_true", help="Skip the real before/after pairs from ../shared.")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        directory = args.dir or Path(tmp)
        directory.mkdir(parents=True, exist_ok=True)
        report = run(directory, include_real=not args.no_real)
    print(report.table())
    if args.json:
        args.json.write_text(json.dumps(report.as_dict(), indent=2), encoding="utf-8")
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
