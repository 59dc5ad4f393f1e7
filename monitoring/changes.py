"""What changed between two dates: the "changes since the last meeting" list (DOMAIN.md).

Built from the dated history: ``action_update`` (status changes), ``due_date_change`` (approved
target-date moves), ``audit_log`` (status or target-date edits that left no ``action_update`` or
``due_date_change`` row, e.g. by an administrator or an import) and ``recommendation.created_at``.
Each change is listed exactly once.

The window is ``(since, until]``: a change made on the day of the earlier meeting belongs to that
meeting, one made on the day of the later meeting is included.
"""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
from sqlalchemy import Connection, exists, func, select

from monitoring import asat, queries, rules
from monitoring.db import (
    action,
    action_update,
    agency,
    audit_log,
    due_date_change,
    recommendation,
    review,
)
from monitoring.queries import NO_AGENCY, iso

CHANGE_KINDS = (
    "newly_completed",
    "newly_overdue",
    "date_moved",
    "status_change",
    "new_recommendation",
)
KIND_LABELS = {
    "newly_completed": "Newly completed",
    "newly_overdue": "Newly overdue",
    "date_moved": "Target date moved",
    "status_change": "Status changed",
    "new_recommendation": "New recommendation",
}
COLUMNS = [
    "kind",
    "action_id",
    "recommendation_id",
    "review_ref",
    "number",
    "description",
    "agency",
    "detail",
    "at",
]


def _label(status: str | None) -> str:
    return rules.STATUS_LABELS.get(status or "", status or "none")


def _action_info(conn: Connection, action_ids: set[int]) -> dict[int, dict]:
    if not action_ids:
        return {}
    rows = conn.execute(
        select(
            action.c.id,
            action.c.recommendation_id,
            review.c.ref,
            action.c.number,
            action.c.description,
            func.coalesce(agency.c.name, NO_AGENCY).label("agency"),
        )
        .select_from(
            action.join(review, review.c.id == action.c.review_id).outerjoin(
                agency, agency.c.id == action.c.lead_agency_id
            )
        )
        .where(action.c.id.in_(sorted(action_ids)))
    ).all()
    return {r.id: r._asdict() for r in rows}


def _status_changes(conn: Connection, start: str, end: str) -> list[tuple]:
    """(action_id, at, old, new) for each status change: action_update rows whose status differs
    from the one before (``not_started`` before the first), and audited status edits with no
    ``action_update`` row at the same moment."""
    previous = (
        func.lag(action_update.c.status)
        .over(
            partition_by=action_update.c.action_id,
            order_by=(action_update.c.created_at, action_update.c.id),
        )
        .label("previous")
    )
    ordered = (
        select(
            action_update.c.action_id,
            action_update.c.created_at,
            action_update.c.status,
            previous,
        )
        .where(action_update.c.status.is_not(None))
        .subquery()
    )
    rows = conn.execute(
        select(ordered).where(
            ordered.c.created_at >= start,
            ordered.c.created_at < end,
            ordered.c.status != func.coalesce(ordered.c.previous, "not_started"),
        )
    ).all()
    found = [(r.action_id, r.created_at, r.previous or "not_started", r.status) for r in rows]
    audited = conn.execute(
        select(
            audit_log.c.entity_id, audit_log.c.at, audit_log.c.old_value, audit_log.c.new_value
        ).where(
            audit_log.c.entity == "action",
            audit_log.c.field == "status",
            audit_log.c.at >= start,
            audit_log.c.at < end,
            ~exists().where(
                action_update.c.action_id == audit_log.c.entity_id,
                action_update.c.created_at == audit_log.c.at,
                action_update.c.status == audit_log.c.new_value,
            ),
        )
    ).all()
    found += [(r.entity_id, r.at, r.old_value, r.new_value) for r in audited]
    return found


def _date_moves(conn: Connection, start: str, end: str) -> list[tuple]:
    """(action_id, at, old, new, reason) for approved target-date changes decided in the window,
    and audited ``due_on`` edits with no approved change decided at the same moment."""
    rows = conn.execute(
        select(
            due_date_change.c.action_id,
            due_date_change.c.decided_at,
            due_date_change.c.old_due_on,
            due_date_change.c.new_due_on,
            due_date_change.c.reason,
        ).where(
            due_date_change.c.decision == "approved",
            due_date_change.c.decided_at >= start,
            due_date_change.c.decided_at < end,
        )
    ).all()
    found = [tuple(r) for r in rows]
    audited = conn.execute(
        select(
            audit_log.c.entity_id, audit_log.c.at, audit_log.c.old_value, audit_log.c.new_value
        ).where(
            audit_log.c.entity == "action",
            audit_log.c.field == "due_on",
            audit_log.c.at >= start,
            audit_log.c.at < end,
            ~exists().where(
                due_date_change.c.action_id == audit_log.c.entity_id,
                due_date_change.c.decision == "approved",
                due_date_change.c.decided_at == audit_log.c.at,
            ),
        )
    ).all()
    found += [(r.entity_id, r.at, r.old_value, r.new_value, None) for r in audited]
    return found


def _newly_overdue(conn: Connection, since: date, until: date) -> list[tuple]:
    """(action_id, due_on) for actions open at ``until`` (as reconstructed) that were not overdue
    on ``since`` and are overdue on ``until``: target date (as at ``until``) in
    [``since``, ``until``), the rule of :func:`rules.is_overdue` applied on both dates."""
    a = asat.actions_as_at(until)
    rows = conn.execute(
        select(a.c.id, a.c.due_on).where(
            queries.is_open_sql(a), a.c.due_on >= iso(since), a.c.due_on < iso(until)
        )
    ).all()
    return [(r.id, r.due_on) for r in rows]


