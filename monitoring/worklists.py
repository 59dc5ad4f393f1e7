"""Read models for the update pages: my actions, the assurance queue, target-date change
requests, evidence, updates and the audit trail of an action or recommendation.

Every function takes a ``Connection`` first (so pages can call it through
:func:`monitoring.ui.data.read`) and returns plain values or DataFrames whose columns the docstring
lists. Dates stay ISO text here; pages format them.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
from sqlalchemy import Connection, and_, case, func, or_, select

from monitoring import db, queries, vocabulary
from monitoring.db import action, agency, audit_log, recommendation, review
from monitoring.source import Source

NOTE_FIELDS = frozenset({"progress_note", "note", "evidence", "evidence_url"})
"""Audit fields holding a person's progress note or evidence link: read only by a reader who may
read that action's notes (:meth:`monitoring.source.Scope.sees_agency_detail`)."""

MY_ACTION_COLUMNS = [
    "id",
    "version",
    "review_ref",
    "recommendation_number",
    "number",
    "description",
    "success_measure",
    "lead_officer",
    "status",
    "original_due_on",
    "due_on",
    "days_overdue",
    "rag",
    "last_update_on",
    "pending_due_on",
    "agency",
]


def my_actions(
    conn: Connection,
    today: date,
    agency_id: int | None,
    *,
    window_days: int = 30,
    awaiting_assurance: bool = False,
) -> pd.DataFrame:
    """Open actions led by ``agency_id`` (every agency when None), overdue first (longest first),
    then by target date (none last); with ``awaiting_assurance`` also the actions the agency
    reports ``completed`` that the board has not yet assured, after the open ones.

    :returns: DataFrame with :data:`MY_ACTION_COLUMNS`: ``days_overdue`` int (0 when not overdue),
        ``rag`` a RAG code, ``pending_due_on`` the requested date of a change awaiting a decision.
    """
    pending = (
        select(db.due_date_change.c.new_due_on)
        .where(
            db.due_date_change.c.action_id == action.c.id,
            db.due_date_change.c.decision == "pending",
        )
        .limit(1)
        .scalar_subquery()
    )
    days = queries.days_overdue_sql(today)
    query = (
        select(
            action.c.id,
            action.c.version,
            review.c.ref.label("review_ref"),
            recommendation.c.number.label("recommendation_number"),
            action.c.number,
            action.c.description,
            action.c.success_measure,
            action.c.lead_officer,
            action.c.status,
            action.c.original_due_on,
            action.c.due_on,
            days.label("days_overdue"),
            queries.rag_sql(today, window_days).label("rag"),
            action.c.last_update_on,
            pending.label("pending_due_on"),
            func.coalesce(agency.c.name, queries.NO_AGENCY).label("agency"),
        )
        .select_from(
            action.join(recommendation, recommendation.c.id == action.c.recommendation_id)
            .join(review, review.c.id == action.c.review_id)
            .outerjoin(agency, agency.c.id == action.c.lead_agency_id)
        )
        .where(
            or_(queries.is_open_sql(), action.c.status == "completed")
            if awaiting_assurance
            else queries.is_open_sql()
        )
        .order_by(
            days.desc(),
            action.c.status == "completed",
            action.c.due_on.is_(None),
            action.c.due_on,
            review.c.ref,
            recommendation.c.number,
            action.c.number,
        )
    )
    if agency_id is not None:
        query = query.where(action.c.lead_agency_id == agency_id)
    return pd.DataFrame(conn.execute(query).all(), columns=MY_ACTION_COLUMNS)


def action_detail(conn: Connection, action_id: int) -> dict | None:
    """One action with its review ref, recommendation number and lead agency name
    (:data:`queries.NO_AGENCY` when none), or None."""
    row = (
        conn.execute(
            select(
                action,
                review.c.ref.label("review_ref"),
                recommendation.c.number.label("recommendation_number"),
                func.coalesce(agency.c.name, queries.NO_AGENCY).label("agency"),
            )
            .select_from(
                action.join(recommendation, recommendation.c.id == action.c.recommendation_id)
                .join(review, review.c.id == action.c.review_id)
                .outerjoin(agency, agency.c.id == action.c.lead_agency_id)
            )
            .where(action.c.id == action_id)
        )
        .mappings()
        .first()
    )
    return dict(row) if row else None


