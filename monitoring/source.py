"""The records source: what every read model reads, and as whom (DESIGN §8, issues 19 and 14).

A :class:`Source` is one frozen, hashable value carrying

- ``today``: the date the rules apply to when reading the records now;
- ``as_at``: a past date to read the records as they stood then (``None``: the records now);
- ``scope``: the reader's :class:`Scope` (role and agency), which decides which rows and fields
  the read models may return;
- ``filters``: the sidebar's :class:`monitoring.queries.Filters` (their own ``as_at`` is always
  ``None`` here: the source's ``as_at`` is the one date);
- ``window_days`` and ``stale_days``: the thresholds of the "due soon" and "stale" rules.

The source decides how rows are got (:meth:`Source.records`: the tables, or their reconstruction
as at the date, restricted to the reviews the reader may see); the read models of
:mod:`monitoring.reads` take it, so a page, an export or a download cannot forget the date, a
filter or the scope. Being hashable, it is also the cache key of a page's reads
(:func:`monitoring.ui.data.read`): a viewer never gets a frame cached for a board member.

What each role may read is :class:`Scope`'s to say, in one place, and written down in
``docs/data-protection.md``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from sqlalchemy import false, literal, select, true
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.expression import FromClause, Select

from monitoring.asat import RECORDS_NOW, Records, records_as_at
from monitoring.db import ROLES, action, review
from monitoring.queries import NO_FILTERS, Filters, iso

FULL_ROLES = frozenset({"admin", "board", "assurer"})
"""Roles that read everything: every review, note, piece of evidence, officer and e-mail."""


@dataclass(frozen=True)
class Scope:
    """Who is reading: ``role`` (one of :data:`monitoring.db.ROLES`) and, for an agency lead,
    ``agency_id``. An unknown role reads as a viewer (the narrowest scope).

    - admin, board, assurer: everything;
    - agency lead: every review and action (statuses, dates, RAG, lead officers), but progress
      notes and evidence only of actions their own agency leads; no e-mail addresses;
    - viewer: published reviews only (``published_on`` set and not after the date read), their
      recommendations, actions and statuses; no progress notes, evidence, lead officers or
      e-mail addresses.
    """

    role: str
    agency_id: int | None = None

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            object.__setattr__(self, "role", "viewer")
        if self.role != "agency_lead":
            object.__setattr__(self, "agency_id", None)

    @classmethod
    def of(cls, actor) -> Scope:
        """The scope of a signed-in :class:`monitoring.services.Actor` (or an ``app_user`` row as
        a mapping with ``role`` and ``agency_id``)."""
        if isinstance(actor, dict):
            return cls(actor.get("role") or "viewer", actor.get("agency_id"))
        return cls(actor.role, actor.agency_id)

    @property
    def full(self) -> bool:
        """True for roles that read everything."""
        return self.role in FULL_ROLES

    @property
    def published_only(self) -> bool:
        """True when only published reviews may be read (viewers)."""
        return self.role == "viewer"

    @property
    def sees_officers(self) -> bool:
        """True when lead officers' names may be read."""
        return self.role != "viewer"

    @property
    def sees_emails(self) -> bool:
        """True when e-mail addresses (of users, requesters, audit actors) may be read."""
        return self.full

    def sees_agency_detail(self, agency_id: int | None) -> bool:
        """True when the progress notes and evidence of an action led by ``agency_id`` may be
        read (the Python twin of :meth:`detail_sql`)."""
        if self.full:
            return True
        return self.role == "agency_lead" and agency_id is not None and agency_id == self.agency_id

    def detail_sql(self, a: FromClause = action) -> ColumnElement[bool]:
        """SQL: true for the rows of ``a`` (action-shaped) whose notes and evidence may be read."""
        if self.full:
            return true()
        if self.role == "agency_lead" and self.agency_id is not None:
            return a.c.lead_agency_id == self.agency_id
        return false()


FULL_SCOPE = Scope("admin")
"""The scope of commands and of the system itself (``publish`` applies its own rule)."""


@dataclass(frozen=True)
class Source:
    """One read: the date, the reader's scope and the filters (module docstring).

    Build it with :func:`source` (or :func:`monitoring.ui.data.source` in a page).
    """

    today: date
    scope: Scope = FULL_SCOPE
    filters: Filters = NO_FILTERS
    as_at: date | None = None
    window_days: int = 30
    stale_days: int = 90

    @property
    def day(self) -> date:
        """The date the rules apply to: ``as_at`` when set, else ``today``."""
        return self.as_at if self.as_at is not None else self.today

    @property
    def restricted(self) -> bool:
        """True when the reader may not read every review (rows are narrowed)."""
        return self.scope.published_only

    def at(self, day: date) -> Source:
        """The same reader and filters, reading the records as they stood on ``day`` (the records
        now when ``day`` is today or later)."""
        return replace(self, as_at=day if day < self.today else None)

    def review_ids(self, day: date | None = None) -> Select | None:
        """SQL selecting the ids of the reviews the reader may read on ``day`` (default
        :attr:`day`), or ``None`` when every review may be read."""
        if not self.scope.published_only:
            return None
        on = iso(day or self.day)
        return select(review.c.id).where(
            review.c.published_on.is_not(None), review.c.published_on <= on
        )

    def in_scope(self, column, day: date | None = None) -> ColumnElement[bool]:
        """SQL: true when ``column`` (a review id) names a review the reader may read."""
        ids = self.review_ids(day)
        return literal(True) if ids is None else column.in_(ids)

    def records(self) -> Records:
        """The rows read: the tables now, or their reconstruction as at ``as_at``
        (:func:`monitoring.asat.records_as_at`), restricted to the reviews in scope."""
        base = RECORDS_NOW if self.as_at is None else records_as_at(self.as_at)
        ids = self.review_ids()
        if ids is None:
            return base
        return Records(
            select(base.a).where(base.a.c.review_id.in_(ids)).subquery("action_scoped"),
            select(base.r).where(base.r.c.review_id.in_(ids)).subquery("rec_scoped"),
            select(base.rv).where(base.rv.c.id.in_(ids)).subquery("review_scoped"),
            base.as_at,
        )

    def detail_sql(self, a: FromClause | None = None) -> ColumnElement[bool]:
        """SQL: true for actions of ``a`` whose progress notes and evidence the reader may read."""
        return self.scope.detail_sql(a if a is not None else self.records().a)


def source(
    today: date,
    scope: Scope = FULL_SCOPE,
    filters: Filters = NO_FILTERS,
    *,
    as_at: date | None = None,
    window_days: int = 30,
    stale_days: int = 90,
) -> Source:
    """A :class:`Source`. ``as_at`` defaults to ``filters.as_at``; a date on or after ``today`` reads
    the records now. The filters are kept without their ``as_at``."""
    as_at = as_at if as_at is not None else filters.as_at
    return Source(
        today=today,
        scope=scope,
        filters=replace(filters, as_at=None),
        as_at=as_at if as_at is not None and as_at < today else None,
        window_days=window_days,
        stale_days=stale_days,
    )


__all__ = ["FULL_SCOPE", "Scope", "Source", "source"]
