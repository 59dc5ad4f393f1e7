"""Impact measures: did practice change after a review? (issue 21)

A recommendation (or a theme) has measures; each measure has a value per period
(``measure_observation``), read as an XmR chart with NHS England's "Making Data Count" icons
(:mod:`monitoring.spc`). Beside them sits the voice of the child and family (``feedback``).

Writes go through the write core: :func:`monitoring.db.write_transaction` (one transaction,
``data_version`` bumped), the permission ``record_measure`` (an administrator for any measure; an
agency lead only for measures their agency owns, :func:`monitoring.services.can`), a ``version``
check where the caller read one, and ``audit_log`` rows (:func:`monitoring.services.record_audit`).
Observations are append-only: a correction is a new row with the next version, so the value in
force when a past date was reached can be rebuilt.

Reads take an ``as_at`` date (None: the records now). As at a date ``D`` a measure shows only the
observations *recorded* by the end of ``D`` (UTC timestamps, as :func:`monitoring.asat.cutoff`)
for periods ending on or before ``D``, each at the latest version recorded by then; measures
created after ``D`` are left out. A measure's own fields (name, target, a recorded change) are
read as they are now: their earlier values are in ``audit_log``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import pandas as pd
from sqlalchemy import Connection, Engine, func, insert, or_, select

from monitoring import config, db, services, spc, vocabulary
from monitoring.asat import cutoff
from monitoring.queries import NO_FILTERS, Filters
from monitoring.source import FULL_SCOPE, Scope, Source

UNIT_LABELS = {"percent": "Percentage", "count": "Count", "days": "Days"}
BETTER_LABELS = {"up": "Higher is better", "down": "Lower is better"}
SOURCE_LABELS = {
    "audit": "Case audit",
    "performance": "Performance data",
    "feedback": "Feedback from children, young people and families",
}
FREQUENCY_LABELS = {"monthly": "Monthly", "quarterly": "Quarterly"}

VARIATION_ORDER = {
    "concerning_high": 0,
    "concerning_low": 0,
    "too_few": 2,
    "common_cause": 2,
    "neutral_high": 2,
    "neutral_low": 2,
    "improving_high": 4,
    "improving_low": 4,
}
ASSURANCE_ORDER = {"fail": 0, "hit_and_miss": 1, "too_few": 2, "no_target": 2, "pass": 3}
"""Worst first: concerning variation, then a target consistently not met, then hit and miss."""


class ObservationImportError(services.ValidationError):
    """An observations file cannot be imported; nothing was written.

    :ivar problems: one message per problem, each naming its row and column.
    """

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


# --- value checks -----------------------------------------------------------------------------


def _choice(value: Any, choices: Mapping[str, str] | tuple, what: str) -> str:
    text = str(value or "").strip().lower()
    if text not in choices:
        raise services.ValidationError(
            f"{what}: expected one of {', '.join(choices)}, got {value!r}."
        )
    return text


def _number(value: Any, what: str, *, required: bool = False) -> float | None:
    """A number from a form or a cell: ``85``, ``85.5``, ``"85%"``, ``"1,234"``.

    :raises ValidationError: not a number, or missing when ``required``.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        number = None
    elif isinstance(value, bool):
        raise services.ValidationError(f"{what}: expected a number, got {value!r}.")
    elif isinstance(value, (int, float)):
        number = float(value)
    else:
        text = str(value).strip().replace(",", "").removesuffix("%").strip()
        if not text:
            number = None
        else:
            try:
                number = float(text)
            except ValueError:
                raise services.ValidationError(
                    f"{what}: expected a number (e.g. 85 or 85.5), got {value!r}."
                ) from None
    if number is not None and not math.isfinite(number):
        raise services.ValidationError(f"{what}: expected a number, got {value!r}.")
    if number is None and required:
        raise services.ValidationError(f"{what}: required, please enter a number.")
    return number


def _day(value: Any, what: str, *, required: bool = False) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise services.ValidationError(f"{what}: required, please enter a date.")
        return None
    return services._iso_date(value, what)


def check_observation(
    unit: str,
    value: Any,
    numerator: Any = None,
    denominator: Any = None,
) -> tuple[float, float | None, float | None]:
    """Check one observation for a measure of ``unit``; returns ``(value, numerator, denominator)``.

    A percentage may be given as numerator and denominator only (the value is then
    ``100 × numerator / denominator``, to two decimals); given both ways, they must agree to
    within half a percentage point (a value rounded to a whole percent). A count is a whole
    number; no value is negative; a percentage is at most 100.

    :raises ValidationError: naming the field and what was expected.
    """
    value = _number(value, "value")
    numerator = _number(numerator, "numerator")
    denominator = _number(denominator, "denominator")
    if (numerator is None) != (denominator is None):
        raise services.ValidationError(
            "numerator and denominator: give both (e.g. 17 of 20) or neither."
        )
    if denominator is not None:
        if denominator <= 0:
            raise services.ValidationError(
                f"denominator: expected a number above 0, got {denominator:g}."
            )
        if numerator < 0 or numerator > denominator:
            raise services.ValidationError(
                f"numerator: expected between 0 and the denominator ({denominator:g}), "
                f"got {numerator:g}."
            )
        if unit == "percent":
            share = 100 * numerator / denominator
            if value is None:
                value = round(share, 2)
            elif abs(value - share) >= 0.5:
                raise services.ValidationError(
                    f"value: {value:g}% does not match {numerator:g} of {denominator:g} "
                    f"({share:.1f}%)."
                )
    if value is None:
        raise services.ValidationError("value: required, please enter a number.")
    if value < 0:
        raise services.ValidationError(f"value: expected 0 or more, got {value:g}.")
    if unit == "percent" and value > 100:
        raise services.ValidationError(f"value: a percentage is at most 100, got {value:g}.")
    if unit == "count" and value != int(value):
        raise services.ValidationError(f"value: a count is a whole number, got {value:g}.")
    return value, numerator, denominator