ASSURANCE_COLUMNS = [
    "id",
    "version",
    "review_ref",
    "recommendation_number",
    "number",
    "description",
    "success_measure",
    "agency",
    "original_due_on",
    "due_on",
    "completed_on",
    "evidence_count",
]


def assurance_queue(
    conn: Connection, source: Source | None = None, *, limit: int | None = None
) -> pd.DataFrame:
    """Completed actions waiting for assurance (status ``completed``), longest waiting first
    (then by review, recommendation and action number, then id).

    :param source: the reader's source: its filters apply, and evidence is counted only where
        the reader may read it (None: every action, every piece of evidence).
    :param limit: only the first this many rows (None: every row).
    :returns: DataFrame with :data:`ASSURANCE_COLUMNS` (``evidence_count`` int).
    """
    evidence_count = (
        select(func.count())
        .where(db.evidence.c.action_id == action.c.id)
        .correlate(action)
        .scalar_subquery()
    )
    query = (
        _assurance_query(
            source,
            [
                action.c.id,
                action.c.version,
                review.c.ref.label("review_ref"),
                recommendation.c.number.label("recommendation_number"),
                action.c.number,
                action.c.description,
                action.c.success_measure,
                func.coalesce(agency.c.name, queries.NO_AGENCY).label("agency"),
                action.c.original_due_on,
                action.c.due_on,
                action.c.completed_on,
                (
                    evidence_count
                    if source is None or source.scope.full
                    else case((source.scope.detail_sql(action), evidence_count), else_=0)
                ).label("evidence_count"),
            ],
        )
        .order_by(
            action.c.completed_on,
            review.c.ref,
            recommendation.c.number,
            action.c.number,
            action.c.id,
        )
        .limit(limit)
    )
    return pd.DataFrame(conn.execute(query).all(), columns=ASSURANCE_COLUMNS)


def _assurance_query(source: Source | None, columns: list):
    """SELECT ``columns`` from the completed actions the assurance queue lists (the source's
    filters and the reviews it may read), with review, recommendation and lead agency joined."""
    return (
        select(*columns)
        .select_from(
            action.join(recommendation, recommendation.c.id == action.c.recommendation_id)
            .join(review, review.c.id == action.c.review_id)
            .outerjoin(agency, agency.c.id == action.c.lead_agency_id)
        )
        .where(action.c.status == "completed", *_scoped(source))
    )


def assurance_first(
    conn: Connection, source: Source | None = None, rows: int = 500
) -> tuple[pd.DataFrame, int]:
    """The assurance queue as the Assurance page first draws it (its Find box blank): the first
    ``rows`` rows of :func:`assurance_queue` and how many actions wait in all, counted in SQL
    (issue 18: a board's tens of thousands of completed actions are not read to show 500).

    :returns: ``(frame, total)``: ``frame`` equals ``assurance_queue(conn, source).head(rows)``,
        ``total`` equals ``len(assurance_queue(conn, source))``.
    """
    total = conn.execute(_assurance_query(source, [func.count()])).scalar_one()
    return assurance_queue(conn, source, limit=rows), int(total)


def _scoped(source: Source | None) -> list:
    """WHERE clauses on ``action`` for a source's filters and the reviews it may read."""
    if source is None:
        return []
    return [
        queries.action_filter(source.filters, source.today, source.window_days),
        source.in_scope(action.c.review_id, source.today),
    ]


DATE_CHANGE_COLUMNS = [
    "id",
    "action_id",
    "review_ref",
    "recommendation_number",
    "number",
    "description",
    "agency",
    "original_due_on",
    "old_due_on",
    "new_due_on",
    "reason",
    "requested_by",
    "requested_at",
    "decision",
    "decided_by",
    "decided_at",
]


