"""The one table of edit classes: for each, its name, how much it matters, what the web pages call
it, and what it means. Detection (`detect`), the web pages and the checks on the Datasette
metadata all read it; to add or re-weight a class, change its row here.

Rows are in detection order: a change's `classes` list follows it (that order is stored).
`menu` is the class's place in the web front page's class filter, which lists natures first.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class EditClass:
    name: str          # stored in changes.classes and accepted by --class and alert channels
    weight: int        # significance an edit of this class contributes, 0-100
    label: str         # the words the web pages show
    description: str   # what it means, one line
    menu: int          # place in the web pages' class filter


CLASS_TABLE: tuple[EditClass, ...] = (
    EditClass("title", 0, "in the title", "where: the edit is in the title", 10),
    EditClass("metadata", 0, "byline, place or date",
              "where: the date, byline, location, audience, document type, tags or modified time", 11),
    EditClass("url", 30, "its address", "the document's URL changed (kind moved)", 12),
    EditClass("wording", 70, "wording", "words substituted ('forces' -> 'refugees')", 1),
    EditClass("number", 70, "a number", "a number changed ('136' -> '13.6', 'three' -> 'thirty')", 2),
    EditClass("punctuation", 40, "punctuation", "punctuation that can change meaning ('supporters' -> \"supporter's\")", 8),
    EditClass("case", 15, "capitals only", "letter case only ('At' -> 'at')", 9),
    EditClass("insertion", 60, "words added", "words, sentences or paragraphs added", 4),
    EditClass("deletion", 70, "words removed", "words, sentences or paragraphs removed", 3),
    EditClass("speaker", 70, "who spoke",
              "who is credited or who speaks: a turn's label, an anonymised or removed name, the byline", 5),
    EditClass("inaudible", 60, "inaudible filled in", "'(inaudible)' filled in, added or removed", 7),
    EditClass("correction", 60, "a correction",
              "strike-through or bracket markup added or removed ('~~136~~ [3.6]', 'do [not] stand')", 6),
    EditClass("media", 40, "video or audio", "an embedded video or audio source changed", 13),
    EditClass("links", 5, "links only", "only link targets changed", 14),
    EditClass("cosmetic", 0, "formatting only",
              "whitespace, quotes, dashes, entities, abbreviation style, markup or paragraph reflow only", 15),
    EditClass("replaced", 90, "replaced by another document",
              "a different document under the same identity: a new title and most of the body rewritten", 16),
)

BY_NAME: dict[str, EditClass] = {row.name: row for row in CLASS_TABLE}
NAMES: tuple[str, ...] = tuple(BY_NAME)
WEIGHTS: dict[str, int] = {row.name: row.weight for row in CLASS_TABLE}
LABELS: dict[str, str] = {row.name: row.label for row in sorted(CLASS_TABLE, key=lambda row: row.menu)}
DESCRIPTIONS: dict[str, str] = {row.name: row.description for row in CLASS_TABLE}
