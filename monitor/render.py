"""Render changes and diffs as text for the terminal: coloured on a TTY, plain otherwise."""
from __future__ import annotations

import json

import click

from monitor import detect


def change_line(change: dict) -> str:
    fields = ",".join(change["changed_fields"]) if change["kind"] != "new" else ""
    title = (change.get("title") or "").replace("\n", " ")
    return f"#{change['id']:<5} {change['detected_at']}  {change['kind']:<7} {change['source']:<16} {title[:70]}" + (
        f"  [{fields}]" if fields else "")


def changes_json(changes: list[dict]) -> str:
    keep = ("id", "kind", "detected_at", "document_id", "from_version_id", "to_version_id",
            "changed_fields", "summary", "source", "url", "title", "run_id")
    return json.dumps([{k: c.get(k) for k in keep} for c in changes], indent=2, ensure_ascii=False)


def change_detail(change: dict, color: bool) -> str:
    style = click.style if color else (lambda text, **_: text)
    lines = [
        style(f"change #{change['id']}: {change['kind']} — {change.get('title') or ''}", bold=True),
        f"url:      {change['url']}",
        f"source:   {change['source']}    detected: {change['detected_at']}",
        f"versions: {change.get('from_version_id') or '-'} -> {change['to_version_id']}",
    ]
    if change["kind"] == "new":
        return "\n".join(lines)
    lines.append(f"fields:   {', '.join(change['changed_fields'])}")
    if change.get("summary"):
        lines.append(f"summary:  {change['summary']}")
    for name, values in (change.get("field_diffs") or {}).items():
        lines.append(style(f"  {name}: - {values.get('old')!r}", fg="red"))
        lines.append(style(f"  {name}: + {values.get('new')!r}", fg="green"))
    return "\n".join(lines)


def word_diff(old_body: str, new_body: str, color: bool) -> str:
    """Each changed paragraph with deletions as [-x-] and insertions as {+x+} (coloured on a TTY)."""
    out = []
    for para, op, old, new in detect.body_edits(old_body, new_body):
        if color:
            marked = " ".join(filter(None, [
                click.style(old, fg="red", strikethrough=True) if old else "",
                click.style(new, fg="green", underline=True) if new else "",
            ]))
        else:
            marked = " ".join(filter(None, [f"[-{old}-]" if old else "", f"{{+{new}+}}" if new else ""]))
        out.append(f"  para {para} ({op}): {marked}")
    return "\n".join(out)


def unified(diff: str, color: bool) -> str:
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