def _require_owner(actor: services.Actor, agency_id: int | None, what: str) -> None:
    """:raises PermissionDenied: unless an administrator, or the lead of ``agency_id``."""
    if services.can(actor, "record_measure", agency_id=agency_id):
        return
    if actor.role == "agency_lead":
        raise services.PermissionDenied(f"You can only {what} for measures your own agency owns.")
    raise services.PermissionDenied(
        f"Your role ({actor.role.replace('_', ' ')}) may not {what}; an agency lead or an "
        "administrator records measures."
    )


# --- measures ---------------------------------------------------------------------------------

MEASURE_FIELDS = (
    "recommendation_id",
    "theme_id",
    "name",
    "numerator",
    "denominator",
    "unit",
    "better",
    "baseline_value",
    "baseline_from",
    "baseline_to",
    "target_value",
    "target_on",
    "source",
    "agency_id",
    "frequency",
    "change_from",
    "change_note",
)
"""The fields of a measure a person sets (:func:`add_measure`, :func:`edit_measure`)."""


def _measure_values(conn: Connection, values: Mapping[str, Any]) -> dict:
    """Check and normalise a measure's fields. :raises ValidationError: naming the field."""
    unknown = set(values) - set(MEASURE_FIELDS)
    if unknown:
        raise services.ValidationError(f"unknown measure fields: {', '.join(sorted(unknown))}.")
    out: dict[str, Any] = {
        "name": services._text(values.get("name"), "name", required=True, max_length=300),
        "numerator": services._text(values.get("numerator"), "numerator", max_length=2000),
        "denominator": services._text(values.get("denominator"), "denominator", max_length=2000),
        "unit": _choice(values.get("unit") or "percent", db.MEASURE_UNITS, "unit"),
        "better": _choice(values.get("better") or "up", db.MEASURE_DIRECTIONS, "better"),
        "baseline_value": _number(values.get("baseline_value"), "baseline value"),
        "baseline_from": _day(values.get("baseline_from"), "baseline from"),
        "baseline_to": _day(values.get("baseline_to"), "baseline to"),
        "target_value": _number(values.get("target_value"), "target value"),
        "target_on": _day(values.get("target_on"), "target date"),
        "source": _choice(values.get("source") or "performance", db.MEASURE_SOURCES, "source"),
        "frequency": _choice(
            values.get("frequency") or "monthly", db.MEASURE_FREQUENCIES, "frequency"
        ),
        "change_from": _day(values.get("change_from"), "change from"),
        "change_note": services._text(values.get("change_note"), "change note", max_length=2000),
    }
    if out["baseline_from"] and out["baseline_to"] and out["baseline_from"] > out["baseline_to"]:
        raise services.ValidationError("baseline to: must be on or after baseline from.")
    for key, table, what in (
        ("recommendation_id", db.recommendation, "recommendation"),
        ("theme_id", db.theme, "theme"),
        ("agency_id", db.agency, "owning agency"),
    ):
        raw = values.get(key)
        if raw in (None, ""):
            out[key] = None
            continue
        try:
            out[key] = int(raw)
        except (TypeError, ValueError):
            raise services.ValidationError(f"{what}: expected an id, got {raw!r}.") from None
        if conn.execute(select(table.c.id).where(table.c.id == out[key])).first() is None:
            raise services.ValidationError(f"{what}: no {what} with id {out[key]}.")
    if out["recommendation_id"] is None and out["theme_id"] is None:
        raise services.ValidationError(
            "recommendation: a measure belongs to a recommendation or a theme; choose one."
        )
    if out["agency_id"] is None:
        raise services.ValidationError("owning agency: required, choose the agency that owns it.")
    if out["unit"] == "percent":
        for key in ("baseline_value", "target_value"):
            if out[key] is not None and not 0 <= out[key] <= 100:
                what = key.replace("_", " ")
                raise services.ValidationError(f"{what}: a percentage is between 0 and 100.")
    return out


def add_measure(engine: Engine, actor: services.Actor, **values: Any) -> int:
    """Add a measure (fields: :data:`MEASURE_FIELDS`; ``name``, ``agency_id`` and a
    ``recommendation_id`` or ``theme_id`` are required).

    :returns: the new measure's id.
    :raises PermissionDenied: unless an administrator, or the lead of the owning agency.
    :raises ValidationError: a field is missing or not acceptable.
    """
    at = config.utc_now_iso()
    with db.write_transaction(engine) as conn:
        row = _measure_values(conn, values)
        _require_owner(actor, row["agency_id"], "add a measure")
        row.update(version=1, created_at=at, created_by=actor.email, updated_at=at)
        measure_id = conn.execute(insert(db.measure).values(row)).inserted_primary_key[0]
        services.record_audit(
            conn,
            actor,
            "measure",
            measure_id,
            {k: (None, v) for k, v in row.items() if k in MEASURE_FIELDS or k == "version"},
            at=at,
        )
    return int(measure_id)


