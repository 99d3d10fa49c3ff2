"""Render changes, diffs and histories as text for the terminal: coloured on a TTY, plain otherwise.

Page content is untrusted: control characters (including ESC, which could drive the terminal)
are shown as escapes before anything is printed.
"""
from __future__ import annotations

import json
import os
import shutil
import sys

import click
from tabulate import tabulate

from remarkwatch import untrusted
from remarkwatch.crawler.listings import DROPPED
from remarkwatch.core import wording
from remarkwatch.evidence import proof
from remarkwatch.storage.spn import STATES as spn_states

safe = untrusted.terminal     # the terminal's helper; every page string printed goes through it


def _style(color: bool):
    return click.style if color else (lambda text, **_: text)


def use_color(flag: bool | None, stream=None) -> bool:
    """--color/--no-color when given; else colour on a terminal unless $NO_COLOR is set (no-color.org)."""
    if flag is not None:
        return flag
    return (stream or sys.stdout).isatty() and not os.environ.get("NO_COLOR")


# "when": detected, or for a change found late in a web archive when it was made (its first capture).
CHANGE_HEADERS = ("id", "when (UTC)", "kind", "sig", "source", "title", "classes")


def changes_table(changes: list[dict], width: int | None = None) -> str:
    """Changes as a table with a header, the title column sized to the terminal's width."""
    width = width or shutil.get_terminal_size((120, 24)).columns
    rows = [[c["id"], wording.made_at(c)[:16].replace("T", " "), c["kind"], c.get("significance", 0),
             c["source"], safe(c.get("title") or "").replace("\n", " "),
             " ".join(filter(None, [",".join(c.get("classes") or []), "silent" if c.get("silent") else "",
                                    "baseline" if c.get("baseline") else "",
                                    "web-archive" if c.get("historical") else ""]))] for c in changes]
    # tabulate's "simple" format: each column as wide as its longest cell or its header plus 2,
    # two spaces between columns. The title gets what the others leave.
    fixed = sum(max([len(str(r[i])) for r in rows] + [len(CHANGE_HEADERS[i]) + 2])
                for i in range(len(CHANGE_HEADERS)) if i != 5) + 2 * (len(CHANGE_HEADERS) - 1)
    room = max(16, width - fixed)
    for row in rows:
        row[5] = row[5] if len(row[5]) <= room else row[5][:room - 1] + "…"
    return tabulate(rows, headers=CHANGE_HEADERS, tablefmt="simple", disable_numparse=True)


def in_context(rows, color: bool, words: int = wording.CONTEXT_WORDS) -> str:
    """Each changed paragraph with its deletions and insertions in place, in their sentence, as `git
    diff --color-words` shows them: struck red and underlined green, or [-x-] and {+x+} without colour."""
    out = []
    for row in rows:
        if not row.changed:
            continue
        where = f"para {row.new_para or row.old_para}" + (f", {safe(row.speaker)}" if row.speaker else "")
        pieces = [(safe(text), kind) for text, kind in wording.excerpt(row.inline, words)]
        if color:
            line = " ".join(text if kind == "same" else click.style(text, fg="red", strikethrough=True)
                            if kind == "del" else click.style(text, fg="green", underline=True)
                            for text, kind in pieces)
        else:
            line = wording.pieces_text(pieces)
        out.append(f"  {where}: {line}")
    return "\n".join(out)


def change_line(change: dict) -> str:
    classes = ",".join(change.get("classes") or [])
    title = safe(change.get("title") or "").replace("\n", " ")
    flags = " silent" if change.get("silent") else ""
    return (f"#{change['id']:<5} {change['detected_at']}  {change['kind']:<11} "
            f"{change.get('significance', 0):>3}  {change['source']:<16} {title[:64]}"
            + (f"  [{classes}]" if classes else "") + flags)


def changes_json(changes: list[dict]) -> str:
    keep = ("id", "kind", "detected_at", "document_id", "from_version_id", "to_version_id",
            "reverted_to_version_id", "changed_fields", "classes", "significance", "silent",
            "summary", "source", "url", "title", "run_id", "edits", "historical", "observed_at",
            "previous_seen_at", "memento_url", "baseline", "from_number", "to_number")
    return json.dumps([{**{k: c.get(k) for k in keep}, "evidence": {"third_party": proof.third_party(c)}}
                       for c in changes], indent=2, ensure_ascii=False)


