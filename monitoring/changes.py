"""What changed between two dates: the "changes since the last meeting" list (DOMAIN.md).

Built from the dated history: ``action_update`` (status changes), ``due_date_change`` (approved
target-date moves), ``audit_log`` (status or target-date edits that left no ``action_update`` or
``due_date_change`` row, e.g. by an administrator or an import) and ``recommendation.created_at``.
Each change is listed exactly once.

The window is ``(since, until]``: a change made on the day of the earlier meeting belongs to that
meeting, one made on the day of the later meeting is included. A meeting covers its whole day
(the as-at figures are by day), so a change saved on a meeting's day after the meeting was
recorded counts as before it: :func:`saved_after_meeting` counts those, for a warning.

No earlier meeting (``since`` is :data:`NO_BASELINE`): "newly overdue since 1900" is simply
"overdue", which the pack's overdue lists already show, so the list then has no
``newly_overdue`` rows (it would make an imported history look like change); it keeps the real
changes and the baseline lines (:data:`NO_BASELINE_NOTE` says so where the list is shown).

Two dates (issue 17): a change is dated by when it happened in the world, ``effective_on`` (a
Europe/London date), not by when it was recorded here (the UTC ``created_at``/``at``/
``decided_at``). Where ``effective_on`` is NULL ("date not known", an import without a source
date) the change is dated by the day it was recorded: it is known to have happened by then.

The baseline (issue 17): the first import of a review is not a change. A review's baseline is
recognised from the ``audit_log`` row the importer writes when it creates the review (entity
``review``, field ``created``, new value ``"<ref> (imported from <file>)"``); its ``at`` is the
moment of that import. The review's recommendations and actions created at that same moment, each
such action's first ``action_update`` and the approved ``due_date_change`` rows requested at that
moment are the baseline: never listed as newly completed, status changed, target date moved or new
recommendation. Instead each import that brought reviews in is one ``baseline`` line ("Brought in
from a tracker on ...: N records"), dated by the latest source date among its records (the
tracker's as-of date, its update dates, a report's date), else the day it was imported. Reviews
entered otherwise (the demo, the app) have no baseline: all their history is change. Later
re-imports are real changes, dated by ``effective_on``. No column is needed: databases imported
before this rule get it too.
"""

from __future__ import annotations

import functools
from datetime import date, timedelta

import pandas as pd
from sqlalchemy import Connection, and_, exists, func, or_, select

from monitoring import asat, config, queries, rules, vocabulary
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
    "baseline",
    "newly_completed",
    "newly_overdue",
    "date_moved",
    "status_change",
    "new_recommendation",
)
KIND_LABELS = vocabulary.CHANGE_KIND_LABELS
NO_BASELINE = date(1900, 1, 1)
"""The ``since`` of "changes since the last meeting" when there is no earlier meeting: changes to
date, without ``newly_overdue`` rows (module docstring)."""

NO_BASELINE_NOTE = (
    "No earlier meeting: changes to date, without 'newly overdue' "
    "(every overdue action is in the overdue list)."
)
"""Words shown with a changes list that has no earlier meeting (the Meeting pack page, the
pack's changes section)."""

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
    return vocabulary.STATUS_LABELS.get(status or "", status or "none")


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
    )
    keys = tuple(rows.keys())
    return {r[0]: dict(zip(keys, r, strict=True)) for r in rows}


IMPORTED = " (imported from "
"""What the importer's ``created`` audit row of a review says after the ref (writer.py)."""


def _happened(effective, recorded, since: date, until: date):
    """SQL: a change dated ``effective`` (London date text, NULL = not known, then the recorded
    UTC timestamp ``recorded`` counts) falls in ``(since, until]``."""
    return or_(
        and_(effective.is_not(None), effective > iso(since), effective <= iso(until)),
        and_(
            effective.is_(None),
            recorded >= asat.cutoff(since),
            recorded < asat.cutoff(until),
        ),
    )


def _on(effective: str | None, recorded: str | None) -> date:
    """The date a change happened: ``effective`` (London date), else the day it was recorded."""
    return date.fromisoformat(str(effective)[:10]) if effective else _day(recorded)