def edit_measure(
    engine: Engine, actor: services.Actor, measure_id: int, *, version: int | None, **changes: Any
) -> dict:
    """Change some of a measure's fields (:data:`MEASURE_FIELDS`); bumps its version.

    The lead must own the measure both before and after the change (they cannot hand a measure
    to another agency).

    :param version: the measure's version when it was read (None skips the check).
    :returns: the measure row after the change.
    :raises VersionConflict: someone saved the measure since ``version``.
    :raises PermissionDenied, ValidationError, NotFound: as :func:`add_measure`.
    """
    at = config.utc_now_iso()
    with db.write_transaction(engine) as conn:
        row = services._fetch(conn, db.measure, measure_id, "measure")
        _require_owner(actor, row["agency_id"], "change a measure")
        services._check_version(conn, "measure", row, version)
        merged = {k: row[k] for k in MEASURE_FIELDS} | dict(changes)
        new = _measure_values(conn, merged)
        _require_owner(actor, new["agency_id"], "change a measure")
        changed = {k: v for k, v in new.items() if v != row[k]}
        if not changed:
            raise services.ValidationError("nothing to save: no field was changed.")
        changed["updated_at"] = at
        services.versioned_update(  # the write core: version bumped, every field audited
            conn, actor, db.measure, row, changed, at=at, quiet=("updated_at",)
        )
        return services._fetch(conn, db.measure, measure_id, "measure", lock=False)


# --- observations -----------------------------------------------------------------------------


def _current_observation(conn: Connection, measure_id: int, period_end: str) -> dict | None:
    o = db.measure_observation
    row = (
        conn.execute(
            select(o)
            .where(o.c.measure_id == measure_id, o.c.period_end == period_end)
            .order_by(o.c.version.desc(), o.c.id.desc())
            .limit(1)
        )
        .mappings()
        .first()
    )
    return dict(row) if row else None


def _write_observation(
    conn: Connection,
    actor: services.Actor,
    measure: Mapping[str, Any],
    period_end: str,
    checked: tuple[float, float | None, float | None],
    *,
    version: int | None,
    correction: bool,
    at: str,
) -> dict:
    """Append one observation row (the next version for its period) and its audit rows."""
    value, numerator, denominator = checked
    current = _current_observation(conn, int(measure["id"]), period_end)
    if current is not None and not correction:
        raise services.ValidationError(
            f"period end: {period_end} already has a value ({current['value']:g}); "
            "correct that value instead of adding another."
        )
    if current is None and correction:
        raise services.NotFound(f"No value recorded for the period ending {period_end}.")
    if current is not None and version is not None and int(current["version"]) != int(version):
        raise services.VersionConflict(
            f"Someone else corrected the value for {period_end} after you opened it (you had "
            f"version {version}, it is now version {current['version']}).",
            current,
            services.changes_since(conn, "measure_observation", int(current["id"]), int(version)),
        )
    row = {
        "measure_id": int(measure["id"]),
        "period_end": period_end,
        "value": value,
        "numerator": numerator,
        "denominator": denominator,
        "version": services.next_version(current),
        "recorded_at": at,
        "recorded_by": actor.email,
    }
    new_id = conn.execute(insert(db.measure_observation).values(row)).inserted_primary_key[0]
    before = current or {}
    services.record_audit(
        conn,
        actor,
        "measure_observation",
        new_id,
        {
            "measure_id": (None, row["measure_id"]),
            "period_end": (before.get("period_end"), period_end),
            "value": (before.get("value"), value),
            "numerator": (before.get("numerator"), numerator),
            "denominator": (before.get("denominator"), denominator),
            "version": (before.get("version"), row["version"]),
        },
        at=at,
    )
    return {"id": int(new_id), **row}


def _period_end(value: Any, what: str = "period end") -> str:
    day = _day(value, what, required=True)
    if day > config.today().isoformat():
        raise services.ValidationError(
            f"{what}: {day} is in the future; record a period once it has ended."
        )
    return day


def add_observation(
    engine: Engine,
    actor: services.Actor,
    measure_id: int,
    *,
    period_end: date | str,
    value: Any = None,
    numerator: Any = None,
    denominator: Any = None,
) -> dict:
    """Record a measure's value for the period ending ``period_end`` (not in the future).

    :returns: the observation row written.
    :raises PermissionDenied: unless an administrator, or the lead of the measure's agency.
    :raises ValidationError: bad value (:func:`check_observation`), a future period, or the period
        already has a value (use :func:`correct_observation`).
    :raises NotFound: no such measure.
    """
    return _record(engine, actor, measure_id, period_end, (value, numerator, denominator), None)


def correct_observation(
    engine: Engine,
    actor: services.Actor,
    measure_id: int,
    *,
    period_end: date | str,
    version: int | None,
    value: Any = None,
    numerator: Any = None,
    denominator: Any = None,
) -> dict:
    """Correct the value recorded for a period: a new row with the next version (the old one is
    kept, so the chart as at an earlier date still shows what was known then).

    :param version: the observation's version when it was read (None skips the check).
    :raises VersionConflict: someone corrected it since ``version``.
    :raises NotFound: no value recorded for that period.
    :raises PermissionDenied, ValidationError: as :func:`add_observation`.
    """
    values = (value, numerator, denominator)
    return _record(engine, actor, measure_id, period_end, values, version, correction=True)


def _record(
    engine: Engine,
    actor: services.Actor,
    measure_id: int,
    period_end: date | str,
    values: tuple[Any, Any, Any],
    version: int | None,
    *,
    correction: bool = False,
) -> dict:
    """One write of :func:`add_observation` or (``correction``) :func:`correct_observation`:
    ``values`` is ``(value, numerator, denominator)``."""
    at = config.utc_now_iso()
    with db.write_transaction(engine) as conn:
        measure = services._fetch(conn, db.measure, measure_id, "measure")
        what = "correct a value" if correction else "record a value"
        _require_owner(actor, measure["agency_id"], what)
        checked = check_observation(measure["unit"], *values)
        return _write_observation(
            conn,
            actor,
            measure,
            _period_end(period_end),
            checked,
            version=version,
            correction=correction,
            at=at,
        )


# --- import -----------------------------------------------------------------------------------

IMPORT_COLUMNS = {
    "period": ("period", "period end", "period ending", "month", "date", "month end"),
    "value": ("value", "result", "percentage", "percent", "count", "days", "%"),
    "numerator": ("numerator", "number", "met"),
    "denominator": ("denominator", "out of", "total", "of"),
}
"""Header words accepted for each column of an observations file (case and spaces ignored)."""