def date_change_requests(
    conn: Connection,
    *,
    action_id: int | None = None,
    pending_only: bool = False,
    source: Source | None = None,
) -> pd.DataFrame:
    """Target-date change requests, oldest first (all, one action's, or only pending ones).

    :param source: the reader's source: its filters apply; ``requested_by`` and ``decided_by``
        (e-mail addresses) are blank for a reader who may not read e-mail addresses.
    :returns: DataFrame with :data:`DATE_CHANGE_COLUMNS` (dates ISO text).
    """
    change = db.due_date_change
    query = (
        select(
            change.c.id,
            change.c.action_id,
            review.c.ref.label("review_ref"),
            recommendation.c.number.label("recommendation_number"),
            action.c.number,
            action.c.description,
            func.coalesce(agency.c.name, queries.NO_AGENCY).label("agency"),
            action.c.original_due_on,
            change.c.old_due_on,
            change.c.new_due_on,
            change.c.reason,
            change.c.requested_by,
            change.c.requested_at,
            change.c.decision,
            change.c.decided_by,
            change.c.decided_at,
        )
        .select_from(
            change.join(action, action.c.id == change.c.action_id)
            .join(recommendation, recommendation.c.id == action.c.recommendation_id)
            .join(review, review.c.id == action.c.review_id)
            .outerjoin(agency, agency.c.id == action.c.lead_agency_id)
        )
        .order_by(change.c.requested_at, change.c.id)
    )
    if action_id is not None:
        query = query.where(change.c.action_id == action_id)
    if pending_only:
        query = query.where(change.c.decision == "pending")
    query = query.where(*_scoped(source))
    frame = pd.DataFrame(conn.execute(query).all(), columns=DATE_CHANGE_COLUMNS)
    if source is not None and not source.scope.sees_emails:
        frame = frame.assign(requested_by="", decided_by="")
    return frame


EVIDENCE_COLUMNS = [
    "id",
    "action_id",
    "title",
    "url",
    "file_path",
    "sha256",
    "size_bytes",
    "uploaded_by",
    "uploaded_at",
    "verified_by",
    "verified_at",
]


def action_evidence(
    conn: Connection, action_ids: tuple[int, ...], source: Source | None = None
) -> pd.DataFrame:
    """Evidence for the given actions, newest first, only of actions whose evidence the reader of
    ``source`` may read (None: all). :returns: :data:`EVIDENCE_COLUMNS` (``uploaded_by`` and
    ``verified_by`` blank for a reader who may not read e-mail addresses) and
    ``uploaded_by_name``, ``verified_by_name``: the display names (see :func:`_person`)."""
    ev = db.evidence
    query = (
        select(*(ev.c[name] for name in EVIDENCE_COLUMNS))
        .where(ev.c.action_id.in_(action_ids))
        .order_by(ev.c.uploaded_at.desc(), ev.c.id.desc())
    )
    if source is not None:
        query = query.where(
            ev.c.action_id.in_(select(action.c.id).where(source.scope.detail_sql(action)))
        )
    frame = pd.DataFrame(conn.execute(query).all(), columns=EVIDENCE_COLUMNS)
    names = dict(conn.execute(select(db.app_user.c.email, db.app_user.c.display_name)).all())
    frame = frame.assign(
        uploaded_by_name=[_person(e, names) for e in frame["uploaded_by"]],
        verified_by_name=[_person(e, names) for e in frame["verified_by"]],
    )
    if source is not None and not source.scope.sees_emails:
        frame = frame.assign(uploaded_by="", verified_by="")
    return frame


def _person(email, names: dict[str, str]) -> str:
    """A user's display name from their e-mail, "a user" for an address no account has (the
    person stays unnamed, never blank), "" for none."""
    if email is None or (isinstance(email, float) and pd.isna(email)) or not str(email).strip():
        return ""
    return names.get(email) or "a user"


UPDATE_COLUMNS = [
    "id",
    "action_id",
    "created_at",
    "author",
    "status",
    "progress_note",
    "evidence_url",
    "effective_on",
]


