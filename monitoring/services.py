"""Every write: permission check, optimistic version check, audit entry, one transaction.

Pages, commands and the importer all write through this module (DESIGN §5). Each service:

1. checks that the :class:`Actor` may do it (:func:`require`), raising :class:`PermissionDenied`;
2. opens one write transaction (:func:`monitoring.db.write_transaction`, which also bumps
   ``data_version``);
3. checks the record's ``version`` where the caller read one, raising :class:`VersionConflict`
   that carries the other person's change;
4. writes the change and its ``audit_log`` rows (:func:`record_audit`) in that same transaction.

Nothing is written when any step fails.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, Table, insert, select, update

from monitoring import config, db, files, vocabulary
from monitoring.errors import DatabaseBusy, ServiceError, StorageFull

__all__ = ["DatabaseBusy", "ServiceError", "StorageFull"]  # re-exported: callers catch them here

# --- errors -----------------------------------------------------------------------------------


class PermissionDenied(ServiceError):
    """The actor's role or agency does not allow this write (DESIGN §5)."""


class ValidationError(ServiceError):
    """The input is not acceptable; the message names the field and what was expected."""


class NotFound(ServiceError):
    """The record to change does not exist."""


class VersionConflict(ServiceError):
    """Someone else saved the record after it was read.

    :ivar current: the record as it is now (a dict of its columns).
    :ivar changes: audit rows written since the version the caller read (list of dicts with
        ``at, actor, field, old_value, new_value``), i.e. the other person's change.
    """

    def __init__(self, message: str, current: Mapping[str, Any], changes: list[dict]):
        super().__init__(message)
        self.current = dict(current)
        self.changes = changes


# --- who is acting ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Actor:
    """The person (or command) making a write.

    ``email`` is what the audit log records; ``agency_id`` is set for agency leads.
    """

    email: str
    role: str
    agency_id: int | None = None
    user_id: int | None = None
    display_name: str = ""
    via: str | None = None
    """How the change reached the monitor when not through a form (e.g. "returned workbook from
    Northbridge Police, sent 20 Nov 2026, read by admin@..."): every audited record written by
    this actor gets one more ``audit_log`` row, field ``via``, with this text."""

    @classmethod
    def from_user(cls, user: Mapping[str, Any]) -> Actor:
        """An Actor from an ``app_user`` row (as a mapping)."""
        return cls(
            email=user["email"],
            role=user["role"],
            agency_id=user.get("agency_id"),
            user_id=user.get("id"),
            display_name=user.get("display_name") or user["email"],
        )

    @classmethod
    def system(cls, name: str = "system") -> Actor:
        """The command line acting as an administrator (``import``, ``remind``, ``demo``)."""
        return cls(email=name, role="admin", display_name=name)


# What each role may do (DESIGN §5). Agency leads may only touch actions of their own agency:
# permissions in OWN_AGENCY_ONLY are checked against the record's lead agency.
PERMISSIONS: dict[str, frozenset[str]] = {
    "update_action": frozenset({"admin", "agency_lead"}),
    "attach_evidence": frozenset({"admin", "agency_lead"}),
    "request_date_change": frozenset({"admin", "agency_lead"}),
    "decide_date_change": frozenset({"admin", "board"}),
    "assure": frozenset({"admin", "board", "assurer"}),
    "override_rag": frozenset({"admin", "board"}),
    "record_meeting": frozenset({"admin", "board"}),
    "import": frozenset({"admin"}),
    "manage_users": frozenset({"admin"}),
    "manage_agencies": frozenset({"admin"}),
    "send_reminders": frozenset({"admin"}),
    "publish_review": frozenset({"admin"}),
    "read_all": frozenset({"admin", "board", "assurer", "agency_lead"}),
    "record_measure": frozenset({"admin", "agency_lead"}),  # monitoring.measures: owning agency
}
OWN_AGENCY_ONLY = frozenset(
    {"update_action", "attach_evidence", "request_date_change", "record_measure"}
)


def can(actor: Actor, permission: str, *, agency_id: int | None = None) -> bool:
    """Whether ``actor`` may do ``permission`` (on a record led by ``agency_id``).

    :raises KeyError: for an unknown permission name.
    """
    roles = PERMISSIONS[permission]
    if actor.role not in roles:
        return False
    if actor.role == "agency_lead" and permission in OWN_AGENCY_ONLY:
        return actor.agency_id is not None and actor.agency_id == agency_id
    return True


def require(actor: Actor, permission: str, *, agency_id: int | None = None) -> None:
    """Raise :class:`PermissionDenied` unless :func:`can` allows it."""
    if not can(actor, permission, agency_id=agency_id):
        what = permission.replace("_", " ")
        if actor.role == "agency_lead" and permission in OWN_AGENCY_ONLY:
            raise PermissionDenied(f"You can only {what} for actions your own agency leads.")
        raise PermissionDenied(f"Your role ({actor.role.replace('_', ' ')}) may not {what}.")


# --- audit ------------------------------------------------------------------------------------


def _as_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


TODAY = "today"
"""``effective_on`` default: the London date of the write's moment (see :func:`effective_date`)."""


def effective_date(at: str | None = None) -> str:
    """The ``effective_on`` of a change recorded at ``at`` (UTC ISO text, default now): the
    Europe/London date of that moment, or ``MONITORING_TODAY`` when set (case 09)."""
    from datetime import datetime as _dt

    return config.today_at(_dt.fromisoformat(at) if at else None).isoformat()


def record_audit(
    conn: Connection,
    actor: Actor,
    entity: str,
    entity_id: int | None,
    changes: Mapping[str, tuple[Any, Any]],
    *,
    at: str | None = None,
    effective_on: str | None = TODAY,
) -> int:
    """Write one ``audit_log`` row per changed field, inside the caller's transaction.

    :param changes: ``{field: (old_value, new_value)}``; pairs whose old and new text are equal are
        skipped. Values are stored as text. When ``actor.via`` is set and a row is written, one
        more row (field ``via``) records how the change came.
    :param at: when it is recorded (UTC ISO text, default now).
    :param effective_on: when it happened in the world (ISO London date); default the London date
        of ``at``; None means "date not known" (imports without a source date).
    :returns: the number of rows written.
    """
    at = at or config.utc_now_iso()
    if effective_on == TODAY:
        effective_on = effective_date(at)
    rows = [
        {
            "at": at,
            "actor": actor.email,
            "entity": entity,
            "entity_id": entity_id,
            "field": field,
            "old_value": _as_text(old),
            "new_value": _as_text(new),
            "effective_on": effective_on,
        }
        for field, (old, new) in changes.items()
        if _as_text(old) != _as_text(new)
    ]
    if rows and actor.via:
        rows.append({**rows[0], "field": "via", "old_value": None, "new_value": actor.via})
    if rows:
        conn.execute(insert(db.audit_log), rows)
    return len(rows)


# --- the write core ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """One open write (from :func:`write_core`): its connection, actor and two dates.

    :ivar at: when it is recorded here (UTC ISO text).
    :ivar effective_on: when it happened in the world (ISO Europe/London date).
    """

    conn: Connection
    actor: Actor
    at: str
    effective_on: str

    def audit(self, entity: str, entity_id: int | None, changes: Mapping[str, tuple[Any, Any]]):
        """:func:`record_audit` with this write's actor and dates."""
        return record_audit(
            self.conn,
            self.actor,
            entity,
            entity_id,
            changes,
            at=self.at,
            effective_on=self.effective_on,
        )


