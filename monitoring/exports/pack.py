"""The meeting pack's content: every figure and table, read once, shared by every file format.

:func:`build_pack` reads the database for a meeting (its date is "today" for every rule) and
its baseline (the previous meeting). A meeting held before today (:func:`monitoring.config.today`)
is read from the records as they stood on its date (:mod:`monitoring.asat`): changes saved after
the meeting do not leak into its pack, and its figures equal the As-at overview's. A pack for
today, a later date or no meeting reads the records as they are now, like the dashboard. The PDF,
PowerPoint, Excel and CSV writers only lay out a :class:`MeetingPack`; none of them queries.

Figures come from the dashboard's own read models (:mod:`monitoring.queries`,
:mod:`monitoring.asat`, :mod:`monitoring.changes`); the queries in this module are the pack's own
sections (exception report, tracker, annual report), built on the same SQL rule expressions over
the same sources (:class:`monitoring.asat.Records`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, timedelta

import pandas as pd
from sqlalchemy import Connection, Select, and_, case, func, literal, or_, select
from sqlalchemy.sql.expression import FromClause

from monitoring import asat, config, queries, rules, vocabulary
from monitoring.asat import RECORDS_NOW, Records
from monitoring.changes import NO_BASELINE, NO_BASELINE_NOTE, saved_after_warning
from monitoring.db import (
    action,
    action_update,
    agency,
    due_date_change,
    evidence,
    meeting,
    recommendation,
    review,
)
from monitoring.queries import NO_FILTERS, Filters, OverviewFigures
from monitoring.source import FULL_SCOPE, Scope, Source

ESCALATION_BOARD_LEVEL = rules.BOARD_ESCALATION_LEVEL
"""Escalation level at which an overdue action is listed for the board's exception report (by
default 90+ days overdue), computed when read (:func:`monitoring.rules.is_escalated_to_board`)."""


EARLIEST = NO_BASELINE
"""Start of "changes since the last meeting" when there is no earlier meeting: changes to date,
without "newly overdue" (:data:`monitoring.changes.NO_BASELINE`)."""


class MeetingNotFound(LookupError):
    """No meeting is recorded on the date asked for."""


@dataclass(frozen=True)
class Meeting:
    """A board meeting: ``id``, the date it is ``held_on`` and its ``title``."""

    id: int
    held_on: date
    title: str


@dataclass(frozen=True)
class ReviewAnnual:
    """One review's entry in the annual report.

    ``actions_taken``: ``number, description, agency, status, completed_on (date)``.
    ``impact``: ``number, description, success_measure, status, evidence`` (completed or assured
    actions with their success measure and evidence titles or links).
    ``not_implemented``: ``number, title, reason`` (recommendations not accepted, closed as
    unacceptable, or with an action closed as not implemented, with the recorded reason).
    """

    review_id: int
    ref: str
    title: str
    review_type: str
    published_on: date | None
    actions_taken: pd.DataFrame
    impact: pd.DataFrame
    not_implemented: pd.DataFrame


@dataclass
class MeetingPack:
    """Everything in the meeting pack (DataFrame columns are listed in each section's function).

    ``today`` is the meeting date (or :func:`monitoring.config.today` when no meeting is chosen);
    ``baseline`` the previous meeting, from which "changes since the last meeting" run;
    ``as_at`` the meeting date when the pack was read from the records as they stood then (a past
    meeting), None when from the records now.
    """

    today: date
    meeting: Meeting | None
    baseline: Meeting | None
    board: str
    filters: Filters
    figures: OverviewFigures
    baseline_figures: OverviewFigures | None
    rag_by_review: pd.DataFrame
    overdue_by_agency: pd.DataFrame
    most_overdue: pd.DataFrame
    tracker: pd.DataFrame
    for_assurance: pd.DataFrame
    national: pd.DataFrame
    escalations: pd.DataFrame
    decisions: pd.DataFrame
    changes: pd.DataFrame
    reviews: pd.DataFrame
    scorecard: pd.DataFrame
    annual: list[ReviewAnnual] = field(default_factory=list)
    as_at: date | None = None
    charts_missing: str | None = None
    """Why the pack has no chart images (the browser timed out, case 11), said on its cover."""
    measures: pd.DataFrame | None = None
    """The page of measures as at the meeting: :func:`monitoring.measures.display_table` of
    :func:`monitoring.measures.pack_measures` (columns
    :data:`monitoring.measures.DISPLAY_COLUMNS`, worst first); None when not read."""
    brought_in: OverviewFigures | None = None
    """The figures now of the reviews an import brought in after the baseline meeting (their
    records are a baseline, :mod:`monitoring.changes`): counted in :attr:`figures`, left out of
    :attr:`baseline_figures`, so that the two columns do not read as progress the board never
    saw. None when there are none (or no baseline)."""
    saved_after_baseline: int = 0
    """Changes saved on the baseline meeting's day after it was recorded: they count as before
    it, so they are in no list here (:func:`monitoring.changes.saved_after_meeting`)."""

    @property
    def changes_note(self) -> str:
        """Words to show with :attr:`changes` ("" when none): with no baseline, that the list has
        no "newly overdue" (:data:`monitoring.changes.NO_BASELINE_NOTE`); else the warning of
        :func:`monitoring.changes.saved_after_warning` when changes were saved on the baseline
        meeting's day after it was recorded."""
        if not self.baseline:
            return NO_BASELINE_NOTE
        return saved_after_warning(self.saved_after_baseline, self.baseline.held_on) or ""

    @property
    def figures_label(self) -> str:
        """Words for the date of the figures: "Figures as the records stood on 30 Mar 2026" for
        a past meeting, "Figures as at 30 Jun 2026" for the records now."""
        return figures_label(self.today, self.as_at)

    @property
    def title(self) -> str:
        """The pack's title: the meeting's, or "Monitoring report" when no meeting is chosen."""
        return self.meeting.title if self.meeting else "Monitoring report"

    @property
    def red_items(self) -> pd.DataFrame:
        """Tracker rows rated Red (overdue or overridden to Red), most overdue first."""
        return red_items(self.tracker)

    @property
    def date_moves(self) -> pd.DataFrame:
        """Target dates moved since the baseline: the ``date_moved`` rows of :attr:`changes`."""
        return self.changes[self.changes["kind"] == "date_moved"]

    @property
    def since_label(self) -> str:
        """Words for the baseline: "since 30 Dec 2025 (Partnership board ...)" or "to date"."""
        if not self.baseline:
            return "to date (no earlier meeting)"
        return f"since {uk_date(self.baseline.held_on)} ({self.baseline.title})"


uk_date = vocabulary.uk_date
"""A date as ``d MMM yyyy`` (:func:`monitoring.vocabulary.uk_date`)."""


def figures_label(today: date, as_at: date | None) -> str:
    """Words for the date of a pack's figures (:attr:`MeetingPack.figures_label`)."""
    if as_at is not None:
        return f"Figures as the records stood on {uk_date(as_at)}"
    return f"Figures as at {uk_date(today)}"


def red_items(tracker_rows: pd.DataFrame) -> pd.DataFrame:
    """The rows of a :func:`tracker` frame rated Red (overdue or overridden to Red), most overdue
    first (:attr:`MeetingPack.red_items`)."""
    red = tracker_rows[tracker_rows["rag"] == "red"]
    return red.sort_values(["days_overdue", "review_ref"], ascending=[False, True])


# --- meetings ------------------------------------------------------------------------------


def list_meetings(conn: Connection) -> pd.DataFrame:
    """Every meeting, newest first.

    :returns: DataFrame ``id, held_on (date), title, baseline_id, baseline_held_on (date or None)``
        where the baseline is the recorded ``baseline_meeting_id`` or else the previous meeting.
    """
    rows = conn.execute(
        select(
            meeting.c.id, meeting.c.held_on, meeting.c.title, meeting.c.baseline_meeting_id
        ).order_by(meeting.c.held_on)
    ).all()
    held = {r.id: date.fromisoformat(r.held_on) for r in rows}
    out = []
    previous = None
    for r in rows:
        baseline_id = r.baseline_meeting_id or previous
        out.append(
            {
                "id": r.id,
                "held_on": held[r.id],
                "title": r.title,
                "baseline_id": baseline_id,
                "baseline_held_on": held.get(baseline_id) if baseline_id else None,
            }
        )
        previous = r.id
    frame = pd.DataFrame(out, columns=["id", "held_on", "title", "baseline_id", "baseline_held_on"])
    return frame.iloc[::-1].reset_index(drop=True)


def resolve_meeting(
    conn: Connection, held_on: date | None
) -> tuple[Meeting | None, Meeting | None, date]:
    """The meeting held on ``held_on``, its baseline, and the date to use as today.

    With ``held_on`` ``None`` there is no meeting: today is :func:`monitoring.config.today` and
    the baseline is the latest meeting before it.

    :raises MeetingNotFound: when no meeting is recorded on ``held_on`` (the message lists them).
    """
    frame = list_meetings(conn)
    by_id = {int(r.id): Meeting(int(r.id), r.held_on, r.title) for r in frame.itertuples()}
    if held_on is None:
        today = config.today()
        earlier = frame[frame["held_on"] < today]
        baseline = by_id[int(earlier.iloc[0]["id"])] if not earlier.empty else None
        return None, baseline, today
    match = frame[frame["held_on"] == held_on]
    if match.empty:
        known = ", ".join(d.isoformat() for d in frame["held_on"]) or "none recorded"
        raise MeetingNotFound(
            f"No meeting is recorded on {held_on.isoformat()}; meetings: {known}."
        )
    row = match.iloc[0]
    baseline_id = row["baseline_id"]
    baseline = by_id.get(int(baseline_id)) if pd.notna(baseline_id) else None
    return by_id[int(row["id"])], baseline, held_on


# --- the pack's own sections -----------------------------------------------------------------

TRACKER_COLUMNS = [
    "action_id",
    "review_id",
    "review_ref",
    "review_title",
    "recommendation_number",
    "recommendation_title",
    "number",
    "description",
    "success_measure",
    "agency",
    "lead_officer",
    "original_due_on",
    "due_on",
    "status",
    "rag",
    "rag_overridden",
    "days_overdue",
    "completed_on",
    "last_update_on",
    "progress_note",
]


def tracker(
    conn: Connection,
    today: date,
    filters: Filters = NO_FILTERS,
    *,
    window_days: int = 30,
    records: Records = RECORDS_NOW,
    scope: Scope = FULL_SCOPE,
) -> pd.DataFrame:
    """Every action, as the business manager's tracker: one row per action.

    ``scope``: the reader's (:class:`monitoring.source.Scope`): ``progress_note`` is None where
    the reader may not read the action's notes, ``lead_officer`` None for a reader who may not
    read officers' names; the rows are those of ``records`` (already narrowed to the reader's
    reviews by :meth:`monitoring.source.Source.records`).

    The rows, RAG and days overdue are the Actions page's (:func:`monitoring.queries.action_list`,
    view ``all``); the pack adds the review and recommendation titles, success measure,
    completion date, whether the RAG was set by hand, and the latest progress note
    (:func:`monitoring.queries.latest_note_sql`; for records as at a date, the latest dated on or
    before it).

    :returns: DataFrame with :data:`TRACKER_COLUMNS`: ids, ``review_ref``, ``review_title``,
        ``recommendation_number``, ``recommendation_title``, ``number``, ``description``,
        ``success_measure``, ``agency`` (lead agency name), ``lead_officer``, dates as ``date``
        (``original_due_on``, ``due_on``, ``completed_on``, ``last_update_on``), ``status`` code,
        ``rag`` code, ``rag_overridden`` (bool), ``days_overdue`` (int), ``progress_note`` (the
        latest note, or ``None``). In the Actions page's order (review, recommendation, action).
    """
    a = records.a
    base = queries.action_list(conn, today, filters, view="all", window_days=window_days, a=a)
    extra = pd.DataFrame(
        conn.execute(
            select(
                a.c.id.label("action_id"),
                review.c.id.label("review_id"),
                review.c.title.label("review_title"),
                recommendation.c.title.label("recommendation_title"),
                a.c.success_measure,
                a.c.completed_on,
                queries.has_override_sql(a).label("rag_overridden"),
                case(
                    (scope.detail_sql(a), queries.latest_note_sql(a, before=records.end)),
                    else_=literal(None),
                ).label("progress_note"),
            )
            .select_from(
                a.join(recommendation, recommendation.c.id == a.c.recommendation_id).join(
                    review, review.c.id == a.c.review_id
                )
            )
            .where(queries.action_filter(filters, today, window_days, a))
        ).all(),
        columns=[
            "action_id",
            "review_id",
            "review_title",
            "recommendation_title",
            "success_measure",
            "completed_on",
            "rag_overridden",
            "progress_note",
        ],
    )
    frame = base.merge(extra, on="action_id", how="left", validate="one_to_one")
    frame["rag_overridden"] = frame["rag_overridden"].fillna(False).astype(bool)
    frame["days_overdue"] = frame["days_overdue"].astype(int)
    frame = _dates(frame, "completed_on")
    if not scope.sees_officers:
        frame["lead_officer"] = None
    return frame[TRACKER_COLUMNS].reset_index(drop=True)


def _dates(frame: pd.DataFrame, *columns: str) -> pd.DataFrame:
    for column in columns:
        frame[column] = [rules.parse_iso(v) if isinstance(v, str) else None for v in frame[column]]
    return frame


def _action_ref_columns(a: FromClause = action):
    return (
        a.c.id.label("action_id"),
        review.c.ref.label("review_ref"),
        recommendation.c.number.label("recommendation_number"),
        a.c.number,
        a.c.description,
        func.coalesce(agency.c.name, queries.NO_AGENCY).label("agency"),
    )


def _action_joins(a: FromClause = action):
    return (
        a.join(recommendation, recommendation.c.id == a.c.recommendation_id)
        .join(review, review.c.id == a.c.review_id)
        .outerjoin(agency, agency.c.id == a.c.lead_agency_id)
    )


def _ready_recommendations_select(filters: Filters, records: Records) -> Select:
    """The select of recommendations ready for assurance (``ready_for_assessment`` and not
    withdrawn, :func:`monitoring.rules.is_ready_for_assurance`): rows ``ref, number, title``."""
    r = records.r
    return (
        select(review.c.ref, r.c.number, r.c.title)
        .select_from(r.join(review, review.c.id == r.c.review_id))
        .where(
            queries.is_ready_for_assurance_sql(r, records.a),
            queries.recommendation_filter(filters, r, records.a),
        )
        .order_by(review.c.ref, r.c.id)
    )


def _completed_actions_select(today: date, filters: Filters, records: Records) -> Select:
    """The select of actions the agency reports ``completed`` (not yet assured by the board)."""
    a = records.a
    return (
        select(*_action_ref_columns(a), a.c.completed_on)
        .select_from(_action_joins(a))
        .where(queries.is_reported_completed_sql(a), queries.action_filter(filters, today, 30, a))
        .order_by(review.c.ref, recommendation.c.id, a.c.id)
    )


def for_assurance_selects(
    today: date, filters: Filters = NO_FILTERS, *, records: Records = RECORDS_NOW
) -> tuple[Select, ...]:
    """The selects :func:`for_assurance` runs, one output row per row of each: the
    recommendations ready for assurance, then the actions reported completed."""
    return (
        _ready_recommendations_select(filters, records),
        _completed_actions_select(today, filters, records),
    )


def count_rows(conn: Connection, selects: tuple[Select, ...]) -> int:
    """How many rows the ``selects`` return together: ``SELECT count(*)`` over each as a
    subquery (its ``ORDER BY`` dropped, which changes no count), summed. A list built from the
    rows of these selects, one output row per row, has this length (:func:`board_list_counts`)."""
    return sum(
        int(conn.execute(select(func.count()).select_from(s.order_by(None).subquery())).scalar())
        for s in selects
    )


def for_assurance(
    conn: Connection,
    today: date,
    filters: Filters = NO_FILTERS,
    *,
    records: Records = RECORDS_NOW,
) -> pd.DataFrame:
    """Items proposed for closure or assurance: actions the agency reports ``completed`` (the
    board has not yet assured them) and recommendations ``ready_for_assessment``.

    :param records: the records read (default now; or as at a date, :mod:`monitoring.asat`).
    :returns: DataFrame ``kind, review_ref, item, description, agency, since (date or None)``.
    """
    ready, completed = for_assurance_selects(today, filters, records=records)
    actions = conn.execute(completed).all()
    recs = conn.execute(ready).all()
    out = [
        {
            "kind": "Recommendation ready for assurance",
            "review_ref": r.ref,
            "item": f"Recommendation {r.number}",
            "description": r.title or "",
            "agency": "",
            "since": None,
        }
        for r in recs
    ] + [
        {
            "kind": "Action completed, awaiting assurance",
            "review_ref": a.review_ref,
            "item": f"Action {vocabulary.action_ref(a.recommendation_number, a.number)}",
            "description": a.description,
            "agency": a.agency,
            "since": rules.parse_iso(a.completed_on),
        }
        for a in actions
    ]
    return pd.DataFrame(
        out, columns=["kind", "review_ref", "item", "description", "agency", "since"]
    )


def national_dependencies(
    conn: Connection,
    today: date,
    filters: Filters = NO_FILTERS,
    *,
    records: Records = RECORDS_NOW,
) -> pd.DataFrame:
    """Recommendations that depend on national change (reported apart from local delivery).

    :param records: the records read (default now; or as at a date, :mod:`monitoring.asat`).
    :returns: DataFrame ``review_ref, number, title, text, response_status, open_actions``.
    """
    a, r = records.a, records.r
    open_count = (
        select(func.count())
        .select_from(a)
        .where(a.c.recommendation_id == r.c.id, queries.is_open_sql(a))
        .scalar_subquery()
    )
    rows = conn.execute(
        select(
            review.c.ref.label("review_ref"),
            r.c.number,
            r.c.title,
            r.c.text,
            r.c.response_status,
            open_count.label("open_actions"),
        )
        .select_from(r.join(review, review.c.id == r.c.review_id))
        .where(r.c.national_dependency.is_(True), queries.recommendation_filter(filters, r, a))
        .order_by(review.c.ref, r.c.id)
    ).all()
    return pd.DataFrame(
        rows, columns=["review_ref", "number", "title", "text", "response_status", "open_actions"]
    )


def board_escalations_selects(
    today: date, filters: Filters = NO_FILTERS, *, records: Records = RECORDS_NOW
) -> tuple[Select, ...]:
    """The one select :func:`board_escalations` runs (one output row per row): open actions
    escalated to the board on ``today`` by the ladder rule, longest overdue first."""
    from monitoring.reminders import escalation_ladder

    days = tuple(step.days for step in escalation_ladder())
    a = records.a
    return (
        select(
            *_action_ref_columns(a),
            a.c.due_on,
            queries.days_overdue_sql(today, a).label("days_overdue"),
        )
        .select_from(_action_joins(a))
        .where(
            queries.is_escalated_to_board_sql(today, days, a),
            queries.action_filter(filters, today, 30, a),
        )
        .order_by(a.c.due_on, a.c.id),
    )


def board_escalations(
    conn: Connection,
    today: date,
    filters: Filters = NO_FILTERS,
    *,
    records: Records = RECORDS_NOW,
) -> pd.DataFrame:
    """Overdue actions escalated to the board, computed when read by the ladder rule
    (:func:`monitoring.rules.is_escalated_to_board`: level :data:`ESCALATION_BOARD_LEVEL`, by
    default 90 or more days overdue on ``today``; ``MONITORING_ESCALATION_DAYS``). The
    ``escalation`` table only records the notices ``remind`` sent: an action is escalated whether
    or not a notice went out, and a moved target date restarts the count.

    :param records: the records read (default now; or as at a date: the target date and
        "overdue" as they stood then, :mod:`monitoring.asat`).

    :returns: DataFrame ``action_id, review_ref, recommendation_number, number, description,
        agency, level, level_name, reached_on (date: the target date plus the level's days),
        days_overdue (int, as at today)``, longest overdue first.
    """
    (escalated,) = board_escalations_selects(today, filters, records=records)
    return _escalations_frame(conn.execute(escalated).all())


def _escalations_frame(rows: list) -> pd.DataFrame:
    """:func:`board_escalations`' DataFrame from the rows of its select, one row each."""
    from monitoring.reminders import escalation_ladder

    ladder = escalation_ladder()
    days = tuple(step.days for step in ladder)
    out = []
    for row in rows:
        level = rules.escalation_level_for(int(row.days_overdue), days)
        step = ladder[level - 1]
        reached = date.fromisoformat(row.due_on) + timedelta(days=step.days)
        out.append((*row[:6], level, step.name, reached, int(row.days_overdue)))
    columns = [
        "action_id",
        "review_ref",
        "recommendation_number",
        "number",
        "description",
        "agency",
        "level",
        "level_name",
        "reached_on",
        "days_overdue",
    ]
    return pd.DataFrame(out, columns=columns)


def decisions_needed_selects(
    today: date, filters: Filters = NO_FILTERS, *, records: Records = RECORDS_NOW
) -> tuple[Select, ...]:
    """The selects :func:`decisions_needed` runs, one output row per row of each, in its order:
    target-date changes pending, actions escalated to the board (:func:`board_escalations_selects`),
    recommendations ready for assurance, responses overdue.

    :param records: the records read (default now: changes pending now and requested on or
        before ``today``; as at a date: changes requested on or before it and not decided before
        its end, with statuses as they stood then, :mod:`monitoring.asat`).
    """
    a, r, ddc = records.a, records.r, due_date_change
    if records.end is None:
        open_request = and_(
            ddc.c.decision == "pending",
            ddc.c.requested_at < asat.cutoff(today),
        )
    else:
        open_request = and_(
            ddc.c.requested_at < records.end,
            or_(ddc.c.decided_at.is_(None), ddc.c.decided_at >= records.end),
        )
    pending = (
        select(
            *_action_ref_columns(a),
            ddc.c.old_due_on,
            ddc.c.new_due_on,
            ddc.c.reason,
        )
        .select_from(_action_joins(a).join(ddc, ddc.c.action_id == a.c.id))
        .where(open_request, queries.action_filter(filters, today, 30, a))
        .order_by(ddc.c.requested_at)
    )
    late = (
        select(review.c.ref, r.c.number, r.c.title, r.c.response_due_on)
        .select_from(r.join(review, review.c.id == r.c.review_id))
        .where(
            r.c.response_status == "awaiting",
            r.c.response_due_on.is_not(None),
            r.c.response_due_on < today.isoformat(),
            # Still awaited: an action is open, or none exists yet. A PFD report's recipients
            # reply through its actions, so a report every recipient has answered is not chased.
            or_(
                select(a.c.id)
                .where(a.c.recommendation_id == r.c.id, queries.is_open_sql(a))
                .exists(),
                ~select(a.c.id).where(a.c.recommendation_id == r.c.id).exists(),
            ),
            queries.recommendation_filter(filters, r, a),
        )
        .order_by(r.c.response_due_on)
    )
    (escalated,) = board_escalations_selects(today, filters, records=records)
    return (pending, escalated, _ready_recommendations_select(filters, records), late)


BOARD_LIST_SELECTS = {
    "decisions": decisions_needed_selects,
    "escalated": board_escalations_selects,
    "for_assurance": for_assurance_selects,
}
"""The board's lists whose rows are one per row of their selects: list kind -> the function
giving the selects (:func:`board_list_counts`)."""


def board_list_counts(
    conn: Connection,
    kinds: tuple[str, ...],
    today: date,
    filters: Filters = NO_FILTERS,
    *,
    records: Records = RECORDS_NOW,
) -> dict[str, int]:
    """How many rows each of the board's lists ``kinds`` has (``decisions``:
    :func:`decisions_needed`, ``escalated``: :func:`board_escalations`, ``for_assurance``:
    :func:`for_assurance`) for these arguments, without reading them: for each, the sum of
    :func:`count_rows` over the very selects the list runs (:data:`BOARD_LIST_SELECTS`). A select
    two lists share (the escalations, the recommendations ready for assurance) is counted once:
    selects are the same when their SQL and parameters, as compiled for this database, are.

    :returns: ``{kind: rows}``. :raises KeyError: for another kind.
    """
    counted: dict[tuple[str, str], int] = {}
    out = {}
    for kind in kinds:
        total = 0
        for one_select in BOARD_LIST_SELECTS[kind](today, filters, records=records):
            compiled = one_select.compile(dialect=conn.dialect)
            key = (str(compiled), repr(sorted(compiled.params.items())))
            if key not in counted:
                counted[key] = count_rows(conn, (one_select,))
            total += counted[key]
        out[kind] = total
    return out


def decisions_needed(
    conn: Connection,
    today: date,
    filters: Filters = NO_FILTERS,
    *,
    escalations: pd.DataFrame | None = None,
    records: Records = RECORDS_NOW,
) -> pd.DataFrame:
    """What the board is asked to decide: pending target-date changes, actions escalated to the
    board, recommendations ready for assurance, and responses overdue.

    :param records: the records read (default now: changes pending now and requested on or
        before ``today``; as at a date: changes requested on or before it and not decided before
        its end, with statuses as they stood then, :mod:`monitoring.asat`).
    :returns: DataFrame ``decision, review_ref, item, description, detail``.
    """
    out: list[dict] = []
    pending_select, escalated_select, ready_select, late_select = decisions_needed_selects(
        today, filters, records=records
    )
    pending = conn.execute(pending_select).all()
    for p in pending:
        out.append(
            {
                "decision": "Approve or refuse a new target date",
                "review_ref": p.review_ref,
                "item": f"Action {vocabulary.action_ref(p.recommendation_number, p.number)}",
                "description": p.description,
                "detail": f"{uk_date(p.old_due_on) or 'no date'} → {uk_date(p.new_due_on)}: "
                f"{p.reason}",
            }
        )
    if escalations is None:
        escalations = _escalations_frame(conn.execute(escalated_select).all())
    for e in escalations.itertuples():
        out.append(
            {
                "decision": "Escalated to the board: agree how to unblock",
                "review_ref": e.review_ref,
                "item": f"Action {vocabulary.action_ref(e.recommendation_number, e.number)}",
                "description": e.description,
                "detail": f"{e.agency}, {e.days_overdue} days overdue",
            }
        )
    for row in conn.execute(ready_select).all():
        out.append(
            {
                "decision": "Assure or return a recommendation",
                "review_ref": row.ref,
                "item": f"Recommendation {row.number}",
                "description": row.title or "",
                "detail": "All actions completed; evidence to be seen",
            }
        )
    late = conn.execute(late_select).all()
    for row in late:
        out.append(
            {
                "decision": "Chase a response that is overdue",
                "review_ref": row.ref,
                "item": f"Recommendation {row.number}",
                "description": row.title or "",
                "detail": f"Response was due {uk_date(row.response_due_on)}",
            }
        )
    return pd.DataFrame(out, columns=["decision", "review_ref", "item", "description", "detail"])


def annual_report(
    conn: Connection,
    today: date,
    filters: Filters = NO_FILTERS,
    *,
    records: Records = RECORDS_NOW,
    scope: Scope = FULL_SCOPE,
) -> list[ReviewAnnual]:
    """For the annual report, per review: actions taken, evidence of impact, and recommendations
    not implemented with their reasons (see :class:`ReviewAnnual`). Reviews ordered by ref.

    :param records: the records read (default now; or as at a date: statuses, dates, success
        measures, closure reasons and responses as they stood then, and only evidence added
        on or before it, :mod:`monitoring.asat`).
    :param scope: the reader's: evidence is listed only for actions whose evidence they may read.
    """
    a, r, rv = records.a, records.r, records.rv
    review_rows = conn.execute(
        select(rv.c.id, rv.c.ref, rv.c.title, rv.c.review_type, rv.c.published_on)
        .where(
            rv.c.id.in_(select(r.c.review_id).where(queries.recommendation_filter(filters, r, a)))
            if not filters.is_empty()
            else literal(True)
        )
        .order_by(rv.c.ref)
    ).all()
    done = conn.execute(
        select(
            a.c.id,
            a.c.review_id,
            a.c.number,
            a.c.description,
            a.c.success_measure,
            a.c.status,
            a.c.completed_on,
            func.coalesce(agency.c.name, queries.NO_AGENCY).label("agency"),
            a.c.lead_agency_id,
        )
        .select_from(a.outerjoin(agency, agency.c.id == a.c.lead_agency_id))
        .where(
            a.c.status.in_(tuple(rules.DONE_STATUSES)),
            or_(a.c.completed_on.is_(None), a.c.completed_on <= today.isoformat()),
            queries.action_filter(filters, today, 30, a),
        )
        .order_by(a.c.recommendation_id, a.c.id)
    ).all()
    done_ids = [d.id for d in done if scope.sees_agency_detail(d.lead_agency_id)]
    proof: dict[int, list[str]] = {}
    end = records.end
    if done_ids:
        for e in conn.execute(
            select(evidence.c.action_id, evidence.c.title, evidence.c.url)
            .where(
                evidence.c.action_id.in_(done_ids),
                *(
                    [or_(evidence.c.uploaded_at.is_(None), evidence.c.uploaded_at < end)]
                    if end
                    else []
                ),
            )
            .order_by(evidence.c.id)
        ):
            proof.setdefault(e.action_id, []).append(e.title + (f" ({e.url})" if e.url else ""))
        for u in conn.execute(
            select(action_update.c.action_id, action_update.c.evidence_url)
            .where(
                action_update.c.action_id.in_(done_ids),
                action_update.c.evidence_url.is_not(None),
                *([action_update.c.created_at < end] if end else []),
            )
            .order_by(action_update.c.created_at)
        ):
            links = proof.setdefault(u.action_id, [])
            if u.evidence_url not in links:
                links.append(u.evidence_url)
    # not being implemented by the rule (issue 19: never also counted as assured), or with some
    # action closed as not implemented ("in part")
    whole = queries.recommendation_not_delivered_sql(r, a.alias("every_action"))
    not_done = conn.execute(
        select(
            r.c.review_id,
            r.c.number,
            r.c.title,
            r.c.response_status,
            r.c.assurance_status,
            func.max(a.c.closure_reason).label("reason"),
            func.max(case((whole, 1), else_=0)).label("whole"),
        )
        .select_from(
            r.outerjoin(
                a,
                and_(a.c.recommendation_id == r.c.id, a.c.status == "not_implemented"),
            )
        )
        .where(queries.recommendation_filter(filters, r, a))
        .group_by(
            r.c.id,
            r.c.review_id,
            r.c.number,
            r.c.title,
            r.c.response_status,
            r.c.assurance_status,
        )
        .having(
            or_(
                func.max(case((whole, 1), else_=0)) == 1,
                func.count(a.c.id) > 0,
            )
        )
        .order_by(r.c.review_id, r.c.id)
    ).all()
    # grouped by review once (a scan of every row per review took a minute at 100,000 actions)
    done_by_review: dict[int, list] = {}
    for d in done:
        done_by_review.setdefault(d.review_id, []).append(d)
    not_done_by_review: dict[int, list] = {}
    for n in not_done:
        not_done_by_review.setdefault(n.review_id, []).append(n)
    result = []
    for rv in review_rows:
        taken = done_by_review.get(rv.id, [])
        result.append(
            ReviewAnnual(
                review_id=rv.id,
                ref=rv.ref,
                title=rv.title,
                review_type=rv.review_type,
                published_on=rules.parse_iso(rv.published_on),
                actions_taken=pd.DataFrame(
                    [
                        (
                            d.number,
                            d.description,
                            d.agency,
                            d.status,
                            rules.parse_iso(d.completed_on),
                        )
                        for d in taken
                    ],
                    columns=["number", "description", "agency", "status", "completed_on"],
                ),
                impact=pd.DataFrame(
                    [
                        (
                            d.number,
                            d.description,
                            d.success_measure or "",
                            d.status,
                            "; ".join(proof.get(d.id, [])),
                        )
                        for d in taken
                        if d.success_measure or proof.get(d.id)
                    ],
                    columns=["number", "description", "success_measure", "status", "evidence"],
                ),
                not_implemented=pd.DataFrame(
                    [
                        (n.number, n.title or "", _not_implemented_reason(n))
                        for n in not_done_by_review.get(rv.id, [])
                    ],
                    columns=["number", "title", "reason"],
                ),
            )
        )
    return result


def _not_implemented_reason(row) -> str:
    """Why: the recorded reason, or the recommendation's status in words; "In part: ..." for a
    recommendation still being implemented (:func:`monitoring.rules.recommendation_not_delivered`
    false) with an action closed as not implemented."""
    if row.reason:
        reason = row.reason
    elif row.response_status == "not_accepted":
        reason = "Recommendation not accepted"
    elif row.assurance_status == "closed_unacceptable":
        reason = "Closed by the board: evidence not acceptable"
    elif row.assurance_status == "superseded":
        reason = "Recommendation superseded"
    else:
        reason = "No reason recorded"
    return reason if row.whole else f"In part (an action was not implemented): {reason}"


# --- the whole pack --------------------------------------------------------------------------


def build_pack(
    conn: Connection,
    meeting_on: date | None = None,
    filters: Filters = NO_FILTERS,
    *,
    board: str | None = None,
    annual: bool = True,
    scope: Scope = FULL_SCOPE,
) -> MeetingPack:
    """Read every section of the meeting pack for the meeting held on ``meeting_on``.

    Today is the meeting date (or :func:`monitoring.config.today` when ``meeting_on`` is None);
    the baseline is the previous meeting. A meeting held before :func:`monitoring.config.today`
    is read from the records as they stood on its date; otherwise every section reads the records
    now. The figures, charts' data, most overdue actions, review register, scorecard and changes
    are those of the one read path (:mod:`monitoring.reads`) for a :class:`monitoring.source.Source`
    of that date, these filters and this reader, so they equal the pages'. Thresholds come from
    :func:`monitoring.config.thresholds` as on the dashboard.

    :param board: the board named on the cover (default: the board of most reviews).
    :param annual: read the per-review annual report (only the detailed PDF shows it; reading
        it is most of the pack's time on the real PFD data: 4.5 of 5.1 s).
    :param scope: the reader's (:class:`monitoring.source.Scope`); default everything (commands).
    :raises MeetingNotFound: when no meeting is recorded on ``meeting_on``.
    """
    the_meeting, baseline, today, src = pack_source(conn, meeting_on, filters, scope=scope)
    # a past meeting: its records are rebuilt from history once, not by every section
    with asat.materialised(conn, src.as_at):
        return _build_pack(conn, src, the_meeting, baseline, today, board, annual, scope)


def pack_source(
    conn: Connection,
    meeting_on: date | None = None,
    filters: Filters = NO_FILTERS,
    *,
    scope: Scope = FULL_SCOPE,
) -> tuple[Meeting | None, Meeting | None, date, Source]:
    """The meeting held on ``meeting_on``, its baseline, the pack's "today" (the meeting's date,
    or :func:`monitoring.config.today` with no meeting) and the :class:`monitoring.source.Source`
    every section of its pack reads: as at the meeting's date when it is before today, else
    the records now; the thresholds of :func:`monitoring.config.thresholds`.

    :raises MeetingNotFound: when no meeting is recorded on ``meeting_on``.
    """
    the_meeting, baseline, today = resolve_meeting(conn, meeting_on)
    limits = config.thresholds()
    now = config.today()
    src = Source(
        today=max(today, now),
        scope=scope,
        filters=replace(filters, as_at=None),
        as_at=today if today < now else None,
        window_days=limits.due_soon_days,
        stale_days=limits.stale_days,
    )
    return the_meeting, baseline, today, src


@dataclass(frozen=True)
class PackHeadline:
    """What the Meeting pack page shows before the pack is prepared: the meeting, its baseline,
    the pack's figures and the length of each list its tiles open, read without reading the
    lists (:func:`headline`). Each figure equals the pack's (:func:`build_pack`) for the same
    meeting, filters and reader: ``overdue`` is ``figures.overdue``, ``red`` the rows of
    :attr:`MeetingPack.red_items`, ``changes`` of :attr:`MeetingPack.changes`, ``decisions`` of
    :attr:`MeetingPack.decisions`; ``brought_in`` is :attr:`MeetingPack.brought_in`."""

    today: date
    meeting: Meeting | None
    baseline: Meeting | None
    as_at: date | None
    figures: OverviewFigures
    red: int
    changes: int
    decisions: int
    brought_in: OverviewFigures | None = None

    @property
    def overdue(self) -> int:
        """Overdue actions: the rows of the pack's tracker with days overdue."""
        return self.figures.overdue

    @property
    def figures_label(self) -> str:
        """As :attr:`MeetingPack.figures_label`."""
        return figures_label(self.today, self.as_at)


PACK_LISTS = ("overdue", "red", "changes", "decisions")
"""The lists the Meeting pack page's tiles open (:func:`pack_list`)."""


def red_items_selects(
    today: date,
    filters: Filters = NO_FILTERS,
    *,
    window_days: int = 30,
    records: Records = RECORDS_NOW,
) -> tuple[Select, ...]:
    """The select of the tracker's rows rated Red, one row each (:func:`count_rows` counts
    :attr:`MeetingPack.red_items` with it): the rows of :func:`tracker` (the Actions page's
    ``all`` view: actions with their recommendation and review, the filters) whose RAG
    (:func:`monitoring.queries.rag_sql`, the override when it has a reason) is ``red``."""
    a = records.a
    return (
        select(a.c.id)
        .select_from(
            a.join(recommendation, recommendation.c.id == a.c.recommendation_id).join(
                review, review.c.id == a.c.review_id
            )
        )
        .where(
            queries.action_filter(filters, today, window_days, a),
            queries.rag_sql(today, window_days, a) == "red",
        ),
    )


def headline(
    conn: Connection,
    meeting_on: date | None = None,
    filters: Filters = NO_FILTERS,
    *,
    scope: Scope = FULL_SCOPE,
) -> PackHeadline:
    """The meeting pack's figures and its lists' lengths (:class:`PackHeadline`) without building
    the pack: the overview figures (for the records now, from the roll-ups), a ``count(*)`` of
    the red items (:func:`red_items_selects`) and of the decisions (the selects
    :func:`decisions_needed` runs, :func:`board_list_counts`), and the changes since the
    baseline. A past meeting's records are rebuilt from history once for all of them.

    :raises MeetingNotFound: when no meeting is recorded on ``meeting_on``.
    """
    from monitoring import reads

    the_meeting, baseline, today, src = pack_source(conn, meeting_on, filters, scope=scope)
    since = baseline.held_on if baseline else EARLIEST
    split = _brought_in_split(conn, src, baseline.held_on, today) if baseline else None
    with asat.materialised(conn, src.as_at):
        records = src.records()
        (decisions,) = board_list_counts(
            conn, ("decisions",), today, src.filters, records=records
        ).values()
        return PackHeadline(
            today=today,
            meeting=the_meeting,
            baseline=baseline,
            as_at=records.as_at,
            figures=reads.overview(conn, src),
            red=count_rows(
                conn,
                red_items_selects(today, src.filters, window_days=src.window_days, records=records),
            ),
            changes=len(reads.changes_between(conn, src, since, today)),
            decisions=decisions,
            brought_in=_brought_in_figures(conn, src, split[1]) if split else None,
        )


def pack_list(
    conn: Connection,
    meeting_on: date | None,
    kind: str,
    filters: Filters = NO_FILTERS,
    *,
    scope: Scope = FULL_SCOPE,
) -> pd.DataFrame:
    """One list of the meeting pack, read as :func:`build_pack` reads it (the same functions,
    source and records), without reading the rest of the pack.

    :param kind: one of :data:`PACK_LISTS`: ``overdue`` (the :func:`tracker` rows with days
        overdue, in its order), ``red`` (:attr:`MeetingPack.red_items`), ``changes``
        (:attr:`MeetingPack.changes`), ``decisions`` (:attr:`MeetingPack.decisions`).
    :raises ValueError: for another ``kind``. :raises MeetingNotFound: as :func:`build_pack`.
    """
    from monitoring import reads

    if kind not in PACK_LISTS:
        raise ValueError(f"kind must be one of {', '.join(PACK_LISTS)}, got {kind!r}")
    _, baseline, today, src = pack_source(conn, meeting_on, filters, scope=scope)
    with asat.materialised(conn, src.as_at):
        records = src.records()
        if kind == "changes":
            since = baseline.held_on if baseline else EARLIEST
            return reads.changes_between(conn, src, since, today)
        if kind == "decisions":
            return decisions_needed(conn, today, src.filters, records=records)
        rows = tracker(
            conn, today, src.filters, window_days=src.window_days, records=records, scope=scope
        )
    if kind == "red":
        return red_items(rows)
    return rows[rows["days_overdue"] > 0]


def baseline_figures(
    conn: Connection,
    meeting_on: date | None = None,
    filters: Filters = NO_FILTERS,
    *,
    scope: Scope = FULL_SCOPE,
) -> OverviewFigures | None:
    """The pack's ``baseline_figures`` (the overview as the records stood on the baseline
    meeting's date, without the reviews brought in since: :func:`_baseline_figures`) without
    building the pack; None when the meeting has no baseline.

    :raises MeetingNotFound: as :func:`build_pack`.
    """
    _, baseline, today, src = pack_source(conn, meeting_on, filters, scope=scope)
    if baseline is None:
        return None
    return _baseline_figures(conn, src, baseline.held_on, today, once=True)[0]


def _build_pack(
    conn: Connection,
    src: Source,
    the_meeting,
    baseline,
    today: date,
    board: str | None,
    annual: bool,
    scope: Scope,
) -> MeetingPack:
    from monitoring import measures, reads

    records = src.records()
    if board is None:
        board = config.board_name()

    filters = src.filters
    window = src.window_days
    baseline_figures = brought_in = None
    if baseline is not None:
        baseline_figures, brought_in = _baseline_figures(
            conn, src, baseline.held_on, today, once=True
        )
    since = baseline.held_on if baseline else EARLIEST
    escalations = board_escalations(conn, today, filters, records=records)
    reviews = reads.review_register(conn, src)
    measure_rows = measures.pack_measures(conn, today, filters, scope=scope)
    return MeetingPack(
        today=today,
        meeting=the_meeting,
        baseline=baseline,
        board=board,
        filters=filters,
        figures=reads.overview(conn, src),
        baseline_figures=baseline_figures,
        rag_by_review=reads.rag_by_review(conn, src),
        overdue_by_agency=reads.overdue_by_agency(conn, src),
        most_overdue=reads.most_overdue(conn, src, limit=10),
        tracker=tracker(conn, today, filters, window_days=window, records=records, scope=scope),
        for_assurance=for_assurance(conn, today, filters, records=records),
        national=national_dependencies(conn, today, filters, records=records),
        escalations=escalations,
        decisions=decisions_needed(conn, today, filters, escalations=escalations, records=records),
        changes=reads.changes_between(conn, src, since, today),
        reviews=reviews,
        scorecard=reads.scorecard(conn, src),
        annual=annual_report(conn, today, filters, records=records, scope=scope) if annual else [],
        as_at=records.as_at,
        measures=measures.display_table(measure_rows),
        brought_in=brought_in,
        saved_after_baseline=(
            reads.saved_after_meeting(conn, src, baseline.held_on) if baseline else 0
        ),
    )


NO_REVIEW = -1
"""A review id no review has (ids start at 1): a review filter of it matches nothing."""


def _baseline_figures(
    conn: Connection, src: Source, held_on: date, today: date, *, once: bool = False
) -> tuple[OverviewFigures, OverviewFigures | None]:
    """The summary figures at the baseline meeting (held on ``held_on``), and those now of the
    reviews an import brought in after it (None when there are none in the reader's figures).

    A review an import brought in after the baseline meeting was not in the board's records at
    that meeting: its records are a baseline, not progress (:mod:`monitoring.changes`; dated by
    :func:`monitoring.changes.baselines`). Rebuilt "as at" the meeting, its imported statuses
    would read as awaited then and done now, so the baseline figures leave such reviews out, and
    the pack says how many the figures now hold (a fresh user read 828 PFD replies "arriving"
    between two meetings from a file imported after the first).

    ``once``: the baseline's records are rebuilt from history once for all its figures
    (:func:`monitoring.asat.materialised`: the same rows; at 100,000 actions 3.9 s of CPU instead
    of 6.7 s), as the Meeting pack page reads them (:func:`baseline_figures`). :func:`build_pack`
    reads them from the reconstruction itself (``tests/test_size.py`` counts the temporary tables
    a pack builds: its meeting's three)."""
    from monitoring import reads

    at_baseline = replace(src, as_at=held_on)
    split = _brought_in_split(conn, src, held_on, today)
    if split is not None:
        at_baseline = replace(at_baseline, filters=replace(src.filters, review_ids=split[0]))
    with asat.materialised(conn, held_on if once else None):
        figures = reads.overview(conn, at_baseline)
    return figures, (_brought_in_figures(conn, src, split[1]) if split is not None else None)


def _brought_in_split(
    conn: Connection, src: Source, held_on: date, today: date
) -> tuple[tuple[int, ...], tuple[int, ...]] | None:
    """``(kept, new)``: the review ids the baseline figures count (:data:`NO_REVIEW` when none)
    and those an import brought in after the meeting held on ``held_on``, among the reviews the
    filters choose; None when no import brought reviews in since (:func:`_baseline_figures`)."""
    from monitoring import changes

    later = {i for event in changes.baselines(conn, held_on, today) for i in event["review_ids"]}
    if not later:
        return None
    chosen = set(src.filters.review_ids) or set(conn.execute(select(review.c.id)).scalars())
    return tuple(sorted(chosen - later)) or (NO_REVIEW,), tuple(sorted(chosen & later))


def _brought_in_figures(
    conn: Connection, src: Source, new: tuple[int, ...]
) -> OverviewFigures | None:
    """The figures now of the reviews ``new`` (:attr:`MeetingPack.brought_in`); None when none."""
    from monitoring import reads

    if not new:
        return None
    brought_in = reads.overview(conn, replace(src, filters=replace(src.filters, review_ids=new)))
    return brought_in if brought_in.reviews else None


def figure_rows(pack: MeetingPack) -> list[tuple[str, object, object]]:
    """The summary figures as ``(label, now, at the baseline meeting)`` rows for every format.

    Percentages are whole numbers with a ``%`` sign, or "—" when there is nothing to divide;
    the baseline column is ``None`` when there is no baseline.
    """
    return figure_rows_of(pack.figures, pack.baseline_figures, pack.brought_in, pack.baseline)


def figure_rows_of(
    figures: OverviewFigures,
    baseline_figures: OverviewFigures | None,
    brought_in: OverviewFigures | None = None,
    baseline: Meeting | None = None,
) -> list[tuple[str, object, object]]:
    """:func:`figure_rows` from the figures, the baseline's (None: no baseline) and those of the
    reviews brought in since the ``baseline`` meeting (:attr:`MeetingPack.brought_in`)."""
    pct = vocabulary.percent

    def rows(f: OverviewFigures) -> list[tuple[str, object]]:
        return [
            ("Reviews", f.reviews),
            ("Recommendations", f.recommendations),
            ("Recommendations implemented", pct(f.pct_implemented)),
            ("Recommendations assured", pct(f.pct_assured)),
            ("Actions", f.actions),
            ("Open actions", f.open_actions),
            ("Overdue actions", f.overdue),
            (f"Due in the next {config.thresholds().due_soon_days} days", f.due_soon),
            ("Open with no target date", f.no_due_date),
            (f"No update for over {config.thresholds().stale_days} days", f.stale),
        ]

    now = rows(figures)
    then = rows(baseline_figures) if baseline_figures else [(k, None) for k, _ in now]
    out = [(label, value, old) for (label, value), (_, old) in zip(now, then, strict=True)]
    if brought_in is not None and baseline is not None:
        out.append(
            (
                f"Of these, brought in by an import since {uk_date(baseline.held_on)}"
                " (a baseline: not in the last meeting's figures)",
                f"{vocabulary.count_words(brought_in.reviews, 'review')}, "
                f"{vocabulary.count_words(brought_in.actions, 'action')}",
                None,
            )
        )
    return out


def changes_summary(pack: MeetingPack) -> pd.DataFrame:
    """Changes since the baseline counted by kind, in :data:`monitoring.changes.CHANGE_KINDS`
    order: DataFrame ``kind`` (the label, e.g. "Newly overdue"), ``changes`` (count)."""
    from monitoring.changes import CHANGE_KINDS, KIND_LABELS

    counts = pack.changes["kind"].value_counts()
    return pd.DataFrame(
        [(KIND_LABELS[k], int(counts[k])) for k in CHANGE_KINDS if k in counts],
        columns=["kind", "changes"],
    )
