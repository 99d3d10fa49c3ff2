"""Build one alert message (subject, plain text, HTML, JSON payload) from changes and events.

Page content is untrusted: the HTML is rendered by Jinja2 with autoescaping on, so a title or a
transcript holding `<script>` or `<img onerror>` arrives as inert text.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

from jinja2 import DictLoader, Environment, select_autoescape

from remarkwatch import untrusted
from remarkwatch.core import classes as class_table
from remarkwatch.core import wording
from remarkwatch.evidence import proof
from remarkwatch.untrusted import terminal as safe

SCHEMA, DIGEST_SCHEMA = "remarkwatch.alert/1", "remarkwatch.digest/1"
PAYLOAD_KEYS = ("kind", "source", "url", "change_url", "title", "document_id", "change_id", "classes", "changed_fields",
                "significance", "silent", "detected_at", "summary", "edits", "diff",
                "from_version_id", "to_version_id", "reverted_to_version_id",
                "historical", "observed_at", "previous_seen_at", "memento_url")
# Keys an item carries for the message's text and HTML only, never in the JSON payload.
PRIVATE_KEYS = ("sentence", "in_words")

HTML = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>{{ subject }}</title></head>
<body style="font-family: sans-serif; line-height: 1.4">
{% for item in items %}
<div style="margin-bottom: 2em">
  <h2 style="font-size: 1.1em">{{ item.kind }}{% if item.silent %} (silent){% endif %}: {{ item.title }}</h2>
  {% if item.url %}<p><a href="{{ item.url }}">{{ item.url }}</a></p>{% endif %}
  {% if item.sentence %}{% set s = item.sentence %}<p style="font-size: 1.05em; border-left: 4px solid #f0b400; padding-left: 8px">
    {%- if s.speaker %}<strong>{{ s.speaker }}{% if s.turn %} (turn {{ s.turn }}){% endif %}:</strong> {% endif %}
    {%- for text, kind in s.pieces %}{% if kind == "del" %}<del style="background: #fdd">{{ text }}</del>{% elif kind == "ins" %}<ins style="background: #dfd; text-decoration: none">{{ text }}</ins>{% else %}{{ text }}{% endif %} {% endfor %}</p>{% endif %}
  {% if item.in_words %}<p>{{ item.in_words }}</p>{% endif %}
  {% if item.silent %}<p>Silent edit: the page's own modified time did not change.</p>{% endif %}
  {% if item.change_url %}<p>What changed, side by side: <a href="{{ item.change_url }}">{{ item.change_url }}</a></p>{% endif %}
  <p>source: {{ item.source }} · detected: {{ item.when }}
  {% if item.class_words %} · {{ item.class_words | join(", ") }}{% endif %}
  {% if item.significance is not none %} · significance: {{ item.significance }}{% endif %}</p>
  {% if item.historical %}<p>Found late in a web archive's captures: made between {{ item.window_start }} and {{ item.window_end }}{% if item.memento_url %} (<a href="{{ item.memento_url }}">the capture</a>){% endif %}.</p>{% endif %}
  {% if item.proof_line %}<p>{{ item.proof_line }}</p>{% endif %}
  {% if item.edits %}<table style="border-collapse: collapse">
  {% for edit in item.edits %}<tr>
    <td style="padding: 2px 8px; color: #555; vertical-align: top">{{ edit.where }}</td>
    <td style="padding: 2px 8px">{% if edit.old %}<del style="background: #fdd">{{ edit.old }}</del> {% endif %}
      {% if edit.new %}<ins style="background: #dfd; text-decoration: none">{{ edit.new }}</ins>{% endif %}
      {% if edit.cosmetic %}<em>{{ edit.cosmetic }}</em>{% endif %}</td>
    <td style="padding: 2px 8px; color: #555">{{ edit.class_words | join(", ") }}</td></tr>
  {% endfor %}</table>{% endif %}
  {% if item.diff %}<pre style="background: #f6f6f6; padding: 8px; white-space: pre-wrap">{{ item.diff }}</pre>{% endif %}
</div>
{% endfor %}
{% if truncated %}<p><strong>{{ truncated }}</strong></p>{% endif %}
</body></html>"""

_ENV = Environment(loader=DictLoader({"alert.html": HTML}), autoescape=select_autoescape(default=True))