@contextmanager
def write_core(
    engine: Engine,
    actor: Actor,
    permission: str | None = None,
    *,
    agency_id: int | None = None,
    now: datetime | None = None,
) -> Iterator[Change]:
    """The one write core: permission, then one transaction whose changes carry both dates.

    Checks ``permission`` (when given, :func:`require`), opens :func:`monitoring.db.
    write_transaction` (bounded wait, roll-ups, ``data_version``) and yields a :class:`Change`;
    versions are bumped by :func:`versioned_update` and audit rows written by
    :meth:`Change.audit` inside it. Nothing is written when the body raises.

    :param now: the moment of the write (an aware datetime; default the clock). Tests pass it to
        check dates either side of midnight without touching the clock.
    :raises PermissionDenied: before anything is opened.
    :raises DatabaseBusy, StorageFull: see :func:`monitoring.db.write_transaction`.
    """
    if permission is not None:
        require(actor, permission, agency_id=agency_id)
    at = config.utc_now_iso(now)
    effective_on = config.today_at(now).isoformat()
    with db.write_transaction(engine) as conn:
        yield Change(conn, actor, at, effective_on)


def versioned_update(
    conn: Connection,
    actor: Actor,
    table: Table,
    row: Mapping[str, Any],
    values: Mapping[str, Any],
    *,
    at: str,
    effective_on: str | None = TODAY,
    extra_audit: Mapping[str, tuple[Any, Any]] | None = None,
    quiet: tuple[str, ...] = (),
) -> None:
    """Write ``values`` to a versioned record, bump its ``version`` and audit every changed field
    (the ``version`` row included, so :func:`changes_since` can find the change). The only place
    a record's version is bumped: services and the importer's writer both call it.

    :param row: the record as read in this transaction (``id`` and ``version`` at least).
    :param quiet: fields written but not audited (``updated_at``...).
    :raises VersionConflict: the record is no longer at ``row['version']`` (nothing written).
    """
    new_version = int(row["version"]) + 1
    result = conn.execute(
        update(table)
        .where(table.c.id == row["id"], table.c.version == row["version"])
        .values({**values, "version": new_version})
    )
    if result.rowcount != 1:
        raise VersionConflict(f"This {table.name} changed while saving; please try again.", row, [])
    changes = {k: (row.get(k), v) for k, v in values.items() if k not in quiet and k != "version"}
    changes.update(extra_audit or {})
    # The version row comes last: every row of one write lies between the previous write's
    # version row and its own (changes_since relies on it).
    changes["version"] = (row["version"], new_version)
    record_audit(conn, actor, table.name, int(row["id"]), changes, at=at, effective_on=effective_on)


def next_version(current: Mapping[str, Any] | None) -> int:
    """The version of a new row of a record kept as append-only versions (e.g. a measure's
    value for a period): one more than ``current``'s, or 1 for the first. With
    :func:`versioned_update`, the only place a version number goes up."""
    return int(current["version"]) + 1 if current else 1


# --- shared helpers for the write services ----------------------------------------------------


def _day_words(value: str | None) -> str:
    """An ISO date as a progress note says it (``3 Jun 2026``), or "no target date"."""
    return vocabulary.uk_date(str(value)[:10]) if value else vocabulary.NO_TARGET_DATE.lower()


MAX_NOTE_CHARS = 10_000
"""Longest text a person may enter in one field (a progress note in the update form); the
importer holds every cell of a tracker to the same limit."""
MAX_EVIDENCE_MB = 10
"""Largest upload, in megabytes of 1,000,000 bytes: every upload's limit in the browser
(``server.maxUploadSize`` in ``.streamlit/config.toml``, kept equal by a test; the browser counts
a megabyte as 1,000,000 bytes, Streamlit's server as 1,048,576) and the evidence service's."""
MAX_EVIDENCE_BYTES = MAX_EVIDENCE_MB * 1_000_000
"""Largest evidence file accepted, in bytes: 10 MB = 10,000,000 bytes (case 22)."""

EVIDENCE_TYPES: dict[str, tuple[str, tuple[bytes, ...]]] = {
    # extension: (content type, accepted leading bytes; empty means any text)
    "pdf": ("application/pdf", (b"%PDF",)),
    "docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        (b"PK\x03\x04",),
    ),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (b"PK\x03\x04",)),
    "pptx": (
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        (b"PK\x03\x04",),
    ),
    "png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    "jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "csv": ("text/csv", ()),
    "txt": ("text/plain", ()),
}
"""Evidence file types allowed (extension → content type, file signatures checked)."""

MEETING_DECISION_ENTITIES = ("review", "recommendation", "action", "agency", "meeting")
_AUDIT_QUIET_FIELDS = ("updated_at", "last_update_on")


def _text(
    value: Any, field: str, *, required: bool = False, max_length: int = MAX_NOTE_CHARS
) -> str | None:
    """Trimmed text or None; :raises ValidationError: when required and empty, or too long."""
    text_value = "" if value is None else str(value).strip()
    if required and not text_value:
        raise ValidationError(f"{field}: required, please enter some text.")
    if len(text_value) > max_length:
        raise ValidationError(f"{field}: at most {max_length} characters, got {len(text_value)}.")
    return text_value or None


def _iso_date(value: Any, field: str) -> str:
    """A date (``date`` or ``YYYY-MM-DD`` text) as ISO text; :raises ValidationError: otherwise."""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    try:
        return date.fromisoformat(str(value).strip()).isoformat()
    except (TypeError, ValueError):
        raise ValidationError(f"{field}: expected a date as YYYY-MM-DD, got {value!r}.") from None


def _fetch(conn: Connection, table: Table, row_id: int, what: str, *, lock: bool = True) -> dict:
    query = select(table).where(table.c.id == row_id)
    if lock:
        query = query.with_for_update()
    row = conn.execute(query).mappings().first()
    if row is None:
        raise NotFound(f"No {what} with id {row_id}.")
    return dict(row)


def changes_since(conn: Connection, entity: str, entity_id: int, version: int) -> list[dict]:
    """Audit rows written for a record after it was at ``version`` (the other person's change).

    Every write that bumps a version writes a ``version`` audit row as its last row
    (:func:`versioned_update`). The rows after the one that made ``version`` are returned, oldest
    first, for the record itself and (for an action) its evidence and target-date changes: never
    the reader's own earlier save, even one made in the same second (case 10). Columns: ``id, at,
    actor, entity, entity_id, field, old_value, new_value``.
    """
    from monitoring import worklists

    trail = worklists.audit_rows(conn, entity, entity_id)
    made = [
        r["id"]
        for r in trail
        if r["entity"] == entity
        and r["field"] == "version"
        and str(r["new_value"] or "").isdigit()
        and int(r["new_value"]) == version
    ]
    if made:
        return [r for r in trail if r["id"] > max(made)]
    bumps = [
        r
        for r in trail
        if r["entity"] == entity
        and r["field"] == "version"
        and str(r["new_value"] or "").isdigit()
        and int(r["new_value"]) > version
    ]
    if not bumps:
        return []
    first = min(bumps, key=lambda r: r["id"])
    # The same write's other rows share its time and actor, and may come before the version row.
    return [
        r
        for r in trail
        if r["id"] >= first["id"] or (r["at"] == first["at"] and r["actor"] == first["actor"])
    ]