def action_updates(
    conn: Connection, action_ids: tuple[int, ...], source: Source | None = None
) -> pd.DataFrame:
    """Progress updates (``action_update``) of the given actions, newest first.

    :param source: the reader's source: ``progress_note`` and ``evidence_url`` are None on the
        updates of actions whose notes the reader may not read (None: all shown).
    :returns: :data:`UPDATE_COLUMNS`; ``author`` is the user's display name (or empty);
        ``created_at`` the UTC timestamp it was recorded, ``effective_on`` the London date it
        counts from (ISO text; None: not known, then the day recorded counts), the date every
        page dates it by (:func:`monitoring.vocabulary.effective_words`).
    """
    upd = db.action_update
    visible = (
        select(action.c.id).where(source.scope.detail_sql(action))
        if source is not None and not source.scope.full
        else None
    )
    rows = conn.execute(
        select(
            upd.c.id,
            upd.c.action_id,
            upd.c.created_at,
            func.coalesce(db.app_user.c.display_name, "").label("author"),
            upd.c.status,
            upd.c.progress_note,
            upd.c.evidence_url,
            upd.c.effective_on,
        )
        .select_from(upd.outerjoin(db.app_user, db.app_user.c.id == upd.c.author_id))
        .where(upd.c.action_id.in_(action_ids))
        .order_by(upd.c.created_at.desc(), upd.c.id.desc())
    ).all()
    frame = pd.DataFrame(rows, columns=UPDATE_COLUMNS)
    if visible is not None:
        allowed = set(conn.execute(visible.where(action.c.id.in_(action_ids))).scalars())
        hidden = ~frame["action_id"].isin(allowed)
        frame.loc[hidden, ["progress_note", "evidence_url"]] = None
    return frame


AUDIT_COLUMNS = [
    "id",
    "at",
    "actor",
    "entity",
    "entity_id",
    "field",
    "old_value",
    "new_value",
    "effective_on",
]
"""``at``: the UTC timestamp recorded; ``effective_on``: the London date the change counts from
(None: not known)."""


def _audit_scope(entity: str, entity_id: int):
    """WHERE clause: the record's own audit rows plus its evidence, date changes and decisions."""
    decisions = select(db.meeting_decision.c.id).where(
        db.meeting_decision.c.entity == entity, db.meeting_decision.c.entity_id == entity_id
    )
    clauses = [
        and_(audit_log.c.entity == entity, audit_log.c.entity_id == entity_id),
        and_(audit_log.c.entity == "meeting_decision", audit_log.c.entity_id.in_(decisions)),
    ]
    if entity == "action":
        clauses.append(
            and_(
                audit_log.c.entity == "evidence",
                audit_log.c.entity_id.in_(
                    select(db.evidence.c.id).where(db.evidence.c.action_id == entity_id)
                ),
            )
        )
        clauses.append(
            and_(
                audit_log.c.entity == "due_date_change",
                audit_log.c.entity_id.in_(
                    select(db.due_date_change.c.id).where(
                        db.due_date_change.c.action_id == entity_id
                    )
                ),
            )
        )
    return or_(*clauses)


def audit_rows(conn: Connection, entity: str, entity_id: int) -> list[dict]:
    """The audit trail of a record as dicts (:data:`AUDIT_COLUMNS`), oldest first.

    For an action this includes its evidence and target-date changes; for any record, the
    meeting decisions about it.
    """
    rows = conn.execute(
        select(audit_log).where(_audit_scope(entity, entity_id)).order_by(audit_log.c.id)
    ).mappings()
    return [dict(r) for r in rows]


