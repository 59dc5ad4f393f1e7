"""Header mapping: which column holds which field, found by synonyms seen in real trackers."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

FIELDS: dict[str, str] = {
    "review_ref": "review ref",
    "rec_number": "recommendation number",
    "recommendation": "recommendation text",
    "number": "action number (ref)",
    "action": "action description",
    "lead_agency": "lead agency",
    "lead_officer": "lead officer",
    "due_on": "target date",
    "revised_due_on": "revised date",
    "status": "status",
    "open_close": "open / close",
    "progress": "progress note",
    "completed_on": "date completed",
    "updated_on": "update date",
    "success_measure": "success measure",
}
"""Importable fields and their labels."""

# Exact synonyms (normalised header text) and prefixes, checked in this order.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "review_ref": ("review", "review ref", "review reference", "case review", "review name"),
    "rec_number": (
        "rec",
        "rec no",
        "rec number",
        "recommendation no",
        "recommendation number",
        "recommendation ref",
    ),
    "recommendation": ("recommendation", "recommendations", "finding", "learning"),
    "number": (
        "ref",
        "no",
        "number",
        "action no",
        "action number",
        "action ref",
        "id",
        "item",
        "#",
        "relevant item",
        "item no",
        "item number",
        "item ref",
        "agenda item",
        "minute",
        "minute ref",
        "minute no",
        "minute number",
        "min ref",
        "reference",
        "ref no",
        "log ref",
        "action log ref",
        "action id",
    ),
    "action": ("action", "actions", "action description", "action required", "what", "task"),
    "lead_agency": (
        "lead",
        "lead agency",
        "responsibility",
        "responsible",
        "who",
        "owner",
        "agency",
        "organisation",
        "responsible agency",
        "lead organisation",
    ),
    "lead_officer": ("lead officer", "named lead", "officer", "contact"),
    "due_on": (
        "due date",
        "target date",
        "date",
        "when",
        "deadline",
        "due",
        "timescale",
        "target",
        "completion date target",
    ),
    "revised_due_on": ("new date", "revised date", "revised target date", "revised due date"),
    "status": ("status", "rag", "brag", "status comment", "rag status", "rating"),
    "open_close": ("proposed to open close", "open close", "open closed"),
    "progress": (
        "update",
        "progress",
        "progress update",
        "comments",
        "comment",
        "latest update",
        "notes",
    ),
    "completed_on": ("date completed", "completed on", "completion date", "date closed"),
    "updated_on": (
        "update date",
        "updated",
        "updated on",
        "date updated",
        "last updated",
        "last updated date",
        "last update date",
        "date of update",
        "date of last update",
        "progress date",
        "progress update date",
        "date of progress update",
        "status date",
        "latest status date",
        "as at",
        "as at date",
    ),
    "success_measure": ("success measure", "success measures", "outcome", "evidence of impact"),
}
PREFIXES: tuple[tuple[str, str], ...] = (
    ("assessment of progress", "status"),
    ("rag ", "status"),
    ("status", "status"),
    ("progress", "progress"),
    ("update", "progress"),
    ("revised", "revised_due_on"),
    ("new date", "revised_due_on"),
    ("target date", "due_on"),
    ("due date", "due_on"),
    ("lead agency", "lead_agency"),
    ("proposed to open", "open_close"),
    ("success measure", "success_measure"),
)
_LOOKUP = {syn: name for name, syns in SYNONYMS.items() for syn in syns}
REFERENCE_ENDINGS = ("ref", "reference", "item", "item no", "minute", "no", "number", "id")
"""A short heading (three words at most) ending in one of these names a reference column
("Relevant Item", "Minute ref", "Board item no") when no synonym or prefix matched."""

HEADER_SCAN_ROWS = 30
"""The header row is looked for in this many first rows."""


def normalise_header(value: object) -> str:
    """Header text normalised for matching: lower case, punctuation as spaces, single spaces."""
    if value is None:
        return ""
    text = re.sub(r"[^0-9a-z#]+", " ", str(value).lower())
    return " ".join(text.split())


def field_for(header: object) -> str | None:
    """The field a header names (exact synonym first, then known prefixes), or None."""
    norm = normalise_header(header)
    if not norm:
        return None
    if norm in _LOOKUP:
        return _LOOKUP[norm]
    for prefix, name in PREFIXES:
        if norm.startswith(prefix):
            return name
    words = norm.split()
    if len(words) <= 3 and any(norm.endswith(" " + end) for end in REFERENCE_ENDINGS):
        return "number"
    return None


def map_header(row: Sequence[object]) -> dict[str, int]:
    """``{field: column index}`` for a header row; the first column naming a field wins."""
    mapping: dict[str, int] = {}
    for index, cell in enumerate(row):
        name = field_for(cell)
        if name and name not in mapping:
            mapping[name] = index
    return mapping


def find_header(
    rows: Sequence[Sequence[object]], overrides: Mapping[str, str] | None = None
) -> tuple[int, dict[str, int]] | None:
    """Find the header row: the first of the first 30 rows naming at least two fields, one of them
    a description (recommendation or action) or a number.

    :param overrides: ``{field: header text}`` from the page or a mapping file; a row containing
        every override header is taken as the header.
    :returns: ``(row index, {field: column index})`` or None when no row qualifies.
    """
    best: tuple[int, dict[str, int]] | None = None
    for index, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        mapping = map_header(row)
        if overrides:
            texts = {normalise_header(c): i for i, c in enumerate(row) if c is not None}
            wanted = {f: normalise_header(h) for f, h in overrides.items() if h}
            if wanted and all(h in texts for h in wanted.values()):
                mapping = {
                    f: i
                    for f, i in mapping.items()
                    if i not in set(texts[h] for h in wanted.values())
                }
                mapping.update({f: texts[h] for f, h in wanted.items()})
                return index, mapping
        if (
            len(mapping) >= 2
            and ({"recommendation", "action", "number"} & mapping.keys())
            and (best is None or len(mapping) > len(best[1]))
        ):
            best = (index, mapping)
            if len(mapping) >= 3:
                return best
    return best