def _check_version(conn: Connection, entity: str, row: Mapping[str, Any], version: int | None):
    """:raises VersionConflict: when ``version`` was given and the row has moved on; it lists
    only the changes made after ``version`` (:func:`changes_since`)."""
    if version is None or int(row["version"]) == int(version):
        return
    raise VersionConflict(
        f"Someone else saved this {entity} after you opened it (you had version {version}, "
        f"it is now version {row['version']}). Their change is shown; your text is kept.",
        row,
        changes_since(conn, entity, int(row["id"]), int(version)),
    )


def _load_action(
    conn: Connection, actor: Actor, action_id: int, permission: str, version: int | None
) -> dict:
    """The action row, locked, after the permission and version checks."""
    row = _fetch(conn, db.action, action_id, "action")
    require(actor, permission, agency_id=row["lead_agency_id"])
    _check_version(conn, "action", row, version)
    return row


def _touch_action(
    conn: Connection,
    actor: Actor,
    row: Mapping[str, Any],
    values: Mapping[str, Any],
    extra_audit: Mapping[str, tuple[Any, Any]] | None = None,
    *,
    at: str,
    effective_on: str | None = None,
) -> dict:
    """Write ``values`` to the action, set ``last_update_on``/``updated_at``, bump ``version`` and
    audit every changed field (plus ``extra_audit``). Returns the action as it now is."""
    effective_on = effective_on or effective_date(at)
    values = {**values, "updated_at": at, "last_update_on": effective_on}
    versioned_update(
        conn,
        actor,
        db.action,
        row,
        values,
        at=at,
        effective_on=effective_on,
        extra_audit=extra_audit,
        quiet=_AUDIT_QUIET_FIELDS,
    )
    return _fetch(conn, db.action, int(row["id"]), "action", lock=False)


def _append_update(
    conn: Connection,
    actor: Actor,
    action_id: int,
    status: str,
    note: str | None,
    *,
    at: str,
    evidence_url: str | None = None,
    effective_on: str | None = None,
) -> None:
    """Append an ``action_update`` row (the dated record the "as at" view reads), recorded at
    ``at`` (UTC) and effective on ``effective_on`` (default the London date of ``at``)."""
    conn.execute(
        insert(db.action_update).values(
            action_id=action_id,
            author_id=actor.user_id,
            created_at=at,
            status=status,
            progress_note=note,
            evidence_url=evidence_url,
            effective_on=effective_on or effective_date(at),
        )
    )


def _status_values(
    row: Mapping[str, Any], status: str, reason: str | None, day: str | None = None
) -> dict:
    """Column values for moving an action to ``status`` (completed_on, closure_reason);
    ``completed_on`` is ``day`` (the London date of the change; default today)."""
    values: dict[str, Any] = {"status": status}
    if status == "completed":
        values["completed_on"] = day or config.today().isoformat()
    elif status != "assured":
        values["completed_on"] = None
    if status in ("not_implemented", "superseded"):
        values["closure_reason"] = reason
    elif row.get("closure_reason"):
        values["closure_reason"] = None
    return values


def _validate_status(row: Mapping[str, Any], actor: Actor, status: str, reason: str | None) -> None:
    if status not in db.ACTION_STATUSES:
        raise ValidationError(
            f"status: expected one of {', '.join(db.ACTION_STATUSES)}, got {status!r}."
        )
    if status == "assured":
        raise ValidationError(
            "status: an action becomes assured only when a board member or assurer assures it."
        )
    if row["status"] == "assured" and status != "assured" and actor.role != "admin":
        raise PermissionDenied("Only an administrator can reopen an assured action.")
    if status in ("not_implemented", "superseded") and not reason:
        raise ValidationError(f"reason: a reason is required to close an action as {status}.")


# --- action services --------------------------------------------------------------------------


def save_action_update(
    engine: Engine,
    actor: Actor,
    action_id: int,
    *,
    version: int | None,
    status: str | None = None,
    note: str | None = None,
    evidence_url: str | None = None,
    reason: str | None = None,
    now: datetime | None = None,
) -> dict:
    """One update of an action by its agency: a new status and/or a progress note and/or an
    evidence link, in one transaction (the "update" form and each bulk-table row use this).

    A status change appends an ``action_update`` row with the new status; moving to ``completed``
    sets ``completed_on`` to today; ``not_implemented``/``superseded`` need ``reason``.

    :param version: the action's ``version`` when it was read (None skips the check: commands).
        Changes since then by the same actor are no conflict.
    :param now: the moment of the save (aware datetime; default the clock): ``completed_on``,
        ``last_update_on`` and ``effective_on`` are its Europe/London date, ``created_at`` and the
        audit's ``at`` its UTC time (case 09).
    :returns: the action row after the write.
    :raises PermissionDenied: unless admin or the lead of the action's own agency (DESIGN §5).
    :raises ValidationError: unknown status, ``assured`` (use :func:`assure_action`), nothing to
        save, a missing reason, a bad link.
    :raises VersionConflict: the action was saved by someone else since ``version``.
    :raises NotFound: no such action.
    """
    require_role(actor, "update_action")
    note = _text(note, "progress note")
    reason = _text(reason, "reason", max_length=2000)
    evidence_url = _check_url(evidence_url) if evidence_url else None
    with write_core(engine, actor, now=now) as change:
        conn, at, day = change.conn, change.at, change.effective_on
        row = _load_action(conn, actor, action_id, "update_action", version)
        status = status or row["status"]
        if status != row["status"]:
            _validate_status(row, actor, status, reason)
        elif not note and not evidence_url:
            raise ValidationError(
                "progress note: nothing to save; change the status or write a note."
            )
        values = _status_values(row, status, reason, day) if status != row["status"] else {}
        extra: dict[str, tuple[Any, Any]] = {}
        if note:
            extra["progress_note"] = (None, note)
        if evidence_url:
            extra["evidence_url"] = (None, evidence_url)
        _append_update(
            conn, actor, action_id, status, note, at=at, evidence_url=evidence_url, effective_on=day
        )
        if evidence_url:
            conn.execute(
                insert(db.evidence).values(
                    action_id=action_id,
                    title=_link_title(evidence_url),
                    url=evidence_url,
                    uploaded_by=actor.email,
                    uploaded_at=at,
                )
            )
        return _touch_action(conn, actor, row, values, extra, at=at, effective_on=day)


def change_status(
    engine: Engine,
    actor: Actor,
    action_id: int,
    status: str,
    *,
    version: int | None,
    note: str | None = None,
    reason: str | None = None,
) -> dict:
    """Move an action to ``status`` (see :func:`save_action_update` for rules and errors)."""
    if not status:
        raise ValidationError("status: required.")
    return save_action_update(
        engine, actor, action_id, version=version, status=status, note=note, reason=reason
    )