def _baseline_reviews():
    """Subquery ``review_id, at, actor, label``: each review an import created (its ``created``
    audit row), with the moment of that import (the review's baseline)."""
    log = audit_log
    return (
        select(
            log.c.entity_id.label("review_id"),
            log.c.at,
            log.c.new_value.label("label"),
            log.c.effective_on,
        )
        .where(
            log.c.entity == "review",
            log.c.field == "created",
            log.c.new_value.like(f"%{IMPORTED}%"),
        )
        .subquery("baseline_review")
    )


def _baseline_actions():
    """Subquery ``action_id, at``: actions created by the import that created their review."""
    br = _baseline_reviews()
    return (
        select(action.c.id.label("action_id"), br.c.at)
        .select_from(action.join(br, br.c.review_id == action.c.review_id))
        .where(action.c.created_at == br.c.at)
        .subquery("baseline_action")
    )


def _first_updates():
    """Subquery ``id``: the first ``action_update`` of each action created by its review's first
    import (the status the tracker brought in: the baseline, not a change)."""
    ba = _baseline_actions()
    return (
        select(func.min(action_update.c.id).label("id"))
        .select_from(action_update.join(ba, ba.c.action_id == action_update.c.action_id))
        .group_by(action_update.c.action_id)
        .subquery("baseline_update")
    )


def _baseline_first_update(update_id, action_id):
    """SQL: the update ``update_id`` of action ``action_id`` is the first ``action_update`` of an
    action created by its review's first import (one row of :func:`_first_updates`, looked up for
    that row alone rather than counted for every baseline action)."""
    br = _baseline_reviews()
    earlier = action_update.alias("earliest")
    first_id = (
        select(func.min(earlier.c.id)).where(earlier.c.action_id == action.c.id).scalar_subquery()
    )
    return exists().where(
        action.c.id == action_id,
        br.c.review_id == action.c.review_id,
        br.c.at == action.c.created_at,
        update_id == first_id,
    )


def _status_changes(
    conn: Connection, since: date, until: date, *, recorded: bool = False
) -> list[tuple]:
    """(action_id, on, old, new) for each status change dated in the window (with ``recorded``,
    a fifth item: the UTC timestamp text it was saved at): action_update rows
    whose status differs from the one before (``not_started`` before the first), in the order
    they happened (``effective_on``, then recorded), and audited status edits with no
    ``action_update`` row for the same change (same moment, or same status on the same
    ``effective_on``). A baseline's first updates are left out."""
    happened = func.coalesce(
        action_update.c.effective_on, func.substr(action_update.c.created_at, 1, 10)
    )
    previous = (
        func.lag(action_update.c.status)
        .over(
            partition_by=action_update.c.action_id,
            order_by=(happened, action_update.c.created_at, action_update.c.id),
        )
        .label("previous")
    )
    # Only the actions with a status update dated in the window can have a change in it: the
    # previous status is looked up among their updates alone (partitioned by action, so the
    # same), not among every update ever recorded (issue 18).
    in_window = action_update.alias("in_window")
    changed = select(in_window.c.action_id).where(
        in_window.c.status.is_not(None),
        _happened(in_window.c.effective_on, in_window.c.created_at, since, until),
    )
    ordered = (
        select(
            action_update.c.id,
            action_update.c.action_id,
            action_update.c.created_at,
            action_update.c.effective_on,
            action_update.c.status,
            previous,
        )
        .where(action_update.c.status.is_not(None), action_update.c.action_id.in_(changed))
        .subquery()
    )
    rows = conn.execute(
        select(ordered).where(
            _happened(ordered.c.effective_on, ordered.c.created_at, since, until),
            ordered.c.status != func.coalesce(ordered.c.previous, "not_started"),
            ~_baseline_first_update(ordered.c.id, ordered.c.action_id),
        )
    ).all()
    found = [
        (
            r.action_id,
            _on(r.effective_on, r.created_at),
            r.previous or "not_started",
            r.status,
            *((r.created_at,) if recorded else ()),
        )
        for r in rows
    ]
    audited = conn.execute(
        select(
            audit_log.c.entity_id,
            audit_log.c.at,
            audit_log.c.effective_on,
            audit_log.c.old_value,
            audit_log.c.new_value,
        ).where(
            audit_log.c.entity == "action",
            audit_log.c.field == "status",
            _happened(audit_log.c.effective_on, audit_log.c.at, since, until),
            # the same change as an action_update row: recorded at the same moment, or (an
            # import, which dates its rows by the source) the same status on the same day
            ~exists().where(
                action_update.c.action_id == audit_log.c.entity_id,
                action_update.c.status == audit_log.c.new_value,
                or_(
                    action_update.c.created_at == audit_log.c.at,
                    and_(
                        action_update.c.effective_on.is_not(None),
                        action_update.c.effective_on == audit_log.c.effective_on,
                    ),
                ),
            ),
        )
    ).all()
    found += [
        (r.entity_id, _on(r.effective_on, r.at), r.old_value, r.new_value)
        + ((r.at,) if recorded else ())
        for r in audited
    ]
    return found