def audit_trail(
    conn: Connection, entity: str, entity_id: int, source: Source | None = None
) -> pd.DataFrame:
    """:func:`audit_rows` as a DataFrame, newest first (:data:`AUDIT_COLUMNS`), every stored id
    (an agency, account, review, recommendation, action, theme, meeting or measure) as the
    record's name (e.g. "Lead agency — → Home Office", never "351").

    :param source: the reader's source (None: everything). A reader who may not read e-mail
        addresses sees the actor's display name instead; for an action whose notes and evidence
        the reader may not read, the evidence rows and the note fields (:data:`NOTE_FIELDS`)
        are left out.
    """
    frame = _ids_as_names(
        conn, pd.DataFrame(audit_rows(conn, entity, entity_id), columns=AUDIT_COLUMNS)
    )
    if source is not None and not source.scope.full:
        if entity == "action":
            lead = conn.execute(
                select(action.c.lead_agency_id).where(action.c.id == entity_id)
            ).scalar()
            if not source.scope.sees_agency_detail(lead):
                frame = frame[~frame["field"].isin(NOTE_FIELDS) & (frame["entity"] != "evidence")]
        if not source.scope.sees_emails:
            names = dict(
                conn.execute(select(db.app_user.c.email, db.app_user.c.display_name)).all()
            )
            frame = frame.assign(actor=[names.get(a) or "a user" for a in frame["actor"]])
    return frame.iloc[::-1].reset_index(drop=True)


def _id_field_table(entity: str, field: str) -> str | None:
    """The table an audited ``field`` of ``entity`` names by id: its foreign key, else
    :data:`monitoring.vocabulary.ID_FIELDS`; None for a field that holds no id."""
    table = db.metadata.tables.get(entity)
    column = table.c.get(field) if table is not None else None
    if column is not None and column.foreign_keys:
        return next(iter(column.foreign_keys)).column.table.name
    return vocabulary.ID_FIELDS.get(field)


def _record_names(conn: Connection, table: str, ids: set[int]) -> dict[int, str]:
    """Names of the ``table`` records with ``ids`` as a board reads them: an agency's, theme's,
    measure's or account's name, a review's reference, "REF recommendation N", "REF action N",
    a meeting's title and date."""
    ids = sorted(ids)
    if table == "agency":
        query = select(agency.c.id, agency.c.name).where(agency.c.id.in_(ids))
    elif table == "theme":
        query = select(db.theme.c.id, db.theme.c.name).where(db.theme.c.id.in_(ids))
    elif table == "measure":
        query = select(db.measure.c.id, db.measure.c.name).where(db.measure.c.id.in_(ids))
    elif table == "app_user":
        query = select(db.app_user.c.id, db.app_user.c.display_name).where(
            db.app_user.c.id.in_(ids)
        )
    elif table == "review":
        query = select(review.c.id, review.c.ref).where(review.c.id.in_(ids))
    elif table == "recommendation":
        query = (
            select(
                recommendation.c.id,
                review.c.ref + " recommendation " + func.coalesce(recommendation.c.number, ""),
            )
            .join(review, review.c.id == recommendation.c.review_id)
            .where(recommendation.c.id.in_(ids))
        )
    elif table == "action":
        query = (
            select(action.c.id, review.c.ref + " action " + func.coalesce(action.c.number, ""))
            .join(review, review.c.id == action.c.review_id)
            .where(action.c.id.in_(ids))
        )
    elif table == "meeting":
        meeting = db.meeting
        query = select(meeting.c.id, meeting.c.title, meeting.c.held_on).where(
            meeting.c.id.in_(ids)
        )
        return {
            int(i): f"{title} ({vocabulary.uk_date(held)})"
            for i, title, held in conn.execute(query)
        }
    else:
        return {}
    return {int(i): str(name) for i, name in conn.execute(query)}