def add_progress_update(
    engine: Engine, actor: Actor, action_id: int, note: str, *, version: int | None
) -> dict:
    """Append a progress note (status unchanged). :raises ValidationError: empty note."""
    if not _text(note, "progress note"):
        raise ValidationError("progress note: required, please enter some text.")
    return save_action_update(engine, actor, action_id, version=version, note=note)


def mark_completed(
    engine: Engine, actor: Actor, action_id: int, *, version: int | None, note: str | None = None
) -> dict:
    """The agency says the action is done: status ``completed``, ``completed_on`` today.

    Completed is not assured: a board member or assurer decides that (:func:`assure_action`).
    """
    return change_status(engine, actor, action_id, "completed", version=version, note=note)


def _check_url(url: str) -> str:
    url = str(url).strip()
    if not url.lower().startswith(("https://", "http://")) or len(url) > 2000 or " " in url:
        raise ValidationError(
            f"evidence link: expected a web address starting https://, got {url!r}."
        )
    return url


def _link_title(url: str) -> str:
    return url.split("//", 1)[-1][:300]


def check_evidence_file(file_name: str | None, content: bytes) -> tuple[str, str]:
    """Check an evidence file before anything is written: type, size and signature.

    :returns: ``(file name without folders, content type)``.
    :raises ValidationError: not an allowed type (:data:`EVIDENCE_TYPES`), empty, over 10 MB,
        or its content does not match its extension.
    """
    name = Path(str(file_name or "")).name
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if ext not in EVIDENCE_TYPES:
        raise ValidationError(
            f"evidence file: {name or 'the file'} is not an allowed type; allowed: "
            + ", ".join(sorted(set(EVIDENCE_TYPES) - {"jpeg"}))
            + "."
        )
    size = len(content)
    if size == 0:
        raise ValidationError(f"evidence file: {name} is empty.")
    if size > MAX_EVIDENCE_BYTES:
        raise ValidationError(
            f"evidence file: {name} is {size:,} bytes; the limit is {MAX_EVIDENCE_MB} MB"
            f" ({MAX_EVIDENCE_BYTES:,} bytes)."
        )
    content_type, signatures = EVIDENCE_TYPES[ext]
    if signatures and not content.startswith(signatures):
        raise ValidationError(f"evidence file: {name} is not a real .{ext} file.")
    if not signatures and b"\x00" in content[:4096]:
        raise ValidationError(f"evidence file: {name} is not a text file.")
    return name, content_type


def attach_evidence(
    engine: Engine,
    actor: Actor,
    action_id: int,
    *,
    version: int | None,
    title: str | None = None,
    url: str | None = None,
    file_name: str | None = None,
    content: bytes | None = None,
) -> dict:
    """Attach evidence to an action: a link (``url``) or a file (``file_name`` + ``content``).

    Files go under :func:`monitoring.config.evidence_dir` ``/<action id>/`` with their SHA-256;
    at most :data:`MAX_EVIDENCE_BYTES` (10 MB), types in :data:`EVIDENCE_TYPES` only, and the
    file's signature must match its extension. An ``action_update`` row records it.

    :returns: the ``evidence`` row written (dict).
    :raises PermissionDenied: unless admin or the lead of the action's own agency.
    :raises ValidationError: neither or both of link and file, bad link, type, size or signature.
    :raises VersionConflict, NotFound: as for :func:`save_action_update`.
    """
    require_role(actor, "attach_evidence")
    if bool(url) == (content is not None):
        raise ValidationError("evidence: give either a link or a file, not both or neither.")
    title = _text(title, "evidence title", max_length=300)
    digest = size = content_type = stored_name = None
    if url:
        url = _check_url(url)
        title = title or _link_title(url)
    else:
        name, content_type = check_evidence_file(file_name, content)
        size = len(content)
        digest = hashlib.sha256(content).hexdigest()
        safe = re.sub(r"[^A-Za-z0-9._-]+", "_", name)[-120:]
        stored_name = f"{action_id}/{digest[:16]}-{safe}"
        title = title or name
    at = config.utc_now_iso()
    written: Path | None = None
    try:
        with db.write_transaction(engine) as conn:
            row = _load_action(conn, actor, action_id, "attach_evidence", version)
            evidence_id = conn.execute(
                insert(db.evidence)
                .values(
                    action_id=action_id,
                    title=title,
                    url=url,
                    file_path=stored_name,
                    sha256=digest,
                    size_bytes=size,
                    content_type=content_type,
                    uploaded_by=actor.email,
                    uploaded_at=at,
                )
                .returning(db.evidence.c.id)
            ).scalar_one()
            record_audit(
                conn,
                actor,
                "evidence",
                evidence_id,
                {
                    "action_id": (None, action_id),
                    "title": (None, title),
                    "url": (None, url),
                    "file_path": (None, stored_name),
                    "sha256": (None, digest),
                },
                at=at,
            )
            _append_update(
                conn,
                actor,
                action_id,
                row["status"],
                f"Evidence added: {title}",
                at=at,
                evidence_url=url,
            )
            _touch_action(conn, actor, row, {}, {"evidence": (None, title)}, at=at)
            if stored_name:
                target = config.evidence_dir() / stored_name
                if not target.exists():
                    written = files.write_private(target, content)  # 0600 in 0700 (case 19)
            return _fetch(conn, db.evidence, evidence_id, "evidence", lock=False)
    except Exception:
        if written is not None:
            written.unlink(missing_ok=True)
        raise


def evidence_file(evidence_row: Mapping[str, Any]) -> Path | None:
    """Where an evidence row's file is stored (None for a link)."""
    path = evidence_row.get("file_path")
    return config.evidence_dir() / path if path else None


def request_due_date_change(
    engine: Engine,
    actor: Actor,
    action_id: int,
    new_due_on: date | str,
    reason: str,
    *,
    version: int | None,
) -> dict:
    """Ask for a new target date; it applies only when approved (:func:`decide_due_date_change`).

    :returns: the ``due_date_change`` row (decision ``pending``).
    :raises PermissionDenied: unless admin or the lead of the action's own agency.
    :raises ValidationError: no reason, bad date, same date, closed action, a request already
        pending.
    """
    require_role(actor, "request_date_change")
    reason = _text(reason, "reason", required=True, max_length=2000)
    new_due = _iso_date(new_due_on, "new target date")
    at = config.utc_now_iso()
    with db.write_transaction(engine) as conn:
        row = _load_action(conn, actor, action_id, "request_date_change", version)
        if row["status"] not in db.OPEN_STATUSES:
            raise ValidationError("new target date: only an open action's date can change.")
        if new_due == row["due_on"]:
            raise ValidationError(f"new target date: the target date is already {new_due}.")
        pending = conn.execute(
            select(db.due_date_change.c.id).where(
                db.due_date_change.c.action_id == action_id,
                db.due_date_change.c.decision == "pending",
            )
        ).first()
        if pending:
            raise ValidationError(
                "new target date: a change is already waiting for a decision on this action."
            )
        change_id = conn.execute(
            insert(db.due_date_change)
            .values(
                action_id=action_id,
                old_due_on=row["due_on"],
                new_due_on=new_due,
                reason=reason,
                requested_by=actor.email,
                requested_at=at,
                decision="pending",
                effective_on=effective_date(at),
            )
            .returning(db.due_date_change.c.id)
        ).scalar_one()
        record_audit(
            conn,
            actor,
            "due_date_change",
            change_id,
            {
                "action_id": (None, action_id),
                "old_due_on": (None, row["due_on"]),
                "new_due_on": (None, new_due),
                "reason": (None, reason),
                "decision": (None, "pending"),
            },
            at=at,
        )
        _touch_action(conn, actor, row, {}, {"requested_due_on": (None, new_due)}, at=at)
        return _fetch(conn, db.due_date_change, change_id, "target-date change", lock=False)