def change_detail(change: dict, color: bool) -> str:
    style = _style(color)
    lines = [
        style(f"change #{change['id']}: {change['kind']} — {safe(change.get('title'))}", bold=True),
        f"url:      {safe(change['url'])}",
        f"source:   {change['source']}    detected: {change['detected_at']}",
        f"versions: {change.get('from_number') or '-'} -> {change.get('to_number') or '-'}"
        + (f"  (same content as version {change['reverted_to_number']})"
           if change.get("reverted_to_version_id") else ""),
        f"significance: {change.get('significance', 0)}"
        + ("   silent: the page's modified time did not change" if change.get("silent") else ""),
    ]
    if change.get("classes"):
        lines.append(f"classes:  {', '.join(change['classes'])}")
    if change.get("historical"):
        lines.append(f"historical: {wording.made_between(change)} "
                     f"({change.get('previous_seen_at') or '-'} .. {change.get('observed_at')})")
        for label, url in (("before", change.get("from_memento_url")), ("after", change.get("memento_url"))):
            if url:
                lines.append(f"  evidence {label}: {safe(url)}")
    if change["kind"] == "new":
        return "\n".join(lines)
    if change.get("changed_fields"):
        lines.append(f"fields:   {', '.join(change['changed_fields'])}")
    if change.get("summary") or change.get("edits"):
        # In words: the stored summary keeps raw field names and ISO times ("modified_time: '2026-…'").
        lines.append(f"summary:  {safe(wording.summary(change.get('edits') or [], change.get('summary') or ''))}")
    for name, values in (change.get("field_diffs") or {}).items():
        lines.append(style(f"  {name}: - {safe(repr(values.get('old')))}", fg="red"))
        lines.append(style(f"  {name}: + {safe(repr(values.get('new')))}", fg="green"))
    return "\n".join(lines)


def word_diff(edits: list[dict], color: bool) -> str:
    """One line per edit: where it is, deletions as [-x-] and insertions as {+x+}, its classes."""
    out = []
    for edit in edits:
        where = _where(edit)
        if edit["op"] in ("cosmetic", "reflow"):
            marked = "paragraphs re-split" if edit["op"] == "reflow" else "formatting only"
        elif color:
            marked = " ".join(filter(None, [
                click.style(safe(edit["old"]), fg="red", strikethrough=True) if edit["old"] else "",
                click.style(safe(edit["new"]), fg="green", underline=True) if edit["new"] else "",
            ]))
        else:
            marked = " ".join(filter(None, [
                f"[-{safe(edit['old'])}-]" if edit["old"] else "",
                f"{{+{safe(edit['new'])}+}}" if edit["new"] else "",
            ]))
        out.append(f"  {where}: {marked}  ({', '.join(edit['classes'])})")
    return "\n".join(out)


def _where(edit: dict) -> str:
    if edit["field"] != "body":
        return edit["field"]
    para = f"para {edit['para']}" if edit.get("para") else "body"
    if edit.get("turn") is not None and edit.get("speaker"):
        return f"turn {edit['turn']}, {safe(edit['speaker'])} ({para})"
    return para


def unified(diff: str, color: bool) -> str:
    diff = safe_lines(diff)
    if not color:
        return diff
    colored = []
    for line in diff.splitlines():
        if line.startswith("+") and not line.startswith("+++"):
            colored.append(click.style(line, fg="green"))
        elif line.startswith("-") and not line.startswith("---"):
            colored.append(click.style(line, fg="red"))
        else:
            colored.append(line)
    return "\n".join(colored)


def safe_lines(text: str) -> str:
    return "\n".join(safe(line) for line in (text or "").split("\n"))