def _ids_as_names(conn: Connection, frame: pd.DataFrame) -> pd.DataFrame:
    """The audit rows with every value that stores a record's id (:func:`_id_field_table`) as
    the record's name (:func:`_record_names`); an id no longer in the database reads e.g.
    "Agency (no longer held)", never a bare number."""
    if frame.empty:
        return frame
    tables = [_id_field_table(e, f) for e, f in zip(frame["entity"], frame["field"], strict=True)]
    wanted: dict[str, set[int]] = {}
    for table, old, new in zip(tables, frame["old_value"], frame["new_value"], strict=True):
        if table:
            for value in (old, new):
                if value is not None and str(value).strip().isdigit():
                    wanted.setdefault(table, set()).add(int(str(value).strip()))
    if not wanted:
        return frame
    names = {table: _record_names(conn, table, ids) for table, ids in wanted.items()}

    def word(table: str | None, value):
        if not table or value is None or not str(value).strip().isdigit():
            return value
        kind = vocabulary.ENTITY_LABELS.get(table, "Record")
        return names[table].get(int(str(value).strip())) or f"{kind} (no longer held)"

    frame = frame.copy()
    frame["old_value"] = [word(t, v) for t, v in zip(tables, frame["old_value"], strict=True)]
    frame["new_value"] = [word(t, v) for t, v in zip(tables, frame["new_value"], strict=True)]
    return frame


def review_choices(conn: Connection) -> pd.DataFrame:
    """Reviews to pick from: ``id, ref, title``, by ref."""
    rows = conn.execute(select(review.c.id, review.c.ref, review.c.title).order_by(review.c.ref))
    return pd.DataFrame(rows.all(), columns=["id", "ref", "title"])


def recommendation_choices(conn: Connection, review_id: int) -> pd.DataFrame:
    """A review's recommendations: ``id, number, title, assurance_status, version``."""
    rows = conn.execute(
        select(
            recommendation.c.id,
            recommendation.c.number,
            recommendation.c.title,
            recommendation.c.assurance_status,
            recommendation.c.version,
        )
        .where(recommendation.c.review_id == review_id)
        .order_by(recommendation.c.id)
    )
    return pd.DataFrame(
        rows.all(), columns=["id", "number", "title", "assurance_status", "version"]
    )


def action_choices(conn: Connection, recommendation_id: int) -> pd.DataFrame:
    """A recommendation's actions: ``id, number, description, status``."""
    rows = conn.execute(
        select(action.c.id, action.c.number, action.c.description, action.c.status)
        .where(action.c.recommendation_id == recommendation_id)
        .order_by(action.c.id)
    )
    return pd.DataFrame(rows.all(), columns=["id", "number", "description", "status"])


USER_COLUMNS = [
    "id",
    "email",
    "display_name",
    "role",
    "agency",
    "active",
    "failed_logins",
    "locked_until",
    "has_password",
    "created_at",
]


def users(conn: Connection) -> pd.DataFrame:
    """Every account, by e-mail, without password hashes.

    :returns: :data:`USER_COLUMNS` (``agency`` empty text for none, ``locked_until`` UTC ISO text
        or None).
    """
    u = db.app_user
    rows = conn.execute(
        select(
            u.c.id,
            u.c.email,
            u.c.display_name,
            u.c.role,
            func.coalesce(agency.c.name, "").label("agency"),
            u.c.active,
            u.c.failed_logins,
            u.c.locked_until,
            u.c.password_hash.is_not(None).label("has_password"),
            u.c.created_at,
        )
        .select_from(u.outerjoin(agency, agency.c.id == u.c.agency_id))
        .order_by(u.c.email)
    ).all()
    return pd.DataFrame(rows, columns=USER_COLUMNS)


def agency_choices(conn: Connection) -> pd.DataFrame:
    """Active agencies: ``id, name, short_name`` (``""`` for none, never NaN), by name."""
    rows = conn.execute(
        select(agency.c.id, agency.c.name, agency.c.short_name)
        .where(agency.c.active.is_(True))
        .order_by(agency.c.name)
    )
    frame = pd.DataFrame(rows.all(), columns=["id", "name", "short_name"])
    return frame.fillna({"short_name": ""})


BULK_COLUMNS = ["id", "version", "review_ref", "number", "description", "due_on", "status", "note"]


def bulk_table(frame: pd.DataFrame) -> pd.DataFrame:
    """The bulk update table built from :func:`my_actions`: :data:`BULK_COLUMNS`, ``due_on`` as
    dates (``st.data_editor`` needs them), ``note`` empty (a new progress note to add)."""
    table = frame[["id", "version", "review_ref", "number", "description", "due_on", "status"]]
    table = table.copy()
    table["due_on"] = pd.to_datetime(table["due_on"], format="ISO8601").dt.date
    table["note"] = ""
    return table.reset_index(drop=True)