def decide_due_date_change(
    engine: Engine,
    actor: Actor,
    change_id: int,
    approve: bool,
    *,
    note: str | None = None,
) -> dict:
    """Approve or reject a pending target-date change (board or admin, DESIGN §5).

    Approval sets ``action.due_on`` to the new date and adds one to ``action.due_date_changes``;
    ``original_due_on`` never changes. ``decided_by``/``decided_at`` are kept either way.

    :returns: the ``due_date_change`` row after the decision.
    :raises PermissionDenied: for other roles.
    :raises VersionConflict: the change was already decided (carries the decision).
    """
    require(actor, "decide_date_change")
    note = _text(note, "note", max_length=2000)
    decision = "approved" if approve else "rejected"
    at = config.utc_now_iso()
    with db.write_transaction(engine) as conn:
        change = _fetch(conn, db.due_date_change, change_id, "target-date change")
        if change["decision"] != "pending":
            raise VersionConflict(
                f"This target-date change was already {change['decision']} by "
                f"{change['decided_by']}.",
                change,
                [
                    r
                    for r in changes_since(conn, "action", change["action_id"], 0)
                    if r["entity"] == "due_date_change" and r["entity_id"] == change_id
                ],
            )
        conn.execute(
            update(db.due_date_change)
            .where(db.due_date_change.c.id == change_id)
            .values(decision=decision, decided_by=actor.email, decided_at=at)
        )
        record_audit(
            conn,
            actor,
            "due_date_change",
            change_id,
            {"decision": ("pending", decision), "decided_by": (None, actor.email)},
            at=at,
        )
        row = _fetch(conn, db.action, change["action_id"], "action")
        if approve:
            _append_update(
                conn,
                actor,
                row["id"],
                row["status"],
                f"Target date moved from {_day_words(row['due_on'])} to "
                f"{_day_words(change['new_due_on'])}: "
                f"{change['reason']}" + (f" ({note})" if note else ""),
                at=at,
            )
            _touch_action(
                conn,
                actor,
                row,
                {
                    "due_on": change["new_due_on"],
                    "due_date_changes": int(row["due_date_changes"] or 0) + 1,
                },
                at=at,
            )
        elif note:
            record_audit(conn, actor, "due_date_change", change_id, {"note": (None, note)}, at=at)
        return _fetch(conn, db.due_date_change, change_id, "target-date change", lock=False)


def assure_action(
    engine: Engine, actor: Actor, action_id: int, *, version: int | None, note: str | None = None
) -> dict:
    """A board member, assurer or admin has seen the evidence: ``completed`` → ``assured``.

    The action's unverified evidence is marked verified by the actor.

    :raises PermissionDenied: for other roles. :raises ValidationError: not ``completed``.
    """
    require(actor, "assure")
    note = _text(note, "note")
    at = config.utc_now_iso()
    with db.write_transaction(engine) as conn:
        row = _load_action(conn, actor, action_id, "assure", version)
        if row["status"] != "completed":
            raise ValidationError(
                f"status: only a completed action can be assured; this one is {row['status']}."
            )
        conn.execute(
            update(db.evidence)
            .where(db.evidence.c.action_id == action_id, db.evidence.c.verified_at.is_(None))
            .values(verified_by=actor.email, verified_at=at)
        )
        _append_update(conn, actor, action_id, "assured", note or "Assured.", at=at)
        extra = {"assurance_note": (None, note)} if note else {}
        return _touch_action(conn, actor, row, {"status": "assured"}, extra, at=at)


def return_action(
    engine: Engine, actor: Actor, action_id: int, reason: str, *, version: int | None
) -> dict:
    """Return a completed action to its agency for more evidence: back to ``in_progress``.

    :raises PermissionDenied: for roles other than board, assurer, admin.
    :raises ValidationError: no reason, or the action is not ``completed``.
    """
    require(actor, "assure")
    reason = _text(reason, "reason", required=True, max_length=2000)
    at = config.utc_now_iso()
    with db.write_transaction(engine) as conn:
        row = _load_action(conn, actor, action_id, "assure", version)
        if row["status"] != "completed":
            raise ValidationError(
                f"status: only a completed action can be returned; this one is {row['status']}."
            )
        note = f"Returned for more evidence: {reason}"
        _append_update(conn, actor, action_id, "in_progress", note, at=at)
        return _touch_action(
            conn,
            actor,
            row,
            {"status": "in_progress", "completed_on": None},
            {"return_reason": (None, reason)},
            at=at,
        )


def assure_recommendation(
    engine: Engine,
    actor: Actor,
    recommendation_id: int,
    assurance_status: str,
    *,
    version: int | None,
    note: str | None = None,
    measure_id: int | None = None,
) -> dict:
    """Set a recommendation's ``assurance_status`` (board, assurer, admin).

    :param measure_id: "assured on a measure" (issue 21): a measure of this recommendation whose
        target is consistently met now (:func:`monitoring.measures.recommendations_meeting_target`);
        the audit entry ``assured_on_measure`` records it as "name (measure id)".
    :returns: the recommendation row after the write.
    :raises ValidationError: unknown status; a measure given with a status other than assured,
        or one that is not this recommendation's or does not meet its target.
    :raises VersionConflict: stale ``version``.
    """
    require(actor, "assure")
    if assurance_status not in db.ASSURANCE_STATUSES:
        raise ValidationError(
            f"assurance status: expected one of {', '.join(db.ASSURANCE_STATUSES)}, "
            f"got {assurance_status!r}."
        )
    note = _text(note, "note")
    if measure_id is not None and assurance_status != "assured":
        raise ValidationError("measure: a recommendation is assured on a measure only as assured.")
    at = config.utc_now_iso()
    with db.write_transaction(engine) as conn:
        row = _fetch(conn, db.recommendation, recommendation_id, "recommendation")
        _check_version(conn, "recommendation", row, version)
        extra = {"assurance_note": (None, note)} if note else {}
        if measure_id is not None:
            from monitoring import measures  # measures writes through this module

            met = measures.recommendations_meeting_target(conn)
            met = met[
                (met["recommendation_id"] == recommendation_id) & (met["measure_id"] == measure_id)
            ]
            if met.empty:
                raise ValidationError(
                    f"measure: measure {measure_id} is not one of this recommendation's measures "
                    "meeting its target."
                )
            extra["assured_on_measure"] = (None, f"{met['name'].iloc[0]} (measure {measure_id})")
        versioned_update(
            conn,
            actor,
            db.recommendation,
            row,
            {"assurance_status": assurance_status, "updated_at": at},
            at=at,
            extra_audit=extra or None,
            quiet=("updated_at",),
        )
        return _fetch(conn, db.recommendation, recommendation_id, "recommendation", lock=False)


