"""Tracker import: readers (.xlsx, .csv), header mapping, value parsing, agency matching, presets
(``pfd``) and the writer.

Typical use::

    sheet = read_path("tracker.xlsx")
    plan = build_plan(sheet, preset=None, options=TrackerOptions(review_ref="SCR-JACK"))
    summary = services.preview_import(engine, actor, plan)      # dry run
    summary = services.import_tracker(engine, actor, plan)      # one transaction
"""

from __future__ import annotations

from monitoring.importer.plan import ImportPlan, Problem, TrackerOptions, plan_tracker
from monitoring.importer.presets import PRESETS
from monitoring.importer.readers import ImportFileError, Sheet, read_bytes, read_path


def build_plan(
    sheet: Sheet, *, preset: str | None = None, options: TrackerOptions | None = None
) -> ImportPlan:
    """Plan an import of ``sheet`` with a preset (e.g. ``pfd``) or as a generic tracker.

    :raises KeyError: for an unknown preset name.
    """
    if preset:
        return PRESETS[preset](sheet)
    return plan_tracker(sheet, options)


__all__ = [
    "PRESETS",
    "ImportFileError",
    "ImportPlan",
    "Problem",
    "Sheet",
    "TrackerOptions",
    "build_plan",
    "plan_tracker",
    "read_bytes",
    "read_path",
]