def _date_moves(
    conn: Connection, since: date, until: date, *, recorded: bool = False
) -> list[tuple]:
    """(action_id, on, old, new, reason) for approved target-date changes dated in the window
    (with ``recorded``, a sixth item: the UTC timestamp text it was decided or saved at)
    (``effective_on``, else the day decided), except a baseline's (requested by the import that
    created the action), and audited ``due_on`` edits with no approved change decided at the
    same moment."""
    ba = _baseline_actions()
    ddc = due_date_change
    rows = conn.execute(
        select(
            ddc.c.action_id,
            ddc.c.decided_at,
            ddc.c.effective_on,
            ddc.c.old_due_on,
            ddc.c.new_due_on,
            ddc.c.reason,
        ).where(
            ddc.c.decision == "approved",
            _happened(ddc.c.effective_on, ddc.c.decided_at, since, until),
            ~exists().where(ba.c.action_id == ddc.c.action_id, ba.c.at == ddc.c.requested_at),
        )
    ).all()
    found = [
        (
            r.action_id,
            _on(r.effective_on, r.decided_at),
            r.old_due_on,
            r.new_due_on,
            r.reason,
            *((r.decided_at,) if recorded else ()),
        )
        for r in rows
    ]
    audited = conn.execute(
        select(
            audit_log.c.entity_id,
            audit_log.c.at,
            audit_log.c.effective_on,
            audit_log.c.old_value,
            audit_log.c.new_value,
        ).where(
            audit_log.c.entity == "action",
            audit_log.c.field == "due_on",
            _happened(audit_log.c.effective_on, audit_log.c.at, since, until),
            ~exists().where(
                ddc.c.action_id == audit_log.c.entity_id,
                ddc.c.decision == "approved",
                ddc.c.decided_at == audit_log.c.at,
            ),
        )
    ).all()
    found += [
        (r.entity_id, _on(r.effective_on, r.at), r.old_value, r.new_value, None)
        + ((r.at,) if recorded else ())
        for r in audited
    ]
    return found


def _new_recommendations(conn: Connection, since: date, until: date) -> list:
    """Recommendations added in the window, dated by their ``created`` audit row's
    ``effective_on`` (else the day recorded); those a review's first import brought in are its
    baseline, not new."""
    br = _baseline_reviews()
    created = (
        select(audit_log.c.entity_id.label("id"), func.max(audit_log.c.effective_on).label("on"))
        .where(audit_log.c.entity == "recommendation", audit_log.c.field == "created")
        .group_by(audit_log.c.entity_id)
        .subquery("recommendation_created")
    )
    rows = conn.execute(
        select(
            recommendation.c.id,
            review.c.ref,
            recommendation.c.number,
            recommendation.c.title,
            recommendation.c.text,
            recommendation.c.created_at,
            created.c.on,
        )
        .select_from(
            recommendation.join(review, review.c.id == recommendation.c.review_id).outerjoin(
                created, created.c.id == recommendation.c.id
            )
        )
        .where(
            _happened(created.c.on, recommendation.c.created_at, since, until),
            ~exists().where(
                br.c.review_id == recommendation.c.review_id,
                br.c.at == recommendation.c.created_at,
            ),
        )
    ).all()
    return rows