def changes_between(conn: Connection, since: date, until: date) -> pd.DataFrame:
    """Every change between two dates (normally two meetings), each exactly once.

    :param since: the earlier date (excluded); ``until``: the later date (included).
    :returns: DataFrame ``kind`` (one of :data:`CHANGE_KINDS`), ``action_id`` (None for a new
        recommendation), ``recommendation_id, review_ref, number`` (action or recommendation
        number), ``description`` (action description or recommendation title), ``agency`` (lead
        agency; None for a recommendation), ``detail`` (a sentence for the board), ``at`` (date).
        Ordered by date, then kind, review and number.
    :raises ValueError: when ``until`` is before ``since``.
    """
    if until < since:
        raise ValueError(f"until ({until}) is before since ({since})")
    start, end = asat.cutoff(since), asat.cutoff(until)
    records: list[dict] = []

    statuses = _status_changes(conn, start, end)
    moves = _date_moves(conn, start, end)
    overdue = _newly_overdue(conn, since, until)
    info = _action_info(
        conn, {r[0] for r in statuses} | {r[0] for r in moves} | {r[0] for r in overdue}
    )

    def add(kind: str, action_id: int, detail: str, at: date) -> None:
        row = info[action_id]
        records.append(
            {
                "kind": kind,
                "action_id": action_id,
                "recommendation_id": row["recommendation_id"],
                "review_ref": row["ref"],
                "number": row["number"],
                "description": row["description"],
                "agency": row["agency"],
                "detail": detail,
                "at": at,
            }
        )

    for action_id, at, old, new in statuses:
        done = new in rules.DONE_STATUSES and old not in rules.DONE_STATUSES
        kind = "newly_completed" if done else "status_change"
        add(kind, action_id, f"Status changed from {_label(old)} to {_label(new)}.", _day(at))
    for action_id, at, old, new, reason in moves:
        detail = f"Target date moved from {_uk(old)} to {_uk(new)}"
        detail += f" (approved): {reason}" if reason else "."
        add("date_moved", action_id, detail.rstrip(".") + ".", _day(at))
    for action_id, due_on in overdue:
        due = date.fromisoformat(due_on)
        add(
            "newly_overdue",
            action_id,
            f"Target date {_uk(due_on)} passed; still open on {_uk(until.isoformat())}.",
            due + timedelta(days=1),
        )
    new_recs = conn.execute(
        select(
            recommendation.c.id,
            review.c.ref,
            recommendation.c.number,
            recommendation.c.title,
            recommendation.c.text,
            recommendation.c.created_at,
        )
        .select_from(recommendation.join(review, review.c.id == recommendation.c.review_id))
        .where(recommendation.c.created_at >= start, recommendation.c.created_at < end)
    ).all()
    for r in new_recs:
        records.append(
            {
                "kind": "new_recommendation",
                "action_id": None,
                "recommendation_id": r.id,
                "review_ref": r.ref,
                "number": r.number,
                "description": r.title or r.text,
                "agency": None,
                "detail": f"Recommendation {r.number} of {r.ref} added.",
                "at": _day(r.created_at),
            }
        )
    frame = pd.DataFrame(records, columns=COLUMNS)
    if frame.empty:
        return frame
    frame["action_id"] = frame["action_id"].astype("Int64")
    order = {k: i for i, k in enumerate(CHANGE_KINDS)}
    frame["_kind"] = frame["kind"].map(order)
    frame = frame.sort_values(["at", "_kind", "review_ref", "number"], kind="stable")
    return frame.drop(columns="_kind").reset_index(drop=True)


def _day(timestamp: str) -> date:
    """The Europe/London date of a stored UTC timestamp (case 09)."""
    return rules.london_day(timestamp)


def _uk(value: str | None) -> str:
    if not value:
        return "none"
    day = date.fromisoformat(str(value)[:10])
    return f"{day.day} {day:%b %Y}"


def meetings(conn: Connection) -> pd.DataFrame:
    """Recorded board meetings, newest first: ``meeting_id, held_on`` (date), ``title,
    baseline_meeting_id, baseline_on`` (date of the previous meeting, or None)."""
    from monitoring.db import meeting

    base = meeting.alias("baseline")
    rows = conn.execute(
        select(
            meeting.c.id.label("meeting_id"),
            meeting.c.held_on,
            meeting.c.title,
            meeting.c.baseline_meeting_id,
            base.c.held_on.label("baseline_on"),
        )
        .select_from(meeting.outerjoin(base, base.c.id == meeting.c.baseline_meeting_id))
        .order_by(meeting.c.held_on.desc())
    ).all()
    frame = pd.DataFrame(
        rows, columns=["meeting_id", "held_on", "title", "baseline_meeting_id", "baseline_on"]
    )
    frame["baseline_meeting_id"] = frame["baseline_meeting_id"].astype("Int64")
    frame["held_on"] = [date.fromisoformat(v) for v in frame["held_on"]]
    frame["baseline_on"] = [
        None if v is None or pd.isna(v) else date.fromisoformat(v) for v in frame["baseline_on"]
    ]
    return frame


__all__ = ["CHANGE_KINDS", "KIND_LABELS", "changes_between", "meetings"]