def override_rag(
    engine: Engine,
    actor: Actor,
    action_id: int,
    rag: str | None,
    reason: str | None,
    *,
    version: int | None,
) -> dict:
    """Set (or clear, with ``rag`` None/empty) a manual RAG override on an action.

    A reason is required to set one (DESIGN §4); clearing removes the reason too.

    :raises PermissionDenied: for roles other than board and admin.
    :raises ValidationError: unknown RAG code or no reason.
    """
    require(actor, "override_rag")
    from monitoring.rules import RAG_CODES

    rag = (rag or "").strip().lower() or None
    if rag is not None and rag not in RAG_CODES:
        raise ValidationError(f"RAG: expected one of {', '.join(RAG_CODES)}, got {rag!r}.")
    reason = _text(reason, "reason", required=rag is not None, max_length=2000) if rag else None
    at = config.utc_now_iso()
    with db.write_transaction(engine) as conn:
        row = _load_action(conn, actor, action_id, "override_rag", version)
        return _touch_action(
            conn, actor, row, {"rag_override": rag, "rag_override_reason": reason}, at=at
        )


def set_review_publication(
    engine: Engine, actor: Actor, review_id: int, published_on: date | str | None
) -> dict:
    """Publish a review in the public register on ``published_on``, or withdraw it (None), as an
    administrator (case 13). Only reviews with a publication date go into the register
    (:func:`monitoring.exports.public.published_review_ids`); imports never set one. Publishing
    a review whose status is ``unpublished`` moves it to ``monitoring``. Audited.

    :returns: the ``review`` row after the change.
    :raises PermissionDenied: for roles other than admin. :raises NotFound: no such review.
    :raises ValidationError: not a date.
    """
    require(actor, "publish_review")
    day = _iso_date(published_on, "publication date") if published_on else None
    with db.write_transaction(engine) as conn:
        row = _fetch(conn, db.review, int(review_id), "review")
        values = {"published_on": day}
        if day and row["status"] == "unpublished":
            values["status"] = "monitoring"
        conn.execute(update(db.review).where(db.review.c.id == row["id"]).values(values))
        record_audit(conn, actor, "review", row["id"], {k: (row[k], v) for k, v in values.items()})
        return {**row, **values}


def record_meeting_decision(
    engine: Engine,
    actor: Actor,
    entity: str,
    entity_id: int | None,
    decision: str,
    *,
    meeting_id: int | None = None,
) -> dict:
    """Record what a board meeting decided about a review, recommendation, action or agency.

    :returns: the ``meeting_decision`` row.
    :raises PermissionDenied: for roles other than board and admin.
    :raises ValidationError: unknown entity or empty decision. :raises NotFound: missing record.
    """
    require(actor, "record_meeting")
    if entity not in MEETING_DECISION_ENTITIES:
        raise ValidationError(
            f"entity: expected one of {', '.join(MEETING_DECISION_ENTITIES)}, got {entity!r}."
        )
    decision = _text(decision, "decision", required=True)
    at = config.utc_now_iso()
    with db.write_transaction(engine) as conn:
        if entity_id is not None:
            _fetch(conn, db.metadata.tables[entity], int(entity_id), entity, lock=False)
        if meeting_id is not None:
            _fetch(conn, db.meeting, int(meeting_id), "meeting", lock=False)
        decision_id = conn.execute(
            insert(db.meeting_decision)
            .values(
                meeting_id=meeting_id,
                entity=entity,
                entity_id=entity_id,
                decision=decision,
                decided_by=actor.email,
                decided_at=at,
            )
            .returning(db.meeting_decision.c.id)
        ).scalar_one()
        record_audit(
            conn,
            actor,
            "meeting_decision",
            decision_id,
            {
                "meeting_id": (None, meeting_id),
                "entity": (None, entity),
                "entity_id": (None, entity_id),
                "decision": (None, decision),
            },
            at=at,
        )
        return _fetch(conn, db.meeting_decision, decision_id, "meeting decision", lock=False)


def require_role(actor: Actor, permission: str) -> None:
    """Refuse early when the actor's role can never do ``permission`` (agency checked later)."""
    if actor.role not in PERMISSIONS[permission]:
        require(actor, permission)


# --- user services ----------------------------------------------------------------------------

EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD_LENGTH = 12


def _check_password(password: str, email: str | None) -> str:
    """``password`` if :func:`monitoring.auth.password_problem` accepts it (NCSC policy, case 21).

    :raises ValidationError: saying why it is refused."""
    from monitoring import auth

    problem = auth.password_problem(password, email)
    if problem:
        raise ValidationError(f"password: refused because {problem}")
    return password


def create_user(
    engine: Engine,
    actor: Actor,
    email: str,
    display_name: str,
    role: str,
    *,
    agency_id: int | None = None,
    password: str | None = None,
) -> dict:
    """Add an account (admin only). ``password`` None: single sign-on only.

    Agency leads need an agency; other roles have none. The password is stored as an argon2 hash.

    :returns: the ``app_user`` row without its hash.
    :raises ValidationError: bad e-mail, unknown role or agency, e-mail already used, password
        refused by the password policy (:func:`monitoring.auth.password_problem`).
    """
    from monitoring import auth

    require(actor, "manage_users")
    email = (email or "").strip().lower()
    if not EMAIL_PATTERN.match(email):
        raise ValidationError(f"e-mail: expected an address like name@example.org, got {email!r}.")
    display_name = _text(display_name, "name", required=True, max_length=200)
    if role not in db.ROLES:
        raise ValidationError(f"role: expected one of {', '.join(db.ROLES)}, got {role!r}.")
    if role == "agency_lead" and agency_id is None:
        raise ValidationError("agency: an agency lead needs an agency.")
    if role != "agency_lead":
        agency_id = None
    password_hash = auth.hash_password(_check_password(password, email)) if password else None
    at = config.utc_now_iso()
    with db.write_transaction(engine) as conn:
        if agency_id is not None:
            _fetch(conn, db.agency, int(agency_id), "agency", lock=False)
        taken = conn.execute(select(db.app_user.c.id).where(db.app_user.c.email == email)).first()
        if taken:
            raise ValidationError(f"e-mail: {email} already has an account.")
        user_id = conn.execute(
            insert(db.app_user)
            .values(
                email=email,
                display_name=display_name,
                role=role,
                agency_id=agency_id,
                password_hash=password_hash,
                active=True,
                failed_logins=0,
                created_at=at,
            )
            .returning(db.app_user.c.id)
        ).scalar_one()
        record_audit(
            conn,
            actor,
            "app_user",
            user_id,
            {
                "email": (None, email),
                "display_name": (None, display_name),
                "role": (None, role),
                "agency_id": (None, agency_id),
                "active": (None, True),
                "password": (None, "set" if password_hash else None),
            },
            at=at,
        )
        return _public_user(_fetch(conn, db.app_user, user_id, "user", lock=False))


def _public_user(row: Mapping[str, Any]) -> dict:
    return {k: v for k, v in row.items() if k != "password_hash"}