def _header_key(cell: Any) -> str:
    return re.sub(r"[\s_]+", " ", str(cell or "")).strip().lower()


@dataclass
class ObservationPlan:
    """What an observations file would write: ``rows`` (period_end, value, numerator,
    denominator, correction) and ``problems`` (empty when it can be written)."""

    rows: list[dict] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def plan_observations(
    conn: Connection, measure: Mapping[str, Any], data: bytes, name: str
) -> ObservationPlan:
    """Read an observations file (.csv or .xlsx: a header row, then ``period, value`` and
    optionally ``numerator, denominator``) and check every row against the measure.

    A period that already has a value becomes a correction (the next version). Periods are
    dates (ISO, ``dd/mm/yyyy``, ``March 2026``: a month means its last day). Each problem names
    the spreadsheet row and column.
    """
    from monitoring.importer import readers, values

    plan = ObservationPlan()
    try:
        sheet = readers.read_bytes(data, name)
    except readers.ImportFileError as exc:
        plan.problems.append(str(exc))
        return plan
    rows = list(sheet.rows)
    header_at = next((i for i, r in enumerate(rows) if any(str(c or "").strip() for c in r)), None)
    if header_at is None:
        plan.problems.append(f"{name}: no header row; expected columns period and value.")
        return plan
    columns: dict[str, int] = {}
    for index, cell in enumerate(rows[header_at]):
        key = _header_key(cell)
        for column, words in IMPORT_COLUMNS.items():
            if key in words and column not in columns:
                columns[column] = index
    for needed in ("period", "value"):
        if needed not in columns and not (
            needed == "value" and {"numerator", "denominator"} <= set(columns)
        ):
            plan.problems.append(
                f"row {header_at + 1}: no {needed} column; expected a header such as "
                f"{', '.join(repr(w) for w in IMPORT_COLUMNS[needed][:3])}."
            )
    if plan.problems:
        return plan
    letters = {k: _column_letter(v) for k, v in columns.items()}
    seen: dict[str, int] = {}
    today = config.today().isoformat()
    for offset, row in enumerate(rows[header_at + 1 :], start=header_at + 2):

        def cell(column: str, row: list = row) -> Any:
            index = columns.get(column)
            return row[index] if index is not None and index < len(row) else None

        if not any(str(c).strip() for c in row if c is not None):
            continue
        where = f"row {offset}"
        try:
            parsed = values.parse_date(cell("period"))
        except values.NotADate as exc:
            plan.problems.append(f"{where}, column {letters['period']} (period): {exc}.")
            continue
        if parsed is None:
            plan.problems.append(f"{where}, column {letters['period']} (period): empty.")
            continue
        period = parsed.value.isoformat()
        if period > today:
            plan.problems.append(
                f"{where}, column {letters['period']} (period): {period} is in the future."
            )
            continue
        if period in seen:
            plan.problems.append(
                f"{where}, column {letters['period']} (period): {period} is also on row "
                f"{seen[period]}; give each period once."
            )
            continue
        seen[period] = offset
        try:
            checked = check_observation(
                measure["unit"], cell("value"), cell("numerator"), cell("denominator")
            )
        except services.ValidationError as exc:
            field_name, _, detail = str(exc).partition(":")
            column = field_name.split(" and ")[0].strip()
            letter = letters.get(column)
            place = f"{where}, column {letter} ({column})" if letter else where
            plan.problems.append(f"{place}: {detail.strip() if letter else exc}")
            continue
        plan.rows.append(
            {
                "period_end": period,
                "value": checked[0],
                "numerator": checked[1],
                "denominator": checked[2],
                "correction": _current_observation(conn, int(measure["id"]), period) is not None,
            }
        )
    if not plan.rows and not plan.problems:
        plan.problems.append(f"{name}: no rows with a period and a value under the header.")
    return plan


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def import_observations(
    engine: Engine, actor: services.Actor, measure_id: int, data: bytes, name: str
) -> list[dict]:
    """Import a measure's observations from a .csv or .xlsx file (:func:`plan_observations`), all
    in one transaction: on any problem nothing is written.

    :returns: the observation rows written (new values and corrections).
    :raises ObservationImportError: listing every problem, by row and column.
    :raises PermissionDenied: unless an administrator, or the lead of the measure's agency.
    """
    at = config.utc_now_iso()
    with db.write_transaction(engine) as conn:
        measure = services._fetch(conn, db.measure, measure_id, "measure")
        _require_owner(actor, measure["agency_id"], "import values")
        plan = plan_observations(conn, measure, data, name)
        if plan.problems:
            raise ObservationImportError(plan.problems)
        return [
            _write_observation(
                conn,
                actor,
                measure,
                row["period_end"],
                (row["value"], row["numerator"], row["denominator"]),
                version=None,
                correction=row["correction"],
                at=at,
            )
            for row in plan.rows
        ]


# --- feedback ---------------------------------------------------------------------------------


def _recommendation_agencies(conn: Connection, recommendation_id: int) -> set[int]:
    """Agencies that lead an action of the recommendation or own one of its measures."""
    leads = select(db.action.c.lead_agency_id).where(
        db.action.c.recommendation_id == recommendation_id
    )
    owners = select(db.measure.c.agency_id).where(
        db.measure.c.recommendation_id == recommendation_id
    )
    return {a for (a,) in conn.execute(leads.union(owners)).all() if a is not None}