def bulk_changes(original: pd.DataFrame, edited: pd.DataFrame) -> list[dict]:
    """Rows changed in the bulk update table, matched on ``id`` (never by position).

    :param original: the frame given to ``st.data_editor`` (:func:`bulk_table`).
    :param edited: the frame it returned.
    :returns: dicts ``id, version, status`` (None when unchanged), ``note`` (None when empty), for
        rows whose status changed or that have a note; ``version`` is the one originally read.
    """
    before = original.set_index("id")
    changes = []
    for row in edited.to_dict("records"):
        action_id = row.get("id")
        if action_id is None or pd.isna(action_id) or int(action_id) not in before.index:
            continue
        old = before.loc[int(action_id)]
        status = row.get("status")
        status = None if status is None or pd.isna(status) or status == old["status"] else status
        note = row.get("note")
        note = str(note).strip() if isinstance(note, str) and note.strip() else None
        if status or note:
            changes.append(
                {
                    "id": int(action_id),
                    "version": int(old["version"]),
                    "status": status,
                    "note": note,
                }
            )
    return changes


def records(frame: pd.DataFrame) -> list[dict]:
    """A frame's rows as dicts with None (not NaN) for missing values, for forms and headings."""
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


HISTORY_INDEX_COLUMNS = [
    "id",
    "review_ref",
    "recommendation_number",
    "number",
    "description",
    "agency",
    "status",
    "updated_at",
]


def _history_query(source: Source | None, columns: list):
    """SELECT ``columns`` from every action the History table lists (the source's filters and the
    reviews it may read), with its review, recommendation and lead agency joined."""
    return (
        select(*columns)
        .select_from(
            action.join(recommendation, recommendation.c.id == action.c.recommendation_id)
            .join(review, review.c.id == action.c.review_id)
            .outerjoin(agency, agency.c.id == action.c.lead_agency_id)
        )
        .where(*_scoped(source))
    )


def history_index(
    conn: Connection, source: Source | None = None, *, limit: int | None = None
) -> pd.DataFrame:
    """Every action, most recently changed first (then by review, recommendation and number),
    for the History page's table.

    :param source: the reader's source: its sidebar filters apply and only the reviews it may
        read are listed (None: every action, for commands).
    :param limit: only the first this many rows (None: every row).

    :returns: DataFrame with :data:`HISTORY_INDEX_COLUMNS`; ``updated_at`` the UTC ISO time of
        the latest change (the time it was loaded when never changed), ``agency``
        :data:`queries.NO_AGENCY` when none.
    """
    changed = func.coalesce(action.c.updated_at, action.c.created_at)
    query = _history_query(
        source,
        [
            action.c.id,
            review.c.ref.label("review_ref"),
            recommendation.c.number.label("recommendation_number"),
            action.c.number,
            action.c.description,
            func.coalesce(agency.c.name, queries.NO_AGENCY).label("agency"),
            action.c.status,
            changed.label("updated_at"),
        ],
    ).order_by(changed.desc(), review.c.ref, recommendation.c.id, action.c.id)
    return pd.DataFrame(conn.execute(query.limit(limit)).all(), columns=HISTORY_INDEX_COLUMNS)


def history_first(
    conn: Connection, source: Source | None = None, rows: int = 500
) -> tuple[pd.DataFrame, int]:
    """The History table as the page first draws it (its Find box blank): the first ``rows``
    rows of :func:`history_index` and how many actions it lists in all, counted in SQL, so the
    page never reads every action to show a few hundred (issue 18).

    :returns: ``(frame, total)``: ``frame`` equals ``history_index(conn, source).head(rows)``,
        ``total`` equals ``len(history_index(conn, source))``.
    """
    total = conn.execute(_history_query(source, [func.count()])).scalar_one()
    return history_index(conn, source, limit=rows), int(total)
