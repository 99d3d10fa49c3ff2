"""Render changes, diffs and histories as text for the terminal: coloured on a TTY, plain otherwise.

Page content is untrusted: control characters (including ESC, which could drive the terminal)
are shown as escapes before anything is printed.
"""
from __future__ import annotations

import json
import re

import click

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def safe(text) -> str:
    """Text with control characters made visible, so page content cannot drive the terminal."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", str(text if text is not None else ""))


def _style(color: bool):
    return click.style if color else (lambda text, **_: text)


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
            "summary", "source", "url", "title", "run_id", "edits")
    return json.dumps([{k: c.get(k) for k in keep} for c in changes], indent=2, ensure_ascii=False)


def change_detail(change: dict, color: bool) -> str:
    style = _style(color)
    lines = [
        style(f"change #{change['id']}: {change['kind']} — {safe(change.get('title'))}", bold=True),
        f"url:      {safe(change['url'])}",
        f"source:   {change['source']}    detected: {change['detected_at']}",
        f"versions: {change.get('from_version_id') or '-'} -> {change.get('to_version_id') or '-'}"
        + (f"  (same content as version {change['reverted_to_version_id']})"
           if change.get("reverted_to_version_id") else ""),
        f"significance: {change.get('significance', 0)}"
        + ("   silent: the page's modified time did not change" if change.get("silent") else ""),
    ]
    if change.get("classes"):
        lines.append(f"classes:  {', '.join(change['classes'])}")
    if change["kind"] == "new":
        return "\n".join(lines)
    if change.get("changed_fields"):
        lines.append(f"fields:   {', '.join(change['changed_fields'])}")
    if change.get("summary"):
        lines.append(f"summary:  {safe(change['summary'])}")
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


def full_change(change: dict, color: bool) -> str:
    """Everything `remarkwatch diff` shows for one change."""
    parts = [change_detail(change, color)]
    if change["kind"] != "new" and change.get("edits"):
        parts += ["edits:", word_diff(change["edits"], color)]
    if change.get("diff"):
        parts += ["text diff:", unified(change["diff"], color)]
    return "\n".join(parts)


def history(document: dict, urls: list[dict], versions: list[dict], changes: list[dict], color: bool) -> str:
    style = _style(color)
    lines = [
        style(f"document {document['id']}: {safe(document.get('title'))}", bold=True),
        f"key:      {document['key']}    source: {document['source']}",
        f"state:    {document['state']}" + (f" since {document['state_since']}" if document.get("state_since") else ""),
        f"seen:     {document['first_seen']} .. {document['last_seen']}",
        "urls:",
        *[f"  {safe(u['url'])}  ({u['first_seen']} .. {u['last_seen']})" for u in urls],
        f"versions ({len(versions)}):",
        *[f"  v{v['seq']:<3} #{v['id']:<6} {v['created_at']}  {v['turns']:>3} turns {v['words']:>6} words  "
          f"{v['content_hash'][:10]}  {safe(v['title'])[:60]}" for v in versions],
        f"changes ({len(changes)}):",
    ]
    for change in sorted(changes, key=lambda c: c["id"]):
        classes = f" [{','.join(change['classes'])}]" if change["classes"] else ""
        lines.append(f"  #{change['id']:<5} {change['detected_at']}  {change['kind']:<11} "
                     f"{change['significance']:>3}{classes}  {safe(change.get('summary'))[:100]}")
    return "\n".join(lines)


def alert_line(row: dict) -> str:
    what = f"change #{row['change_id']}" if row.get("change_id") else f"event #{row['event_id']}"
    when = row["delivered_at"] if row["state"] == "delivered" else row["next_attempt_at"]
    error = f"  last error: {safe(row['last_error'])[:80]}" if row.get("last_error") else ""
    return (f"#{row['id']:<5} {row['state']:<9} {row['channel']:<16} {what:<13} {row.get('kind') or '':<16} "
            f"attempts {row['attempts']}  {when}  {safe(row.get('title') or '')[:50]}{error}")


def status(report: dict) -> str:
    daemon = report["daemon"]
    if daemon is None:
        line = "daemon:   never run (cron or manual passes only)"
    elif daemon["alive"]:
        line = (f"daemon:   running, pid {daemon['pid']} on {daemon['host']}, since {daemon['started_at']}, "
                f"heartbeat {daemon['heartbeat_age_s']} s ago ({daemon['detail'] or 'idle'})")
    else:
        line = f"daemon:   not running (last {daemon['state']}, heartbeat {daemon['heartbeat_at']})"
    lines = [f"database: {report['database']}", line, ""]
    for s in report["sources"]:
        lines.append(f"source {s['source']} (every {s['schedule']}): last pass {s['last_started_at'] or 'never'}"
                     f" -> {s['last_finished_at'] or '-'} ({s['last_outcome'] or '-'}); next due {s['next_due_at']}; "
                     f"health {s['health']}")
        lines.append(f"  {s['documents']} documents, {s['documents_due_now']} due for a re-check now, next "
                     f"{s['next_document_check_at'] or '-'}; last sweep {s['last_sweep_at'] or 'never'}")
    lines.append("")
    lines.append("recent runs:")
    for run in report["runs"]:
        seconds = ""
        if run["finished_at"]:
            from datetime import datetime
            seconds = f"{(datetime.fromisoformat(run['finished_at']) - datetime.fromisoformat(run['started_at'])).total_seconds():.0f} s"
        lines.append(f"  #{run['id']:<5} {run['started_at']}  {seconds:>6}  {run['outcome']:<11} {run['sources']}: "
                     f"{run['pages']} pages, {run['new']} new, {run['edited']} edited, {run['failed']} failed")
    alerts = report["alerts"]
    lines.append("")
    lines.append(f"alerts: {alerts.get('pending', 0)} pending, {alerts.get('delivered', 0)} delivered, "
                 f"{alerts.get('dead', 0)} dead")
    return "\n".join(lines)