def add_feedback(
    engine: Engine,
    actor: services.Actor,
    recommendation_id: int,
    *,
    received_on: date | str,
    source: str,
    summary: str,
) -> int:
    """Record anonymised feedback from children, young people or families about a
    recommendation's change in practice (no names: the summary is shown to the board).

    :returns: the new feedback id.
    :raises PermissionDenied: unless an administrator, or a lead of an agency that leads an
        action of the recommendation or owns one of its measures.
    :raises ValidationError: missing source or summary, a bad or future date.
    :raises NotFound: no such recommendation.
    """
    at = config.utc_now_iso()
    with db.write_transaction(engine) as conn:
        services._fetch(conn, db.recommendation, recommendation_id, "recommendation", lock=False)
        agencies = _recommendation_agencies(conn, recommendation_id)
        allowed = actor.role == "admin" or any(
            services.can(actor, "record_measure", agency_id=a) for a in agencies
        )
        if not allowed and actor.role == "agency_lead":
            raise services.PermissionDenied(
                "You can only record feedback for recommendations your agency leads an action "
                "of or owns a measure of."
            )
        if not allowed:
            _require_owner(actor, None, "record feedback")
        row = {
            "recommendation_id": recommendation_id,
            "received_on": _period_end(received_on, "received on"),
            "source": services._text(source, "source", required=True, max_length=200),
            "summary": services._text(summary, "summary", required=True, max_length=4000),
            "recorded_at": at,
            "recorded_by": actor.email,
        }
        new_id = conn.execute(insert(db.feedback).values(row)).inserted_primary_key[0]
        services.record_audit(
            conn,
            actor,
            "feedback",
            new_id,
            {k: (None, row[k]) for k in ("recommendation_id", "received_on", "source", "summary")},
            at=at,
        )
    return int(new_id)


# --- reads ------------------------------------------------------------------------------------


def _published_reviews(scope: Scope, as_at: date | None):
    """SQL: the ids of the reviews ``scope`` may read on ``as_at`` (None: today), or None for
    every review (:meth:`monitoring.source.Source.review_ids`, the one rule)."""
    today = config.today()
    return Source(today=today, scope=scope).review_ids(as_at or today)


def _lead_recommendations(agency_id: int | None):
    """SQL: the ids of recommendations an agency leads an action of or owns a measure of."""
    led = select(db.action.c.recommendation_id).where(db.action.c.lead_agency_id == agency_id)
    owned = select(db.measure.c.recommendation_id).where(db.measure.c.agency_id == agency_id)
    return led.union(owned)


def _measure_query(as_at: date | None, filters: Filters, scope: Scope = FULL_SCOPE):
    m, r, v, g, t = db.measure, db.recommendation, db.review, db.agency, db.theme
    query = (
        select(
            m,
            r.c.number.label("recommendation_number"),
            r.c.title.label("recommendation_title"),
            v.c.id.label("review_id"),
            v.c.ref.label("review_ref"),
            g.c.name.label("agency"),
            t.c.name.label("theme"),
        )
        .select_from(
            m.outerjoin(r, r.c.id == m.c.recommendation_id)
            .outerjoin(v, v.c.id == r.c.review_id)
            .outerjoin(g, g.c.id == m.c.agency_id)
            .outerjoin(t, t.c.id == m.c.theme_id)
        )
        .order_by(m.c.id)
    )
    if as_at is not None:
        query = query.where(m.c.created_at < cutoff(as_at))
    published = _published_reviews(scope, as_at)
    if published is not None:  # a viewer: published reviews' measures and those of no review
        query = query.where(or_(m.c.recommendation_id.is_(None), v.c.id.in_(published)))
    query = _review_filters(query, v, filters)
    if filters.agency_ids:
        query = query.where(m.c.agency_id.in_(filters.agency_ids))
    if filters.theme_ids:
        themed = select(db.recommendation_theme.c.recommendation_id).where(
            db.recommendation_theme.c.theme_id.in_(filters.theme_ids)
        )
        query = query.where(
            or_(m.c.theme_id.in_(filters.theme_ids), m.c.recommendation_id.in_(themed))
        )
    return query


OBSERVATION_COLUMNS = [
    "measure_id",
    "period_end",
    "value",
    "numerator",
    "denominator",
    "version",
    "recorded_at",
    "recorded_by",
]


def _review_filters(query, v, filters: Filters):
    """``query`` narrowed to the sidebar's reviews and review types (``v``: the review table)."""
    if filters.review_ids:
        query = query.where(v.c.id.in_(filters.review_ids))
    if filters.review_types:
        query = query.where(v.c.review_type.in_(filters.review_types))
    return query


def observations(
    conn: Connection, measure_ids: tuple[int, ...] | None = None, as_at: date | None = None
) -> pd.DataFrame:
    """The observations in force, one row per measure and period, oldest period first.

    :param measure_ids: the measures (None: all).
    :param as_at: only rows recorded by the end of this date, for periods ending by then, each
        period at the latest version recorded by then (None: every row, latest versions).
    :returns: columns :data:`OBSERVATION_COLUMNS` (``period_end`` ISO text, ``recorded_at`` UTC).
    """
    o = db.measure_observation
    conditions = []
    if measure_ids is not None:
        conditions.append(o.c.measure_id.in_(measure_ids))
    if as_at is not None:
        conditions += [o.c.recorded_at < cutoff(as_at), o.c.period_end <= as_at.isoformat()]
    ranked = (
        select(
            *(o.c[name] for name in OBSERVATION_COLUMNS),
            func.row_number()
            .over(
                partition_by=(o.c.measure_id, o.c.period_end),
                order_by=(o.c.version.desc(), o.c.id.desc()),
            )
            .label("rn"),
        )
        .where(*conditions)
        .subquery()
    )
    rows = conn.execute(
        select(*(ranked.c[name] for name in OBSERVATION_COLUMNS))
        .where(ranked.c.rn == 1)
        .order_by(ranked.c.measure_id, ranked.c.period_end)
    ).all()
    return pd.DataFrame([tuple(r) for r in rows], columns=OBSERVATION_COLUMNS)