def baselines(
    conn: Connection, since: date, until: date, reviews: set[int] | None = None
) -> list[dict]:
    """The imports that brought reviews in (their baselines, see the module docstring) dated in
    ``(since, until]``, one dict each: ``at`` (the date: latest source date of its records, else
    the day imported), ``imported_on`` (date), ``source`` (file name), ``reviews``,
    ``recommendations``, ``actions`` (counts), ``refs`` (review refs, sorted) and ``review_ids``
    (sorted). With
    ``reviews`` (ids), only those reviews are counted (a reader's scope, the filters)."""
    br = _baseline_reviews()
    found = conn.execute(
        select(br.c.review_id, br.c.at, br.c.label, br.c.effective_on, review.c.ref).join(
            review, review.c.id == br.c.review_id
        )
    ).all()
    if not found:
        return []
    events: dict[tuple[str, str], dict] = {}
    by_review: dict[int, dict] = {}
    if reviews is not None:
        found = [r for r in found if r.review_id in reviews]
    for r in found:
        source = r.label.rsplit(IMPORTED, 1)[-1].removesuffix(")")
        event = events.setdefault(
            (r.at, source),
            {
                "imported": r.at,
                "source": source,
                "reviews": 0,
                "recommendations": 0,
                "actions": 0,
                "refs": [],
                "ids": [],
                "dates": set(),
            },
        )
        event["reviews"] += 1
        event["refs"].append(r.ref)
        event["ids"].append(r.review_id)
        if r.effective_on:
            event["dates"].add(r.effective_on)
        by_review[r.review_id] = event
    recs = conn.execute(
        select(recommendation.c.review_id, func.count())
        .select_from(recommendation.join(br, br.c.review_id == recommendation.c.review_id))
        .where(recommendation.c.created_at == br.c.at)
        .group_by(recommendation.c.review_id)
    ).all()
    for review_id, n in recs:
        if review_id in by_review:
            by_review[review_id]["recommendations"] += int(n)
    ba = _baseline_actions()
    acts = conn.execute(
        select(action.c.review_id, func.count())
        .select_from(action.join(ba, ba.c.action_id == action.c.id))
        .group_by(action.c.review_id)
    ).all()
    for review_id, n in acts:
        if review_id in by_review:
            by_review[review_id]["actions"] += int(n)
    first = _first_updates()
    dated = conn.execute(
        select(action.c.review_id, func.max(action_update.c.effective_on))
        .select_from(
            action_update.join(first, first.c.id == action_update.c.id).join(
                action, action.c.id == action_update.c.action_id
            )
        )
        .group_by(action.c.review_id)
    ).all()
    for review_id, day in dated:
        if day and review_id in by_review:
            by_review[review_id]["dates"].add(day)
    out = []
    for event in events.values():
        imported_on = _day(event["imported"])
        on = date.fromisoformat(max(event["dates"])) if event["dates"] else imported_on
        if since < on <= until:
            out.append(
                {
                    "at": on,
                    "imported_on": imported_on,
                    "source": event["source"],
                    "reviews": event["reviews"],
                    "recommendations": event["recommendations"],
                    "actions": event["actions"],
                    "refs": sorted(event["refs"]),
                    "review_ids": sorted(event["ids"]),
                }
            )
    return sorted(out, key=lambda e: (e["at"], e["source"]))


def _newly_overdue(conn: Connection, since: date, until: date, *, live: bool) -> list[tuple]:
    """(action_id, due_on) for actions open at ``until`` (as reconstructed) that were not overdue
    on ``since`` and are overdue on ``until``: target date (as at ``until``) in
    [``since``, ``until``), the rule of :func:`rules.is_overdue` applied on both dates.
    ``live``: ``until`` is today (or later): the records now are those of ``until``, read from
    the table, not rebuilt from history (as :meth:`monitoring.source.Source.at` does)."""
    a = action if live else asat.actions_as_at(until)
    rows = conn.execute(
        select(a.c.id, a.c.due_on).where(
            queries.is_open_sql(a), a.c.due_on >= iso(since), a.c.due_on < iso(until)
        )
    ).all()
    return [(r.id, r.due_on) for r in rows]


