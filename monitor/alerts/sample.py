"""The sample alert `remarkwatch test-alert` sends: the real 2021 state.gov edit, as a change."""
from __future__ import annotations


def sample_change() -> dict:
    return {
        # The ids of a real alert, all 0: no change in the archive stands behind a test alert.
        "id": 0, "kind": "edited", "source": "sample", "document_id": 0,
        "from_version_id": 0, "to_version_id": 0, "reverted_to_version_id": None,
        "url": "https://www.state.gov/briefings/department-press-briefing-july-27-2021/",
        "title": "Department Press Briefing – July 27, 2021 (remarkwatch test alert)",
        "classes": ["wording"], "changed_fields": ["body"], "significance": 80, "silent": True,
        "detected_at": "2021-07-28T00:00:00+00:00",
        "summary": "turn 2, MS PORTER: 'forces' -> 'refugees'",
        "edits": [{"field": "body", "op": "replace", "old": "forces", "new": "refugees",
                   "classes": ["wording"], "significance": 70, "para": 5, "turn": 2, "speaker": "MS PORTER"}],
        "diff": "-…stop attacks and intimidation against Eritrean forces and all refugees…\n"
                "+…stop attacks and intimidation against Eritrean refugees and all refugees…",
    }