def change_breaks(periods: list[str], change_from: str | None) -> tuple[int, ...]:
    """The index of the first period ending on or after ``change_from`` (limits are recalculated
    from it), or none."""
    if not change_from:
        return ()
    index = next((i for i, p in enumerate(periods) if p >= change_from), None)
    return () if index is None else (index,)


def chart_for(measure: Mapping[str, Any], frame: pd.DataFrame) -> spc.Chart:
    """The XmR chart of one measure's observations (``frame``: :func:`observations` rows of it)."""
    periods = [str(p) for p in frame["period_end"]]
    return spc.xmr(
        [float(v) for v in frame["value"]],
        breaks=change_breaks(periods, measure.get("change_from")),
    )


SUMMARY_COLUMNS = [
    "measure_id",
    "name",
    "recommendation_id",
    "review_id",
    "review_ref",
    "recommendation",
    "theme",
    "agency_id",
    "agency",
    "unit",
    "better",
    "source",
    "frequency",
    "points",
    "latest_period",
    "latest_value",
    "mean",
    "lower_limit",
    "upper_limit",
    "target_value",
    "target_on",
    "variation",
    "variation_text",
    "assurance",
    "assurance_text",
    "summary",
    "version",
]


@dataclass(frozen=True)
class MeasureView:
    """One measure as a page draws it: its row (``measure`` table plus names), its observations
    in force and its chart."""

    measure: dict
    frame: pd.DataFrame
    chart: spc.Chart
    variation: spc.Icon
    assurance: spc.Icon


def measure_views(
    conn: Connection,
    as_at: date | None = None,
    filters: Filters = NO_FILTERS,
    *,
    scope: Scope = FULL_SCOPE,
) -> list[MeasureView]:
    """Every measure (matching ``filters``: review, review type, owning agency, theme) with its
    observations and chart as at ``as_at``, worst first: concerning variation, then target
    consistently not met, then hit and miss, ..., improving last; ties by name.

    :param scope: the reader (:class:`monitoring.source.Scope`): a viewer reads the measures of
        published reviews and those tied to no review only; who recorded a measure or a value
        (e-mail addresses: ``created_by``, ``updated_by``, ``recorded_by``) is blank for a reader
        who may not read e-mail addresses (docs/data-protection.md).
    """
    query = _measure_query(as_at, filters, scope)
    measures = [dict(r) for r in conn.execute(query).mappings()]
    if not measures:
        return []
    frame = observations(conn, tuple(m["id"] for m in measures), as_at)
    if not scope.sees_emails:
        frame["recorded_by"] = None
        for m in measures:
            m.update(created_by=None, updated_by=None)
    by_measure = {
        int(key): part.reset_index(drop=True)
        for key, part in frame.groupby("measure_id", sort=False)
    }
    empty = frame.iloc[0:0]
    views = []
    for m in measures:
        own = by_measure.get(int(m["id"]), empty)
        chart = chart_for(m, own)
        views.append(
            MeasureView(
                m,
                own,
                chart,
                spc.variation_icon(chart, m["better"]),
                spc.assurance_icon(chart, m["target_value"], m["better"]),
            )
        )
    views.sort(
        key=lambda v: (
            VARIATION_ORDER[v.variation.code],
            ASSURANCE_ORDER[v.assurance.code],
            v.measure["name"].lower(),
            v.measure["id"],
        )
    )
    return views


def _recommendation_words(m: Mapping[str, Any]) -> str | None:
    if m.get("recommendation_number") is None:
        return None
    title = m.get("recommendation_title")
    return f"{m['recommendation_number']}. {title}" if title else str(m["recommendation_number"])


def summaries(
    conn: Connection,
    as_at: date | None = None,
    filters: Filters = NO_FILTERS,
    *,
    scope: Scope = FULL_SCOPE,
) -> pd.DataFrame:
    """One row per measure, worst first (:func:`measure_views`): the Measures page's table.

    :returns: columns :data:`SUMMARY_COLUMNS`: ``points`` (observations in force), the latest
        period (ISO) and value, the latest part's ``mean`` and process limits (None with fewer
        than two values), the target, the icons' codes (``variation``, ``assurance``) and text
        alternatives, and ``summary`` (both in one line, e.g. "improving, special cause; target
        not consistently met").
    """
    rows = []
    for view in measure_views(conn, as_at, filters, scope=scope):
        m, part = view.measure, view.chart.latest_limits
        last = view.frame.iloc[-1] if len(view.frame) else None
        rows.append(
            {
                "measure_id": m["id"],
                "name": m["name"],
                "recommendation_id": m["recommendation_id"],
                "review_id": m["review_id"],
                "review_ref": m["review_ref"],
                "recommendation": _recommendation_words(m),
                "theme": m["theme"],
                "agency_id": m["agency_id"],
                "agency": m["agency"],
                "unit": m["unit"],
                "better": m["better"],
                "source": m["source"],
                "frequency": m["frequency"],
                "points": len(view.frame),
                "latest_period": None if last is None else str(last["period_end"]),
                "latest_value": None if last is None else float(last["value"]),
                "mean": None if part is None else round(part.mean, 4),
                "lower_limit": None if part is None else round(part.lower, 4),
                "upper_limit": None if part is None else round(part.upper, 4),
                "target_value": m["target_value"],
                "target_on": m["target_on"],
                "variation": view.variation.code,
                "variation_text": view.variation.text,
                "assurance": view.assurance.code,
                "assurance_text": view.assurance.text,
                "summary": spc.short_words(view.variation, view.assurance),
                "version": m["version"],
            }
        )
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS)