@dataclass
class Message:
    subject: str
    text: str
    html: str
    payload: dict
    idempotency_key: str
    short: str = ""      # for chat (Apprise): what changed and a link, a few lines at most
    card: object = None  # publish.card.ShareCard of a single change, for channels that post images


def change_item(change: dict, public_url: str | None = None) -> dict:
    """An alert's content from a change row (changes.get_change) or a synthetic one; with the
    archive's `public_url`, `change_url` is the change's own page (the diff), else null."""
    item = {key: change.get(key) for key in PAYLOAD_KEYS}
    item["change_id"] = change.get("id")
    item["change_url"] = change_url(public_url, change.get("id"))
    shown = wording.for_list(change)          # the edit in its sentence (from the stored sides), the rest in words
    item["sentence"], item["in_words"] = (shown["sentence"], shown["in_words"]) if change.get("kind") != "new" else (None, "")
    # The Internet Archive's capture of the edited page, in whatever state it is when this is sent
    # (the queue runs after the alerts: a first alert usually says "pending").
    item["evidence"] = {"third_party": proof.third_party(change)}
    return item


def change_url(public_url: str | None, change_id) -> str | None:
    return f"{public_url.rstrip('/')}/-/change/{change_id}" if public_url and change_id else None


def event_item(event: dict) -> dict:
    return {"kind": event["kind"], "source": event["source"], "title": f"source {event['source']}", "change_url": None,
            "summary": event.get("detail"), "detected_at": event["detected_at"], "event_id": event["id"],
            "url": None, "classes": [], "edits": [], "diff": "", "significance": None, "silent": False}


def build(items: list[dict], keys: list[str], max_bytes: int | None = None) -> Message:
    """One message for one item, or a digest for several; shrunk to `max_bytes` when given."""
    message = _build(items, keys, edits_limit=None, with_diff=True, note="")
    if max_bytes is None or _size(message) <= max_bytes:
        return message
    total = sum(len(i.get("edits") or []) for i in items)
    for limit in (20, 5, 0):
        note = (f"Truncated to fit {max_bytes:,} bytes: text diffs left out, at most {limit} edits per "
                f"change shown of {total}. See `remarkwatch diff CHANGE_ID` for everything.")
        message = _build(items, keys, edits_limit=limit, with_diff=False, note=note)
        if _size(message) <= max_bytes:
            return message
    note = f"Truncated to fit {max_bytes:,} bytes: summaries only. See `remarkwatch changes`."
    slim = [{**i, "summary": (i.get("summary") or "")[:300], "edits": [], "diff": "",
             **({"in_words": (i.get("in_words") or "")[:300]} if "in_words" in i else {})} for i in items]
    return _build(slim, keys, edits_limit=0, with_diff=False, note=note)


def _size(message: Message) -> int:
    return len(message.text.encode()) + len(message.html.encode())


def _build(items: list[dict], keys: list[str], *, edits_limit, with_diff: bool, note: str) -> Message:
    shown = [_shown(i, edits_limit, with_diff) for i in items]
    if len(items) == 1:
        item = items[0]
        subject = f"[remarkwatch] {item['kind']}{' (silent)' if item.get('silent') else ''}: {item.get('title') or ''}"
        edit = headline_edit(item)
        subject += f" — {edit}" if edit else ""
        payload = {"schema": SCHEMA, "idempotency_key": keys[0], "test": False, **_public(items[0])}
        key = keys[0]
    else:
        subject = f"[remarkwatch] {len(items)} alerts: " + ", ".join(
            f"{n} {kind}" for kind, n in _kinds(items).items())
        key = "rw-digest-" + hashlib.sha256("\n".join(sorted(keys)).encode()).hexdigest()[:32]
        payload = {"schema": DIGEST_SCHEMA, "idempotency_key": key, "test": False,
                   "alerts": [{"idempotency_key": k, **_public(i)} for k, i in zip(keys, items)]}
    subject = safe(subject).replace("\n", " ")[:250]
    html = untrusted.xml(_ENV.get_template("alert.html").render(subject=subject, items=shown, truncated=note))
    return Message(subject, _text(shown, note), html, payload, key, _short(items))


def _public(item: dict) -> dict:
    return {key: value for key, value in item.items() if key not in PRIVATE_KEYS}


