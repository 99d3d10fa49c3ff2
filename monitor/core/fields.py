"""A stored version row as the field dict `detect` compares (its JSON lists decoded)."""
from __future__ import annotations

import json

LIST_FIELDS = ("speakers", "tags", "links", "media")


def version_fields(row: dict) -> dict:
    """A versions row as the field dict detect works on (JSON lists decoded)."""
    fields = dict(row)
    for name in LIST_FIELDS:
        fields[name] = json.loads(row.get(name) or "[]")
    return fields