def full_change(change: dict, color: bool, rows=None) -> str:
    """Everything `remarkwatch diff` shows for one change (`rows`: its side-by-side rows, for the
    changed paragraphs in context)."""
    parts = [change_detail(change, color)]
    proof_line = proof.line(proof.third_party(change))
    if proof_line:
        parts.append(safe(proof_line))
    if change["kind"] != "new" and change.get("edits"):
        parts += ["edits:", word_diff(change["edits"], color)]
    if rows and any(r.changed for r in rows):
        parts += ["in context:", in_context(rows, color)]
    if change.get("diff"):
        parts += ["text diff:", unified(change["diff"], color)]
    return "\n".join(parts)


def history(document: dict, urls: list[dict], versions: list[dict], changes: list[dict], color: bool) -> str:
    """A document's URLs, versions and changes, times and summaries in words (`--json` keeps ISO)."""
    style, when = _style(color), wording.human_time
    lines = [
        style(f"document {document['id']}: {safe(document.get('title'))}", bold=True),
        f"key:      {safe(document['key'])}    source: {document['source']}",
        f"state:    {document['state']}" + (f" since {when(document['state_since'])}" if document.get("state_since") else ""),
        f"seen:     {when(document['first_seen'])} .. {when(document['last_seen'])}",
        "urls:",
        *[f"  {safe(u['url'])}  ({when(u['first_seen'])} .. {when(u['last_seen'])})" for u in urls],
        f"versions ({len(versions)}):",
        # In the order the site had them (observed), which a backfill makes differ from `seq`.
        *[f"  v{v['number']:<3} {when(v.get('observed_at') or v['created_at']):<23} {v['turns']:>3} turns "
          f"{v['words']:>6} words  {v['content_hash'][:10]}  {_origin(v)}{safe(v['title'])[:60]}" for v in versions],
        f"changes ({len(changes)}):",
    ]
    for change in sorted(changes, key=lambda c: (c.get("observed_at") or c["detected_at"], c["id"])):
        classes = f" [{','.join(change['classes'])}]" if change["classes"] else ""
        said = wording.summary(change.get("edits") or [], change.get("summary") or "")
        lines.append(f"  #{change['id']:<5} {when(change.get('observed_at') or change['detected_at']):<23} "
                     f"{change['kind']:<11} {change['significance']:>3}{classes}  "
                     f"{'(historical) ' if change.get('historical') else ''}{safe(said)[:100]}")
    return "\n".join(lines)


def _spn_status(queue: dict) -> list[str]:
    """The Save Page Now queue's line of `status`, when it is on or holds requests."""
    counts = queue.get("requests") or {}
    if not queue.get("enabled") and not counts:
        return []
    line = "save page now: " + ", ".join(f"{counts.get(s, 0)} {s}" for s in spn_states)
    if not queue.get("enabled"):
        line += " (off in the config)"
    elif not queue.get("keys_set"):
        line += " (held back: its keys are not set in the environment)"
    if queue.get("paused_until"):
        line += f"; paused by the archive (429) until {queue['paused_until']}"
    return ["", line]


def _origin(version: dict) -> str:
    return "[wayback] " if version.get("origin") == "wayback" else ""


def alert_line(row: dict) -> str:
    what = f"change #{row['change_id']}" if row.get("change_id") else f"event #{row['event_id']}"
    when = row["delivered_at"] if row["state"] == "delivered" else row["next_attempt_at"]
    error = f"  last error: {safe(row['last_error'])[:80]}" if row.get("last_error") else ""
    return (f"#{row['id']:<5} {row['state']:<9} {row['channel']:<16} {what:<13} {row.get('kind') or '':<16} "
            f"attempts {row['attempts']}  {when}  {safe(row.get('title') or '')[:50]}{error}")


def _age(seconds: int) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds / size:.0f} {unit}"
    return f"{seconds} s"


def budget_lines(b: dict) -> list[str]:
    """A source's request budget and expected delays (status; check-config)."""
    used = b["requests_per_day"]
    shared = f", its host's shared by {b['host_sources']} sources" if b["host_sources"] > 1 else ""
    over = "" if b["fits"] else " - OVER BUDGET"
    return [f"  budget: {used['total']:,} of {b['budget_per_day']:,} requests a day{shared}{over} (passes "
            f"{used['passes']:,}, new releases {used['new']:,}, sweep {used['sweep']:,}, re-checks {used['rechecks']:,})",
            f"  re-checks ({b['recheck']}, {b['edits_seen']} edited documents seen): {b['tiers']}; expected delay "
            f"from an edit to the fetch that sees it {b['expected_delay_min']:g} min on average, "
            f"{b['expected_first_day_delay_min']:g} min in a release's first day"]