def changes_between(
    conn: Connection,
    since: date,
    until: date,
    *,
    reviews: set[int] | None = None,
    today: date | None = None,
) -> pd.DataFrame:
    """Every change between two dates (normally two meetings), each exactly once.

    :param since: the earlier date (excluded); ``until``: the later date (included).
    :returns: DataFrame ``kind`` (one of :data:`CHANGE_KINDS`), ``action_id`` (None for a new
        recommendation or a baseline), ``recommendation_id, review_ref, number`` (action or
        recommendation number; a baseline's ``review_ref`` is its review's ref, or "N reviews",
        and its other fields None), ``description`` (action description or recommendation
        title), ``agency`` (lead agency; None for a recommendation), ``detail`` (a sentence for
        the board), ``at`` (the date it happened: ``effective_on``, else the day recorded).
        Ordered by date, then kind, review and number. An import that first brought reviews in
        is one ``baseline`` row, never counted as completed, moved or new (module docstring).
    :param reviews: count only these reviews (ids) in baseline lines (None: every review).
    :param today: the date of the records now (default :func:`monitoring.config.today`): an
        ``until`` on or after it reads the records now for "newly overdue".
        With ``since`` :data:`NO_BASELINE` (no earlier meeting) there are no ``newly_overdue``
        rows: "newly overdue since 1900" is simply overdue (module docstring).
    :raises ValueError: when ``until`` is before ``since``.
    """
    if until < since:
        raise ValueError(f"until ({until}) is before since ({since})")
    records: list[dict] = []

    statuses = _status_changes(conn, since, until)
    moves = _date_moves(conn, since, until)
    today = today if today is not None else config.today()
    overdue = (
        [] if since <= NO_BASELINE else _newly_overdue(conn, since, until, live=until >= today)
    )
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
        add(kind, action_id, f"Status changed from {_label(old)} to {_label(new)}.", at)
    for action_id, at, old, new, reason in moves:
        detail = f"Target date moved from {_uk(old)} to {_uk(new)}"
        detail += f" (approved): {reason}" if reason else "."
        add("date_moved", action_id, detail.rstrip(".") + ".", at)
    for action_id, due_on in overdue:
        due = date.fromisoformat(due_on)
        add(
            "newly_overdue",
            action_id,
            f"Target date {_uk(due_on)} passed; still open on {_uk(until.isoformat())}.",
            due + timedelta(days=1),
        )
    new_recs = _new_recommendations(conn, since, until)
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
                "at": _on(r.on, r.created_at),
            }
        )
    for event in baselines(conn, since, until, reviews):
        n = event["reviews"] + event["recommendations"] + event["actions"]
        imported = _uk(event["imported_on"].isoformat())
        as_at = _uk(event["at"].isoformat())
        records.append(
            {
                "kind": "baseline",
                "action_id": None,
                "recommendation_id": None,
                "review_ref": event["refs"][0]
                if event["reviews"] == 1
                else f"{event['reviews']:,} reviews",
                "number": None,
                "description": f"Brought in from a tracker ({event['source']})",
                "agency": None,
                "detail": (
                    f"Brought in from a tracker on {imported}"
                    + (f" (records as at {as_at})" if as_at != imported else "")
                    + f": {n:,} records ({_n(event['reviews'], 'review')}, "
                    f"{_n(event['recommendations'], 'recommendation')}, "
                    f"{_n(event['actions'], 'action')}). The first import of a review is its "
                    "baseline, not a change."
                ),
                "at": event["at"],
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


def saved_after_meeting(
    conn: Connection,
    held_on: date,
    *,
    actions: set[int] | None = None,
    recommendations: set[int] | None = None,
) -> int:
    """The number of changes saved on the day of the meeting held on ``held_on`` after that
    meeting was recorded (0 when there is none, no meeting on that date, or no ``audit_log`` row
    of its recording, e.g. the demo's meetings).

    The rule (module docstring): a meeting covers its whole day, the window of "changes since"
    being ``(since, until]`` with the as-at figures by day; so a change dated on the meeting's
    day belongs to that meeting, even one saved after the meeting was recorded. Such a change is
    in that meeting's figures and in no later "changes since the last meeting" list: this count
    lets a page say so.

    Counted: the changes :func:`changes_between` lists that are dated ``held_on`` (their
    ``effective_on``, else the Europe/London day recorded): status changes and completions
    (``action_update.created_at``, or ``audit_log.at`` of an audited status edit), approved
    target-date moves (``due_date_change.decided_at``, or ``audit_log.at`` of a ``due_on``
    edit) and new recommendations (``recommendation.created_at``), whose recorded moment (UTC
    ISO timestamp text) is after the meeting's: the ``at`` of the ``audit_log`` row (entity
    ``meeting``, field ``held_on``, new value ``held_on``) written when the meeting was recorded
    with that date. A change saved in the same second is not after it. "Newly overdue" (nobody
    saves it) and an import's baseline lines (not changes) are not counted.

    :param held_on: the meeting's date.
    :param actions: count only changes of these actions (ids; the reader's scope and filters,
        :func:`monitoring.reads.saved_after_meeting`); None: every action.
    :param recommendations: count only these new recommendations (ids); None: every one.
    :returns: the number of changes (int).
    """
    from monitoring.db import meeting

    recorded = conn.execute(
        select(func.max(audit_log.c.at)).where(
            audit_log.c.entity == "meeting",
            audit_log.c.field == "held_on",
            audit_log.c.new_value == iso(held_on),
            audit_log.c.entity_id.in_(
                select(meeting.c.id).where(meeting.c.held_on == iso(held_on))
            ),
        )
    ).scalar()
    if recorded is None:
        return 0
    since = held_on - timedelta(days=1)
    saved = [
        (action_id, at)
        for action_id, *_, at in [
            *_status_changes(conn, since, held_on, recorded=True),
            *_date_moves(conn, since, held_on, recorded=True),
        ]
        if actions is None or action_id in actions
    ]
    count = sum(1 for _, at in saved if str(at) > str(recorded))
    count += sum(
        1
        for r in _new_recommendations(conn, since, held_on)
        if (recommendations is None or r.id in recommendations)
        and str(r.created_at) > str(recorded)
    )
    return count


def saved_after_warning(count: int, held_on: date) -> str | None:
    """The warning shown with a list of changes after the meeting held on ``held_on`` when
    ``count`` changes (:func:`saved_after_meeting`) were saved on its day after it was
    recorded; None when ``count`` is 0."""
    if count <= 0:
        return None
    one = count == 1
    return (
        f"{_n(count, 'change')} {'was' if one else 'were'} saved on {_uk(iso(held_on))} after "
        "that meeting was recorded; a meeting covers its whole day, so "
        f"{'it counts' if one else 'they count'} as before it and {'is' if one else 'are'} in "
        "its figures."
    )


MEETING_DAY_NOTE = (
    "A meeting covers its whole day: changes saved later on that day count as before it and are "
    "in its figures, not in the changes since it."
)
"""Words shown where a meeting is recorded (the rule of :func:`saved_after_meeting`)."""


def _day(timestamp: str) -> date:
    """The Europe/London date of a stored UTC timestamp (case 09)."""
    return rules.london_day(timestamp)


def _n(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def _uk(value: str | None) -> str:
    return _uk_day(str(value)[:10]) if value else "none"


@functools.lru_cache(maxsize=4096)
def _uk_day(day: str) -> str:
    """:func:`monitoring.vocabulary.uk_date` of an ISO date text, remembered (a list of
    changes repeats a few hundred dates thousands of times)."""
    return vocabulary.uk_date(day)


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


__all__ = [
    "CHANGE_KINDS",
    "KIND_LABELS",
    "MEETING_DAY_NOTE",
    "NO_BASELINE",
    "NO_BASELINE_NOTE",
    "baselines",
    "changes_between",
    "meetings",
    "saved_after_meeting",
    "saved_after_warning",
]