def headline_edit(item: dict, width: int = 60) -> str:
    """The first located edit as "'forces' -> 'refugees'", for a subject line or a chat message."""
    for edit in item.get("edits") or []:
        if edit.get("op") in ("cosmetic", "reflow"):
            continue
        old, new = (_clip(edit.get(k) or "", width) for k in ("old", "new"))
        if old and new:
            return f"'{old}' -> '{new}'"
        if old or new:
            return f"removed '{old}'" if old else f"added '{new}'"
    return ""


def _clip(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[:width - 1] + "…"


def _short(items: list[dict], limit: int = 6) -> str:
    """A chat-sized message: per alert its kind and title, the summary, and a link."""
    lines = []
    for item in items[:limit]:
        lines.append(f"{item['kind']}{' (silent)' if item.get('silent') else ''}: {safe(item.get('title'))}")
        said = wording.sentence_text(item["sentence"]) if item.get("sentence") else (
            item.get("in_words") or wording.times_in_words(item.get("summary")))   # the edit in its sentence, else in words
        if said:
            lines.append(_clip(safe(said), 200))
        link = item.get("change_url") or item.get("url")
        if link:
            lines.append(safe(link))
    if len(items) > limit:
        lines.append(f"… and {len(items) - limit} more")
    return "\n".join(lines)


def _kinds(items: list[dict]) -> dict[str, int]:
    out: dict[str, int] = {}
    for item in items:
        out[item["kind"]] = out.get(item["kind"], 0) + 1
    return out


def _shown(item: dict, edits_limit, with_diff: bool) -> dict:
    edits = item.get("edits") or []
    if edits_limit is not None:
        edits = edits[:edits_limit]
    return {**item, "edits": [_edit_view(e) for e in edits], "diff": item.get("diff") if with_diff else "",
            "when": wording.human_time(item.get("detected_at")), "class_words": _class_words(item.get("classes")),
            "in_words": item.get("in_words") if "in_words" in item else wording.times_in_words(item.get("summary")),
            "window_start": wording.human_time(item.get("previous_seen_at")) or "the first capture",
            "window_end": wording.human_time(item.get("observed_at")),
            "proof_line": proof.line((item.get("evidence") or {}).get("third_party"))}


def _class_words(names) -> list[str]:
    return [class_table.LABELS.get(name, name) for name in names or []]


def _edit_view(edit: dict) -> dict:
    cosmetic = {"cosmetic": "formatting only", "reflow": "paragraphs re-split"}.get(edit["op"], "")
    old, new = ("", "") if cosmetic else (edit.get("old"), edit.get("new"))
    if edit["field"] in wording.TIME_FIELDS:
        old, new = wording.human_time(old), wording.human_time(new)
    return {"where": wording.where(edit), "old": old, "new": new, "cosmetic": cosmetic,
            "classes": edit.get("classes") or [], "class_words": _class_words(edit.get("classes"))}


def _text(items: list[dict], note: str) -> str:
    blocks = []
    for item in items:
        lines = [f"{item['kind']}{' (silent)' if item.get('silent') else ''}: {safe(item.get('title'))}"]
        if item.get("url"):
            lines.append(safe(item["url"]))
        if item.get("change_url"):
            lines.append(f"what changed: {safe(item['change_url'])}")
        if item.get("sentence"):
            lines.append(safe(wording.sentence_text(item["sentence"])))
        if item.get("in_words"):
            lines.append(safe(item["in_words"]))
        if item.get("silent"):
            lines.append("Silent edit: the page's own modified time did not change.")
        meta = f"source: {item['source']}  detected: {item['when']}"
        if item.get("class_words"):
            meta += f"  ({', '.join(item['class_words'])})"
        if item.get("significance") is not None:
            meta += f"  significance: {item['significance']}"
        lines.append(meta)
        if item.get("proof_line"):
            lines.append(safe(item["proof_line"]))
        for edit in item["edits"]:
            change = edit["cosmetic"] or " ".join(filter(None, [
                f"[-{safe(edit['old'])}-]" if edit["old"] else "", f"{{+{safe(edit['new'])}+}}" if edit["new"] else ""]))
            lines.append(f"  {safe(edit['where'])}: {change}  ({', '.join(edit['class_words'])})")
        if item.get("diff"):
            lines += ["", "\n".join(safe(line) for line in item["diff"].split("\n"))]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + (f"\n\n{note}\n" if note else "\n")