def _find_user_row(conn: Connection, user: int | str) -> dict:
    column = db.app_user.c.id if isinstance(user, int) else db.app_user.c.email
    key = user if isinstance(user, int) else str(user).strip().lower()
    row = (
        conn.execute(select(db.app_user).where(column == key).with_for_update()).mappings().first()
    )
    if row is None:
        raise NotFound(f"No account {user}.")
    return dict(row)


def set_user_active(engine: Engine, actor: Actor, user: int | str, active: bool) -> dict:
    """Enable or disable an account (by id or e-mail; admin only). A disabled user cannot sign in.

    :raises NotFound: no such account. :raises ValidationError: disabling your own account.
    """
    require(actor, "manage_users")
    with db.write_transaction(engine) as conn:
        row = _find_user_row(conn, user)
        if not active and row["email"] == actor.email:
            raise ValidationError("active: you cannot disable your own account.")
        conn.execute(update(db.app_user).where(db.app_user.c.id == row["id"]).values(active=active))
        record_audit(conn, actor, "app_user", row["id"], {"active": (row["active"], active)})
        return _public_user({**row, "active": active})


def unlock_user(engine: Engine, actor: Actor, user: int | str) -> dict:
    """Clear an account's failed sign-ins and lockout (admin only). :raises NotFound:."""
    require(actor, "manage_users")
    with db.write_transaction(engine) as conn:
        row = _find_user_row(conn, user)
        conn.execute(
            update(db.app_user)
            .where(db.app_user.c.id == row["id"])
            .values(failed_logins=0, locked_until=None)
        )
        record_audit(
            conn,
            actor,
            "app_user",
            row["id"],
            {
                "failed_logins": (row["failed_logins"], 0),
                "locked_until": (row["locked_until"], None),
            },
        )
        return _public_user({**row, "failed_logins": 0, "locked_until": None})


def set_user_password(engine: Engine, actor: Actor, user: int | str, password: str) -> dict:
    """Set a new password (admin only); also clears any lockout.

    :raises ValidationError: refused by :func:`monitoring.auth.password_problem`.
    """
    from monitoring import auth

    require(actor, "manage_users")
    with db.write_transaction(engine) as conn:
        row = _find_user_row(conn, user)
        password_hash = auth.hash_password(_check_password(password, row["email"]))
        conn.execute(
            update(db.app_user)
            .where(db.app_user.c.id == row["id"])
            .values(password_hash=password_hash, failed_logins=0, locked_until=None)
        )
        record_audit(conn, actor, "app_user", row["id"], {"password": ("set", "changed")})
        return _public_user({**row, "failed_logins": 0, "locked_until": None})


def bulk_update_actions(engine: Engine, actor: Actor, rows: list[Mapping[str, Any]]) -> list[dict]:
    """Apply the changed rows of the bulk update table, each in its own transaction.

    :param rows: dicts with ``id``, ``version`` (as read), and ``status`` and/or ``note``
        (see :func:`monitoring.worklists.bulk_changes`).
    :returns: one dict per row: ``id, ok (bool), message`` (the service's error text when refused);
        every row is re-checked by :func:`save_action_update` (permission, version, values).
    """
    results = []
    for row in rows:
        try:
            saved = save_action_update(
                engine,
                actor,
                int(row["id"]),
                version=int(row["version"]),
                status=row.get("status") or None,
                note=row.get("note") or None,
                reason=row.get("reason") or None,
            )
        except ServiceError as exc:
            results.append({"id": int(row["id"]), "ok": False, "message": str(exc)})
        else:
            results.append(
                {"id": int(row["id"]), "ok": True, "message": f"Saved (now {saved['status']})."}
            )
    return results


# --- reminders --------------------------------------------------------------------------------

from collections.abc import Callable, Collection, Sequence  # noqa: E402


def record_escalations(
    engine: Engine, actor: Actor, reached: Sequence[Mapping[str, Any]], *, today: date
) -> list[dict]:
    """Record escalation levels reached by overdue actions, in one transaction.

    Writes one ``escalation`` row (``reached_on`` = ``today``) and one ``audit_log`` row on the
    action (field ``escalation``, e.g. ``None`` → ``level 2: copied to board member (31 days
    overdue)``) per new level, so the action's History shows it. The ladder is idempotent: a level
    is skipped when the action already has a row of that level or higher recorded after its
    current target date (re-checked here, inside the transaction), so re-runs and concurrent runs
    record each level once, and an approved later target date starts the ladder again.

    :param reached: from :func:`monitoring.reminders.new_escalations`: mappings with ``action_id,
        level, level_name, days_overdue, due_on``.
    :returns: the rows recorded (the input mappings that were new, as dicts).
    :raises PermissionDenied: unless the actor may ``send_reminders``.
    """
    require(actor, "send_reminders")
    recorded: list[dict] = []
    if not reached:
        return recorded
    on = _iso_date(today, "today")
    at = config.utc_now_iso()
    with db.write_transaction(engine) as conn:
        for item in reached:
            due_on = conn.execute(
                select(db.action.c.due_on).where(db.action.c.id == item["action_id"])
            ).scalar()
            if due_on is None:
                continue
            previous = conn.execute(
                select(db.escalation.c.level, db.escalation.c.level_name)
                .where(
                    db.escalation.c.action_id == item["action_id"],
                    db.escalation.c.reached_on > due_on,
                )
                .order_by(db.escalation.c.level.desc())
                .limit(1)
            ).first()
            if previous is not None and previous.level >= item["level"]:
                continue
            conn.execute(
                insert(db.escalation).values(
                    action_id=item["action_id"],
                    level=item["level"],
                    level_name=item["level_name"],
                    days_overdue=item["days_overdue"],
                    reached_on=on,
                )
            )
            old = f"level {previous.level}: {previous.level_name}" if previous else None
            new = (
                f"level {item['level']}: {item['level_name']} ({item['days_overdue']} days overdue)"
            )
            record_audit(
                conn, actor, "action", item["action_id"], {"escalation": (old, new)}, at=at
            )
            recorded.append(dict(item))
    return recorded