@dataclass(frozen=True)
class MeasureCounts:
    """How many measures read improving, concerning, or no change (latest point)."""

    improving: int
    concerning: int
    no_change: int

    @property
    def total(self) -> int:
        return self.improving + self.concerning + self.no_change


def overview_counts(
    conn: Connection,
    as_at: date | None = None,
    filters: Filters = NO_FILTERS,
    *,
    scope: Scope = FULL_SCOPE,
) -> MeasureCounts:
    """The Overview's line "measures improving / concerning / no change": the variation icon of
    each measure's latest point (special cause improving, special cause concerning, anything
    else: common cause, neither better nor worse, or too few values)."""
    codes = [v.variation.code for v in measure_views(conn, as_at, filters, scope=scope)]
    improving = sum(c.startswith("improving") for c in codes)
    concerning = sum(c.startswith("concerning") for c in codes)
    return MeasureCounts(improving, concerning, len(codes) - improving - concerning)


def pack_measures(
    conn: Connection,
    held_on: date | None,
    filters: Filters = NO_FILTERS,
    *,
    scope: Scope = FULL_SCOPE,
) -> pd.DataFrame:
    """The meeting pack's page of measures: :func:`summaries` as the Measures page shows them
    for the meeting. A meeting held before today (:func:`monitoring.config.today`) reads the
    measures as at its date (only values recorded by the end of that day), like the Measures
    page with "As at" set to it; a meeting today, later or none reads them as they are now, like
    the page with no "As at" (the same rule as :mod:`monitoring.exports.pack`).

    :returns: columns :data:`SUMMARY_COLUMNS`, worst first (:func:`display_table` lays it out).
    """
    as_at = held_on if held_on is not None and held_on < config.today() else None
    return summaries(conn, as_at, filters, scope=scope)


def recommendations_meeting_target(conn: Connection, as_at: date | None = None) -> pd.DataFrame:
    """Recommendations with at least one measure whose target is consistently met (assurance
    icon ``pass``), for "assured on a measure".

    :returns: columns ``recommendation_id, measure_id, name`` (one row per such measure).
    """
    rows = [
        (v.measure["recommendation_id"], v.measure["id"], v.measure["name"])
        for v in measure_views(conn, as_at)
        if v.assurance.code == "pass" and v.measure["recommendation_id"] is not None
    ]
    return pd.DataFrame(rows, columns=["recommendation_id", "measure_id", "name"])


def has_measure_meeting_target(
    conn: Connection, recommendation_id: int, as_at: date | None = None
) -> bool:
    """Whether the recommendation has a measure whose target is consistently met."""
    met = recommendations_meeting_target(conn, as_at)
    return bool((met["recommendation_id"] == recommendation_id).any())


IMPACT_COLUMNS = ["Measure", "Latest value", "Variation", "Assurance", "Target", "Target met"]
"""The Assurance page's table of a recommendation's measures."""


@dataclass(frozen=True)
class Impact:
    """A recommendation's impact evidence, as the Assurance page shows it.

    ``table``: columns :data:`IMPACT_COLUMNS`, one row per measure of the recommendation, worst
    first (:func:`display_table`'s words; "Target met" is "Yes" where the assurance icon is
    ``pass``, the rule of :func:`recommendations_meeting_target`). ``met``: the measures meeting
    their target, ``(measure_id, name)``, the ones a recommendation can be assured on.
    ``feedback``: its feedback entries (:func:`feedback_counts`).
    """

    table: pd.DataFrame
    met: tuple[tuple[int, str], ...]
    feedback: int


def recommendation_impact(
    conn: Connection,
    recommendation_id: int,
    as_at: date | None = None,
    *,
    scope: Scope = FULL_SCOPE,
) -> Impact:
    """The measures and feedback of one recommendation (as at ``as_at``; None: now), as
    ``scope`` may read them (:func:`measure_views`)."""
    table = summaries(conn, as_at, scope=scope)
    own = table[table["recommendation_id"] == recommendation_id].reset_index(drop=True)
    shown = display_table(own)
    shown["Target met"] = ["Yes" if code == "pass" else "No" for code in own["assurance"]]
    met = tuple(
        (int(i), str(n))
        for i, n, code in zip(own["measure_id"], own["name"], own["assurance"], strict=True)
        if code == "pass"
    )
    feedback = feedback_counts(conn, as_at).get(int(recommendation_id), 0)
    return Impact(shown[IMPACT_COLUMNS], met, feedback)


FEEDBACK_COLUMNS = [
    "id",
    "recommendation_id",
    "review_ref",
    "recommendation",
    "received_on",
    "source",
    "summary",
    "recorded_at",
]


def feedback_entries(
    conn: Connection,
    recommendation_id: int | None = None,
    as_at: date | None = None,
    filters: Filters = NO_FILTERS,
    *,
    scope: Scope = FULL_SCOPE,
) -> pd.DataFrame:
    """Feedback from children and families, newest first (recorded by the end of ``as_at``).

    :param scope: the reader: administrators, board members and assurers read all of it; an
        agency lead the feedback on recommendations their agency leads an action of or owns a
        measure of (those they may record feedback for); a viewer none (it is about families).
    :returns: columns :data:`FEEDBACK_COLUMNS`.
    """
    f, r, v = db.feedback, db.recommendation, db.review
    query = (
        select(
            f.c.id,
            f.c.recommendation_id,
            v.c.ref,
            r.c.number,
            r.c.title,
            f.c.received_on,
            f.c.source,
            f.c.summary,
            f.c.recorded_at,
        )
        .select_from(f.join(r, r.c.id == f.c.recommendation_id).join(v, v.c.id == r.c.review_id))
        .order_by(f.c.received_on.desc(), f.c.id.desc())
    )
    if recommendation_id is not None:
        query = query.where(f.c.recommendation_id == recommendation_id)
    if as_at is not None:
        query = query.where(f.c.recorded_at < cutoff(as_at))
    if scope.role == "agency_lead":
        query = query.where(f.c.recommendation_id.in_(_lead_recommendations(scope.agency_id)))
    elif not scope.full:
        query = query.where(f.c.id.is_(None))
    query = _review_filters(query, v, filters)
    rows = conn.execute(query).all()
    return pd.DataFrame(
        [
            (i, rid, ref, f"{num}. {title}" if title else str(num), on, src, text, at)
            for i, rid, ref, num, title, on, src, text, at in rows
        ],
        columns=FEEDBACK_COLUMNS,
    )