def status(report: dict) -> str:
    daemon = report["daemon"]
    if daemon is None:
        line = "daemon:   never run (cron or manual passes only)"
    elif daemon["alive"]:
        line = (f"daemon:   running, pid {daemon['pid']} on {daemon['host']}, since {daemon['started_at']}, "
                f"heartbeat {daemon['heartbeat_age_s']} s ago ({daemon['detail'] or 'idle'})")
    elif daemon["state"] != "stopped" and not daemon.get("process_alive", True):
        line = (f"daemon:   not running (killed? pid {daemon['pid']} is gone without stopping; "
                f"last heartbeat {daemon['heartbeat_at']})")
    else:
        line = f"daemon:   not running (last {daemon['state']}, heartbeat {daemon['heartbeat_at']})"
    lines = [f"database: {report['database']}", line, ""]
    for s in report["sources"]:
        lines.append(f"source {s['source']} (every {s['schedule']}): last pass {s['last_started_at'] or 'never'}"
                     f" -> {s['last_finished_at'] or '-'} ({s['last_outcome'] or '-'}); next due {s['next_due_at']}; "
                     f"health {s['health']}")
        lines.append(f"  {s['documents']} documents, {s['documents_due_now']} due for a re-check now, next "
                     f"{s['next_document_check_at'] or '-'}; last sweep {s['last_sweep_at'] or 'never'}")
        lines.extend(budget_lines(s["budget"]))
    lines.append("")
    lines.append("recent runs:")
    for run in report["runs"]:
        seconds = ""
        if run["finished_at"]:
            from datetime import datetime
            seconds = f"{(datetime.fromisoformat(run['finished_at']) - datetime.fromisoformat(run['started_at'])).total_seconds():.0f} s"
        outside = f", {run['outside_listings']} {DROPPED}" if run.get("outside_listings") else ""
        lines.append(f"  #{run['id']:<5} {run['started_at']}  {seconds:>6}  {run['outcome']:<11} {run['sources']}: "
                     f"{run['pages']} pages, {run['new']} new, {run['edited']} edited, {run['failed']} failed{outside}")
    alerts = report["alerts"]
    lines.append("")
    lines.append(f"alerts: {alerts.get('pending', 0)} pending, {alerts.get('delivered', 0)} delivered, "
                 f"{alerts.get('dead', 0)} dead")
    for channel in report.get("channels", []):
        age = channel["oldest_pending_age_s"]
        oldest = f", oldest {_age(age)} old" if age is not None else ""
        lines.append(f"  {channel['channel']} ({channel['kind']}): {channel['pending']} pending{oldest}; "
                     f"{safe(channel['why'])}")
    lines += _spn_status(report.get("save_page_now") or {})
    cluster = report.get("cluster")
    if cluster is not None:
        lines.append("")
        if cluster.get("error"):
            lines.append(f"cluster: {safe(cluster['error'])}")
            return "\n".join(lines)
        backlog = cluster["backlog"]
        lines.append(f"cluster: {cluster['redis_url']}; frontier {backlog['frontier']} requests, stream "
                     f"{backlog['lag']} captures not yet written, {backlog['pending']} being written"
                     + (f", {backlog['dead']} dead letters (entries that could not be written)" if backlog.get("dead") else ""))
        if not cluster["workers"]:
            lines.append("  no live workers (start `remarkwatch worker` on each crawl machine)")
        for w in cluster["workers"]:
            state = f"refusing: {safe(w['refusing'])}" if w.get("refusing") else "idle" if w["idle"] else "busy"
            lines.append(f"  worker {safe(w['id'])} on {safe(w['host'])} (pid {w['pid']}): last heartbeat "
                         f"{w['seconds_since_heartbeat']} s ago, {w['pages']} pages fetched, {state}")
    return "\n".join(lines)