def send_reminder(
    engine: Engine,
    actor: Actor,
    *,
    recipient: str,
    agency_id: int | None,
    sent_on: date,
    subject: str,
    action_ids: Sequence[int],
    cc: Sequence[str] = (),
    send: Callable[[Sequence[str]], Collection[str]],
) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    """Send one reminder e-mail and log it in ``reminder_log``, in one transaction per message.

    Inside one write transaction: lock the recipient's ``app_user`` row (PostgreSQL; SQLite's
    ``BEGIN IMMEDIATE`` already serialises writers), return ``None`` without sending when
    ``reminder_log`` already has ``recipient`` for ``sent_on``, drop any ``cc`` address already
    copied for this agency that day, call ``send(cc)``, insert one ``reminder_log`` row per
    address the server accepted (``To`` and each ``Cc``; a refused address is not logged, so the
    next run tries it again, without re-copying accepted ones), and commit.

    Why one transaction per message, held open across the send: if ``send`` raises, or the
    process dies before the commit, the rows roll back, so a message is never recorded as sent
    unless the server accepted it; messages sent earlier in the run are already committed, so a
    re-run after a crash does not send them again (a per-run transaction would roll them back and
    re-send). The one gap that no database can close is a crash in the instant between the
    server accepting the message and the commit: that message would be sent again on re-run.
    Keep the SMTP connection open beforehand so the transaction lasts only as long as one send.
    ``reminder_log`` is itself the record of what was sent, so no ``audit_log`` row is added.

    :param send: sends the message, given the ``Cc`` addresses to use; returns the addresses the
        server refused (``smtplib``'s ``send_message`` result); raises when nothing was sent.
    :returns: ``(cc used, addresses refused)``, or ``None`` when already sent that day (nothing
        sent).
    :raises PermissionDenied: unless the actor may ``send_reminders``.
    """
    require(actor, "send_reminders")
    on = _iso_date(sent_on, "sent_on")
    log = db.reminder_log
    with db.write_transaction(engine) as conn:
        conn.execute(
            select(db.app_user.c.id).where(db.app_user.c.email == recipient).with_for_update()
        ).first()

        def logged(address: str, agency: int | None = None) -> bool:
            query = select(log.c.id).where(log.c.sent_on == on, log.c.recipient == address)
            if agency is not None:
                query = query.where(log.c.agency_id == agency)
            return conn.execute(query.limit(1)).first() is not None

        if logged(recipient):
            return None
        copy_to = tuple(address for address in cc if not logged(address, agency_id))
        refused = tuple(send(copy_to) or ())
        at = config.utc_now_iso()
        ids = ",".join(str(int(i)) for i in action_ids)
        accepted = [address for address in (recipient, *copy_to) if address not in refused]
        conn.execute(
            insert(log),
            [
                {
                    "sent_on": on,
                    "sent_at": at,
                    "recipient": address,
                    "agency_id": agency_id,
                    "subject": subject[:300],
                    "action_ids": ids,
                }
                for address in accepted
            ],
        )
    return copy_to, refused


# --- meetings ---------------------------------------------------------------------------------


def create_meeting(engine: Engine, actor: Actor, held_on: date | str, title: str) -> int:
    """Record a board meeting held on ``held_on`` (board or admin, DESIGN §5).

    Its baseline is the previous meeting by date (the one "changes since the last meeting" are
    counted from); a meeting recorded between two others becomes the later one's baseline.

    :returns: the new ``meeting.id``.
    :raises PermissionDenied: for other roles.
    :raises ValidationError: bad date, empty title, or a meeting already recorded on that date.
    """
    require(actor, "record_meeting")
    held = _iso_date(held_on, "meeting date")
    title = _text(title, "meeting title", required=True, max_length=300)
    at = config.utc_now_iso()
    meeting = db.meeting
    with db.write_transaction(engine) as conn:
        if conn.execute(select(meeting.c.id).where(meeting.c.held_on == held)).first():
            raise ValidationError(f"meeting date: a meeting on {held} is already recorded.")
        baseline = conn.execute(
            select(meeting.c.id)
            .where(meeting.c.held_on < held)
            .order_by(meeting.c.held_on.desc())
            .limit(1)
        ).scalar()
        meeting_id = conn.execute(
            insert(meeting)
            .values(held_on=held, title=title, baseline_meeting_id=baseline)
            .returning(meeting.c.id)
        ).scalar_one()
        record_audit(
            conn,
            actor,
            "meeting",
            meeting_id,
            {
                "held_on": (None, held),
                "title": (None, title),
                "baseline_meeting_id": (None, baseline),
            },
            at=at,
        )
        following = conn.execute(
            select(meeting.c.id, meeting.c.baseline_meeting_id)
            .where(meeting.c.held_on > held)
            .order_by(meeting.c.held_on)
            .limit(1)
        ).first()
        if following is not None and following.baseline_meeting_id != meeting_id:
            conn.execute(
                update(meeting)
                .where(meeting.c.id == following.id)
                .values(baseline_meeting_id=meeting_id)
            )
            record_audit(
                conn,
                actor,
                "meeting",
                following.id,
                {"baseline_meeting_id": (following.baseline_meeting_id, meeting_id)},
                at=at,
            )
        return int(meeting_id)


# --- import ---


def preview_import(engine, actor: Actor, plan, *, progress=None):
    """Dry run of a tracker import: what :func:`import_tracker` would create and change.

    Reads only (no transaction is written). A database without tables is treated as empty.

    :returns: a :class:`monitoring.importer.writer.ImportSummary` with ``dry_run`` true.
    :raises PermissionDenied: unless the actor may ``import``.
    """
    from sqlalchemy import inspect

    from monitoring.importer.writer import apply_plan

    require(actor, "import")
    if not inspect(engine).has_table("action"):
        return apply_plan(None, plan, actor, dry_run=True, progress=progress)
    with db.read_connection(engine) as conn:
        return apply_plan(conn, plan, actor, dry_run=True, progress=progress)


IMPORT_ATTEMPTS = 3
"""How many times an import is prepared again when another writer moved what it relied on."""


def import_tracker(engine, actor: Actor, plan, *, progress=None):
    """Import a planned tracker: everything or nothing, without holding the write lock for long.

    The file is compared with the database in a read snapshot (no lock: saves go on meanwhile,
    :func:`monitoring.importer.writer.prepare_plan`); the prepared rows are then written in one
    short write transaction, so readers see all of the import at once or none of it. When another
    writer moved something the import relied on in between (a reserved id, an action it changes),
    or another import created the same records first, it is prepared again, at most
    :data:`IMPORT_ATTEMPTS` times (issue 15, case 08).

    :param plan: a :class:`monitoring.importer.plan.ImportPlan` with no errors.
    :param progress: called with (fraction 0..1, message) while rows are prepared and written.
    :returns: a :class:`monitoring.importer.writer.ImportSummary`.
    :raises PermissionDenied: unless the actor may ``import``.
    :raises ValidationError: when the plan has errors (each listed in the message).
    :raises DatabaseBusy: the records kept changing under the import, or the database stayed busy.
    """
    from sqlalchemy.exc import IntegrityError

    from monitoring.importer.writer import ImportRaced, catch_up, drop_stages, prepare_plan

    require(actor, "import")
    if plan.errors:
        listed = "; ".join(str(p) for p in plan.errors[:20])
        raise ValidationError(f"{len(plan.errors)} error(s) in {plan.source}: {listed}")
    for _attempt in range(IMPORT_ATTEMPTS):
        with engine.connect() as conn:
            try:
                # a read snapshot; the new rows are staged, a batch at a time, in temporary
                # tables of this connection, which the write transaction then moves in
                with conn.begin():
                    summary, pending = prepare_plan(conn, plan, actor, progress=progress)
                with db.write_transaction(engine, connection=conn) as write_conn:
                    pending.apply(write_conn, progress)
            except (ImportRaced, IntegrityError):  # another import created the same records
                continue
            finally:
                drop_stages(conn)
        summary.written = True
        catch_up(engine)  # the search index and roll-ups of what was moved in, after the commit
        db.optimize(engine, after_write=True)  # planner statistics for the rows just written
        return summary
    raise DatabaseBusy(
        f"Not imported: the records kept changing while {plan.source} was being compared "
        f"({IMPORT_ATTEMPTS} tries). Nothing was written; run the import again."
    )