def feedback_counts(conn: Connection, as_at: date | None = None) -> dict[int, int]:
    """Feedback entries per recommendation id (impact evidence on Assurance)."""
    f = db.feedback
    query = select(f.c.recommendation_id, func.count()).group_by(f.c.recommendation_id)
    if as_at is not None:
        query = query.where(f.c.recorded_at < cutoff(as_at))
    return {int(r): int(n) for r, n in conn.execute(query).all()}


def editable_measures(conn: Connection, role: str, agency_id: int | None) -> pd.DataFrame:
    """Measures a user may record values for: all for an administrator, their agency's for a
    lead, none otherwise. Columns ``id, name, unit, review_ref, agency, version``."""
    m, r, v, g = db.measure, db.recommendation, db.review, db.agency
    query = (
        select(
            m.c.id,
            m.c.name,
            m.c.unit,
            v.c.ref.label("review_ref"),
            g.c.name.label("agency"),
            m.c.version,
        )
        .select_from(
            m.outerjoin(r, r.c.id == m.c.recommendation_id)
            .outerjoin(v, v.c.id == r.c.review_id)
            .outerjoin(g, g.c.id == m.c.agency_id)
        )
        .order_by(m.c.name, m.c.id)
    )
    if role == "agency_lead":
        query = query.where(m.c.agency_id == agency_id)
    elif role != "admin":
        query = query.where(m.c.id.is_(None))
    rows = conn.execute(query).all()
    return pd.DataFrame(
        [tuple(r) for r in rows], columns=["id", "name", "unit", "review_ref", "agency", "version"]
    )


def feedback_recommendations(conn: Connection, role: str, agency_id: int | None) -> pd.DataFrame:
    """Recommendations a user may record feedback for (an administrator: all; a lead: those their
    agency leads an action of or owns a measure of). Columns ``id, label``."""
    r, v = db.recommendation, db.review
    query = (
        select(r.c.id, v.c.ref, r.c.number, r.c.title)
        .select_from(r.join(v, v.c.id == r.c.review_id))
        .order_by(v.c.ref, r.c.id)
    )
    if role == "agency_lead":
        query = query.where(r.c.id.in_(_lead_recommendations(agency_id)))
    elif role != "admin":
        query = query.where(r.c.id.is_(None))
    rows = conn.execute(query).all()
    return pd.DataFrame(
        [(i, f"{ref} {num}. {title or ''}".strip()) for i, ref, num, title in rows],
        columns=["id", "label"],
    )


def period_words(value: str | date | None, frequency: str = "monthly") -> str:
    """A period end as a board reads it: ``May 2026`` (monthly), ``quarter to Jun 2026``."""
    if value is None or value == "":
        return "—"
    day = value if isinstance(value, date) else datetime.fromisoformat(str(value)[:10]).date()
    month = vocabulary.month_year(day)
    return f"quarter to {month}" if frequency == "quarterly" else month


def value_words(value: float | None, unit: str) -> str:
    """A value with its unit: ``85.5%``, ``12``, ``14.5 days``; "—" for none."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    number = f"{value:,.1f}".removesuffix(".0")
    return {"percent": f"{number}%", "days": f"{number} days"}.get(unit, number)


DISPLAY_COLUMNS = [
    "Measure",
    "Latest value",
    "Variation",
    "Assurance",
    "Target",
    "Latest period",
    "Owner",
    "Review",
    "Recommendation or theme",
    "Values",
]
"""The board's question first (where is it, is it changing, will it meet its target), then where
the measure comes from."""


def display_table(table: pd.DataFrame) -> pd.DataFrame:
    """The measures table as the page and the pack show it (all text but ``Values``; "—" for
    none). :param table: :func:`summaries`. :returns: columns :data:`DISPLAY_COLUMNS`."""
    dash = "—"

    def text(value: Any) -> str:
        return (
            dash
            if value is None or (isinstance(value, float) and math.isnan(value))
            else str(value)
        )

    def target(row: Any) -> str:
        if row.target_value is None or (
            isinstance(row.target_value, float) and math.isnan(row.target_value)
        ):
            return dash
        by = (
            f" by {period_words(row.target_on).replace('quarter to ', '')}" if row.target_on else ""
        )
        return value_words(float(row.target_value), row.unit) + by

    return pd.DataFrame(
        {
            "Measure": [text(v) for v in table["name"]],
            "Review": [text(v) for v in table["review_ref"]],
            "Recommendation or theme": [
                text(r if isinstance(r, str) else t)
                for r, t in zip(table["recommendation"], table["theme"], strict=True)
            ],
            "Owner": [text(v) for v in table["agency"]],
            "Latest period": [
                period_words(v) if isinstance(v, str) else dash for v in table["latest_period"]
            ],
            "Latest value": [
                value_words(None if pd.isna(v) else float(v), u)
                for v, u in zip(table["latest_value"], table["unit"], strict=True)
            ],
            "Target": [target(row) for row in table.itertuples()],
            "Variation": list(table["variation_text"]),
            "Assurance": list(table["assurance_text"]),
            "Values": [int(v) for v in table["points"]],
        },
        columns=DISPLAY_COLUMNS,
    )
