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
    sheet: Sheet,
    *,
    preset: str | None = None,
    options: TrackerOptions | None = None,
    progress=None,
) -> ImportPlan:
    """Plan an import of ``sheet`` with a preset (e.g. ``pfd``) or as a generic tracker.

    :param progress: called with the number of rows checked (generic trackers).
    :raises KeyError: for an unknown preset name.
    """
    if preset:
        return PRESETS[preset](sheet)
    return plan_tracker(sheet, options, progress=progress)


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


def prepare(
    data: bytes,
    name: str,
    *,
    preset: str | None = None,
    review_ref: str | None = None,
    review_title: str | None = None,
    overrides: dict[str, str] | None = None,
    year: int | None = None,
    sheet_name: str | None = None,
    progress=None,
    as_of=None,
) -> tuple[ImportPlan, list[str]]:
    """Read uploaded bytes and plan the import (what the admin page needs, without Streamlit).

    :param overrides: ``{field: header text}`` chosen in the page's mapping widgets.
    :param year: the year of dates written without one (the command's ``--year``).
    :param sheet_name: the workbook's sheet to read (hidden or not).
    :param progress: called with ``(rows, "read" or "checked")`` as the file is read and checked.
    :param as_of: the date the file speaks as at (a ``date``, the command's ``--as-of``): it
        dates what has no date of its own and gives a year-less date its year when the file
        gives none.
    :returns: ``(plan, header cells)``; the header cells are the texts of the header row found
        (empty when none). A file that cannot be read gives a plan with one error.
    """
    try:
        sheet = read_bytes(
            data,
            name,
            sheet=sheet_name or None,
            overrides=overrides or None,
            progress=(lambda n: progress(n, "read")) if progress else None,
        )
    except ImportFileError as exc:
        plan = ImportPlan(source=name)
        plan.error(str(exc))
        return plan, []
    options = TrackerOptions(
        review_ref=review_ref or None,
        review_title=review_title or None,
        mapping=overrides or {},
        default_year=year or None,
        as_of=as_of,
    )
    plan = build_plan(
        sheet,
        preset=preset,
        options=options,
        progress=(lambda n: progress(n, "checked")) if progress else None,
    )
    plan.as_of = as_of
    header: list[str] = []
    if plan.header_row:
        header = [str(c).strip() for c in sheet.rows[plan.header_row - 1] if c is not None]
        header = [h for h in header if h]
    return plan, header


def choose_agencies(plan: ImportPlan, names: list[str]) -> None:
    """Create only these unmatched agencies (names as listed by the preview) when importing."""
    from monitoring.importer.agencies import normalise_alias

    plan.create_agencies = {normalise_alias(n) for n in names}


def agencies_not_in_register(engine, plan: ImportPlan) -> list[str]:
    """The lead agencies the plan's rows name that match no agency name, short name or alias in
    the register (first spelling each, in file order; redacted and blank names left out), for
    every layout and preset alike: what the import page offers to create and what the command's
    ``--create-agencies`` creates. A database without tables has none registered.
    """
    from sqlalchemy import inspect

    from monitoring import db
    from monitoring.importer.agencies import load_alias_map, match_agencies

    names = list(dict.fromkeys(a.lead_name for a in plan.actions if a.lead_name))
    known: dict[str, int] = {}
    if inspect(engine).has_table("agency"):
        with db.read_connection(engine) as conn:
            known = load_alias_map(conn)
    return list(match_agencies(names, known, plan.refused_matches)[1].values())


def agencies_matched_loosely(engine, plan: ImportPlan) -> list:
    """The lead agencies the plan's rows name that are linked to a registered agency other than
    by its own name (through an alias or a short name; a leading job title removed), each with
    the agency and how many rows (:class:`monitoring.importer.agencies.AgencyMatch`, file order),
    for every layout alike: what the preview lists for an administrator to keep or refuse
    (:func:`refuse_matches`). Refused ones are left out. A database without tables has none.
    """
    from sqlalchemy import inspect

    from monitoring import db
    from monitoring.importer.agencies import loose_matches

    if not inspect(engine).has_table("agency"):
        return []
    names = [a.lead_name for a in plan.actions if a.lead_name]
    with db.read_connection(engine) as conn:
        return loose_matches(conn, names, plan.refused_matches)


def refuse_matches(plan: ImportPlan, names: list[str]) -> None:
    """Refuse these names' matches (spellings as the preview lists them, or their normalised
    keys): their rows are then treated as naming agencies not in the register."""
    from monitoring.importer.agencies import normalise_alias

    plan.refused_matches = {normalise_alias(n) for n in names}


def creates_agencies_by_default(plan: ImportPlan) -> bool:
    """Whether the import creates the agencies not in the register unless told otherwise: the
    ``pfd`` preset does (its recipients are the accountable bodies); a board's tracker does not
    (the command's ``--create-agencies``, the page's "Create" choice)."""
    return plan.create_agencies is True


__all__ += ["agencies_not_in_register", "choose_agencies", "creates_agencies_by_default", "prepare"]


def set_review_details(
    plan: ImportPlan,
    *,
    title: str | None = None,
    review_type: str | None = None,
    published_on: str | None = None,
) -> None:
    """Give the plan's reviews the title, type and publication date the user chose (the
    ``--title``, ``--type`` and ``--published-on`` options, or the import page's inputs) rather
    than anything derived from the file name. Values left None keep the plan's. They are used for
    a review the import creates; an existing review keeps its own.

    :param published_on: an ISO date (``YYYY-MM-DD``).
    :raises ValueError: an unknown review type or a date that is not ``YYYY-MM-DD``.
    """
    from datetime import date

    from monitoring import db

    if review_type is not None and review_type not in db.REVIEW_TYPES:
        raise ValueError(
            f"review type: expected one of {', '.join(db.REVIEW_TYPES)}, got {review_type!r}"
        )
    if published_on is not None:
        try:
            published_on = date.fromisoformat(str(published_on).strip()).isoformat()
        except ValueError:
            raise ValueError(
                f"publication date: expected YYYY-MM-DD, got {published_on!r}"
            ) from None
    title = " ".join(str(title).split()) if title is not None else None
    for review in plan.reviews.values():
        if title:
            review.title = title
        if review_type is not None:
            review.review_type = review_type
        if published_on is not None:
            review.published_on = published_on


__all__ += ["set_review_details"]


def import_path(
    path,
    engine,
    *,
    review: str | None = None,
    preset: str | None = None,
    actor=None,
    dry_run: bool = False,
    create_agencies: bool | None = None,
    as_of=None,
):
    """Read, plan and import a tracker file in one call (what ``python -m monitoring import``
    does, for scripts and the benchmark).

    :param actor: default ``services.Actor.system("cli")``.
    :param as_of: the date the file speaks as at (a ``date``; the command's ``--as-of``).
    :returns: a :class:`monitoring.importer.writer.ImportSummary`.
    :raises ImportFileError: when the file cannot be read.
    :raises monitoring.services.ValidationError: when rows have errors (nothing written).
    """
    from monitoring import services

    actor = actor or services.Actor.system("cli")
    plan = build_plan(read_path(path), preset=preset, options=TrackerOptions(review_ref=review))
    if create_agencies is not None:
        plan.create_agencies = create_agencies
    if as_of is not None:
        plan.as_of = as_of
    if dry_run:
        return services.preview_import(engine, actor, plan)
    return services.import_tracker(engine, actor, plan)


__all__ += ["import_path"]
