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

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, insert

from monitoring import config, db

# --- errors -----------------------------------------------------------------------------------


class ServiceError(Exception):
    """A write was refused; the message is fit to show to the user."""


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
    "read_all": frozenset({"admin", "board", "assurer", "agency_lead"}),
}
OWN_AGENCY_ONLY = frozenset({"update_action", "attach_evidence", "request_date_change"})


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


def record_audit(
    conn: Connection,
    actor: Actor,
    entity: str,
    entity_id: int | None,
    changes: Mapping[str, tuple[Any, Any]],
    *,
    at: str | None = None,
) -> int:
    """Write one ``audit_log`` row per changed field, inside the caller's transaction.

    :param changes: ``{field: (old_value, new_value)}``; pairs whose old and new text are equal are
        skipped. Values are stored as text.
    :returns: the number of rows written.
    """
    at = at or config.utc_now_iso()
    rows = [
        {
            "at": at,
            "actor": actor.email,
            "entity": entity,
            "entity_id": entity_id,
            "field": field,
            "old_value": _as_text(old),
            "new_value": _as_text(new),
        }
        for field, (old, new) in changes.items()
        if _as_text(old) != _as_text(new)
    ]
    if rows:
        conn.execute(insert(db.audit_log), rows)
    return len(rows)
