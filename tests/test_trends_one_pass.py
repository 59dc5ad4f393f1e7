"""The Trends page's monthly points in one pass (:func:`monitoring.trends.trend`, issue 18) equal
the per-month "as at" rebuild they replace (:func:`monitoring.asat.trend`: the records rebuilt as
at each month end separately), frame for frame: one table of edge cases (each also checked against
the figures worked out by hand), every filter and the viewer's scope over all the cases at once,
the demo, and the real PFD data. Both backends."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import date

import pandas as pd
import pytest
from dateutil.relativedelta import relativedelta
from sqlalchemy import func, insert, select

from monitoring import asat, importer, reads, trends
from monitoring.db import (
    action,
    action_update,
    agency,
    audit_log,
    due_date_change,
    recommendation,
    recommendation_theme,
    review,
    theme,
)
from monitoring.queries import NO_FILTERS, Filters
from monitoring.source import Scope, source
from tests.conftest import ANCHOR, REALDATA

START, END = date(2026, 1, 1), date(2026, 7, 15)
POINTS = asat.month_ends(START, END)
"""31 Jan, 28 Feb, 31 Mar, 30 Apr, 31 May, 30 Jun (month ends) and 15 Jul (the last point)."""
BEFORE = "2025-12-01T09:00:00+00:00"
"""Created before every point."""


class Book:
    """Rows written straight into the tables, with the timestamps and dates a case needs (the
    services stamp "now"; an edge case needs 23:30 UTC on a summer month end)."""

    def __init__(self, conn) -> None:
        self.conn = conn
        self.numbers = itertools.count(1)

    def _add(self, table, **values) -> int:
        return self.conn.execute(insert(table).values(**values)).inserted_primary_key[0]

    def review(self, ref: str, *, published_on: str | None = "2025-11-01", kind="SCR") -> int:
        return self._add(
            review, ref=ref, title=f"Review {ref}", review_type=kind, published_on=published_on
        )

    def agency(self, name: str) -> int:
        found = self.conn.execute(select(agency.c.id).where(agency.c.name == name)).scalar()
        return found or self._add(agency, name=name)

    def theme(self, name: str) -> int:
        found = self.conn.execute(select(theme.c.id).where(theme.c.name == name)).scalar()
        return found or self._add(theme, name=name)

    def recommendation(self, review_id: int, themes: tuple[str, ...] = ()) -> int:
        rec = self._add(recommendation, review_id=review_id, number=str(next(self.numbers)))
        for name in themes:
            self._add(recommendation_theme, recommendation_id=rec, theme_id=self.theme(name))
        return rec

    def action(
        self,
        review_id: int,
        *,
        status: str = "not_started",
        due_on: str | None = "2026-12-31",
        created_at: str | None = BEFORE,
        agency_name: str = "Police",
        themes: tuple[str, ...] = (),
        original_due_on: str | None = None,
    ) -> int:
        return self._add(
            action,
            recommendation_id=self.recommendation(review_id, themes),
            review_id=review_id,
            number=str(next(self.numbers)),
            description="An action",
            lead_agency_id=self.agency(agency_name),
            status=status,
            due_on=due_on,
            original_due_on=original_due_on or due_on,
            created_at=created_at,
        )

    def update(self, action_id: int, at: str, status: str | None, effective_on=None) -> None:
        self._add(
            action_update,
            action_id=action_id,
            created_at=at,
            status=status,
            effective_on=effective_on,
        )

    def audit(self, action_id, at, field_name, old, new, effective_on=None) -> None:
        self._add(
            audit_log,
            at=at,
            actor="edge@example.org",
            entity="action",
            entity_id=action_id,
            field=field_name,
            old_value=old,
            new_value=new,
            effective_on=effective_on,
        )

    def move(
        self, action_id, old, new, decided_at, *, decision="approved", effective_on=None
    ) -> None:
        self._add(
            due_date_change,
            action_id=action_id,
            old_due_on=old,
            new_due_on=new,
            reason="Edge case",
            requested_at="2025-12-01T09:00:00+00:00",
            decision=decision,
            decided_at=decided_at,
            effective_on=effective_on,
        )


# --- the edge cases: each writes its rows and says what each review shows at each point ---------
# A figure is (open, overdue, completed) at 31 Jan, 28 Feb, 31 Mar, 30 Apr, 31 May, 30 Jun, 15 Jul;
# None: the review is not recorded yet (no row; a gap in the chart).

NOT_YET = None


def created_mid_month(b: Book) -> dict:
    rv = b.review("MID")
    b.action(rv, created_at="2026-03-15T10:00:00+00:00")
    return {"MID": [NOT_YET, NOT_YET] + [(1, 0, 0)] * 5}


def completed_and_reopened_same_month(b: Book) -> dict:
    rv = b.review("REOPEN")
    a = b.action(rv, status="in_progress", due_on="2026-03-15")
    for at, old, new in (
        ("2026-04-05T10:00:00+00:00", "not_started", "in_progress"),
        ("2026-04-10T10:00:00+00:00", "in_progress", "completed"),
        ("2026-04-20T10:00:00+00:00", "completed", "in_progress"),
    ):
        b.update(a, at, new)
        b.audit(a, at, "status", old, new)
    # open all along (completed for ten days inside April, never at a month end); overdue from
    # 31 March (target date 15 March)
    return {"REOPEN": [(1, 0, 0), (1, 0, 0)] + [(1, 1, 0)] * 5}


def target_date_moved_back_and_forward(b: Book) -> dict:
    rv = b.review("MOVED")
    a = b.action(rv, due_on="2026-06-15", original_due_on="2026-02-15")
    b.move(a, "2026-02-15", "2026-04-15", "2026-02-10T10:00:00+00:00")
    b.move(a, "2026-04-15", "2026-03-01", "2026-03-20T10:00:00+00:00")  # moved back
    b.move(a, "2026-03-01", "2026-06-15", "2026-05-10T10:00:00+00:00")  # and forward
    b.move(a, "2026-06-15", "2026-12-31", "2026-06-01T10:00:00+00:00", decision="rejected")
    b.move(a, "2026-06-15", "2027-01-31", None, decision="pending")
    # due 15 Feb (31 Jan), 15 Apr (28 Feb), 1 Mar (31 Mar, 30 Apr: overdue), 15 Jun (31 May; then
    # overdue on 30 Jun and 15 Jul)
    return {"MOVED": [(1, 0, 0), (1, 0, 0), (1, 1, 0), (1, 1, 0), (1, 0, 0), (1, 1, 0), (1, 1, 0)]}


def no_target_date(b: Book) -> dict:
    rv = b.review("NODATE")
    b.action(rv, status="in_progress", due_on=None)
    return {"NODATE": [(1, 0, 0)] * 7}


def closed_exactly_at_month_end(b: Book) -> dict:
    rv = b.review("MONTHEND")
    winter = b.action(rv, status="completed")
    late = b.action(rv, status="completed")
    early = b.action(rv, status="completed")
    dated = b.action(rv, status="completed")
    # 23:30 UTC on 31 Jan is 23:30 GMT: 31 Jan in London
    b.update(winter, "2026-01-31T23:30:00+00:00", "completed")
    # 23:30 UTC on 31 May is 00:30 BST on 1 June: not closed on 31 May
    b.update(late, "2026-05-31T23:30:00+00:00", "completed")
    # 22:59:59 UTC on 31 May is 23:59:59 BST: closed on 31 May
    b.update(early, "2026-05-31T22:59:59+00:00", "completed")
    # typed in on 2 June, closed on 31 May (its effective date)
    b.update(dated, "2026-06-02T10:00:00+00:00", "completed", effective_on="2026-05-31")
    # before its (unaudited) update an action with status history had not started
    return {"MONTHEND": [(3, 0, 1)] * 4 + [(1, 0, 3), (0, 0, 4), (0, 0, 4)]}


def unpublished_for_a_viewer(b: Book) -> dict:
    b.action(b.review("PUB-APR", published_on="2026-04-10"))
    b.action(b.review("UNPUB", published_on=None))
    return {"PUB-APR": [NOT_YET] * 3 + [(1, 0, 0)] * 4, "UNPUB": [NOT_YET] * 7}


def agency_filter(b: Book) -> dict:
    rv = b.review("AGENCY")
    b.action(rv, due_on="2026-02-01", agency_name="Health")
    b.action(rv, due_on="2026-02-01", status="in_progress", agency_name="Police")
    b.action(rv, status="completed", agency_name="Health")
    return {"AGENCY": [(1, 0, 1)] + [(1, 1, 1)] * 6}


def theme_filter(b: Book) -> dict:
    rv = b.review("THEME")
    b.action(rv, themes=("Neglect",))
    b.action(rv, status="completed", themes=("Online harm",))
    b.action(rv, due_on="2026-01-10", themes=("Online harm", "Neglect"))
    return {"THEME": [(1, 1, 1)] * 7}


def created_after_the_last_month_end(b: Book) -> dict:
    rv = b.review("LATE")
    b.action(rv, created_at="2026-07-10T09:00:00+00:00")
    b.action(rv, created_at="2026-07-20T09:00:00+00:00")  # after the last point too
    return {"LATE": [NOT_YET] * 6 + [(1, 0, 0)]}


def history_imported_with_effective_dates(b: Book) -> dict:
    rv = b.review("IMPORTED")
    typed_in = "2026-06-01T09:00:00+00:00"
    a = b.action(rv, status="completed", due_on="2026-04-30", created_at=typed_in)
    b.update(a, typed_in, "in_progress", effective_on="2026-02-20")
    b.update(a, "2026-06-01T09:00:01+00:00", "completed", effective_on="2026-05-20")
    b.move(a, "2026-03-31", "2026-04-30", typed_in, effective_on="2026-04-01")
    # known from its imported "created" row's date, with no other history
    c = b.action(rv, due_on=None, created_at=typed_in)
    b.audit(c, typed_in, "created", None, None, effective_on="2026-01-15")
    # a: exists from 20 Feb, in progress until 20 May (due 31 Mar, then 30 Apr: never overdue at
    # a point), then completed; c: open from 15 Jan
    return {"IMPORTED": [(1, 0, 0)] + [(2, 0, 0)] * 3 + [(1, 0, 1)] * 3}


def status_from_the_audit_log_only(b: Book) -> dict:
    rv = b.review("AUDITED")
    a = b.action(rv, status="assured", due_on="2026-02-01")
    b.audit(a, "2026-03-10T10:00:00+00:00", "status", "in_progress", "completed")
    b.audit(a, "2026-05-05T10:00:00+00:00", "status", "completed", "assured")
    return {"AUDITED": [(1, 0, 0), (1, 1, 0)] + [(0, 0, 1)] * 5}


def a_service_update_later(b: Book) -> dict:
    rv = b.review("SERVICE")
    noted = b.action(rv, status="in_progress")
    imported = b.action(rv, status="in_progress")
    at = "2026-04-10T10:00:00+00:00"
    # a service's note carries the unchanged status, with audit rows at its moment: the action
    # was already in progress before it; an imported first step was not (it had not started)
    b.update(noted, at, "in_progress")
    b.audit(noted, at, "progress_note", None, "Met the team")
    b.update(imported, at, "in_progress")
    # an import's "created" row at the moment of its first status is no service's note
    created = b.action(rv, status="in_progress")
    b.update(created, at, "in_progress")
    b.audit(created, at, "created", None, None)
    return {"SERVICE": [(1, 0, 0)] * 3 + [(3, 0, 0)] * 4}


def audit_rows_of_a_deleted_action(b: Book) -> dict:
    rv = b.review("DELETED")
    first = b.action(rv, status="completed", due_on="2026-02-01")
    gone = b.action(rv, status="completed")
    last = b.action(rv, status="completed", due_on="2026-02-01")
    for a, at in ((first, "2026-03-10T10:00:00+00:00"), (gone, "2026-06-10T10:00:00+00:00")):
        b.audit(a, at, "status", "in_progress", "completed")
    b.audit(last, "2026-04-10T10:00:00+00:00", "status", "in_progress", "completed")
    b.conn.execute(action.delete().where(action.c.id == gone))
    # its audit rows stay (the log keeps them); the others: in progress until March / April
    return {
        "DELETED": [(2, 0, 0), (2, 2, 0), (1, 1, 1), (0, 0, 2), (0, 0, 2), (0, 0, 2), (0, 0, 2)]
    }


@dataclass(frozen=True)
class Case:
    build: object
    filters: Filters = NO_FILTERS
    published_only: bool = False
    needs: tuple[str, ...] = field(default=())


CASES = {
    "created mid-month": Case(created_mid_month),
    "completed and reopened in the same month": Case(completed_and_reopened_same_month),
    "target date moved back and forward": Case(target_date_moved_back_and_forward),
    "no target date": Case(no_target_date),
    "closed exactly at a month end (London date)": Case(closed_exactly_at_month_end),
    "review unpublished for a viewer": Case(unpublished_for_a_viewer, published_only=True),
    "agency filter": Case(agency_filter, needs=("Health",)),
    "theme filter": Case(theme_filter, needs=("Online harm",)),
    "created after the last month end": Case(created_after_the_last_month_end),
    "history imported with effective dates": Case(history_imported_with_effective_dates),
    "status from the audit log only": Case(status_from_the_audit_log_only),
    "audit rows of a deleted action": Case(audit_rows_of_a_deleted_action),
    "a service's update later (status filter)": Case(
        a_service_update_later, filters=Filters(statuses=("in_progress",))
    ),
}


def build(engine, cases) -> dict:
    """Write ``cases`` into the database; returns every review's expected figures by ref."""
    expected: dict = {}
    with engine.begin() as conn:
        book = Book(conn)
        for case in cases:
            expected.update(case.build(book))
    return expected


def resolve(engine, case: Case) -> Filters:
    """The case's filters, naming the agency or theme it needs by id."""
    if not case.needs:
        return case.filters
    with engine.connect() as conn:
        name = case.needs[0]
        agency_id = conn.execute(select(agency.c.id).where(agency.c.name == name)).scalar()
        theme_id = conn.execute(select(theme.c.id).where(theme.c.name == name)).scalar()
    if agency_id is not None:
        return Filters(agency_ids=(agency_id,))
    return Filters(theme_ids=(theme_id,))


def both(engine, start, end, filters, published_only):
    """The one-pass frame and the per-month reference frame, read on one connection."""
    with engine.connect() as conn:
        one = trends.trend(conn, start, end, filters, published_only=published_only)
        per_month = asat.trend(conn, start, end, filters, published_only=published_only)
    return one, per_month


def figures_by_review(frame: pd.DataFrame) -> dict:
    """``{ref: [(open, overdue, completed) or None per point]}`` from a trend frame."""
    out: dict = {}
    for ref in dict.fromkeys(frame["ref"]):
        rows = frame[frame["ref"] == ref].set_index("as_at")
        out[ref] = [
            tuple(int(rows.at[p, c]) for c in ("open", "overdue", "completed"))
            if p in rows.index and not pd.isna(rows.at[p, "open"])
            else None
            for p in POINTS
        ]
    return out


@pytest.mark.parametrize("name", list(CASES))
def test_edge_case_one_pass_equals_per_month(engine, name):
    case = CASES[name]
    expected = build(engine, [case])
    one, per_month = both(engine, START, END, resolve(engine, case), case.published_only)
    pd.testing.assert_frame_equal(one, per_month)
    shown = figures_by_review(one)
    for ref, series in expected.items():
        assert shown.get(ref, [None] * len(POINTS)) == series, ref
    # the totals are the sum of the reviews, and "not recorded" where none is
    totals = shown[asat.ALL_REVIEWS]
    for i in range(len(POINTS)):
        parts = [s[i] for ref, s in expected.items() if s[i] is not None]
        assert totals[i] == (tuple(map(sum, zip(*parts, strict=True))) if parts else None)


FILTER_SETS = {
    "none": (NO_FILTERS, False),
    "viewer": (NO_FILTERS, True),
    "agency Health": (("agency", "Health"), False),
    "agency Police, viewer": (("agency", "Police"), True),
    "theme Neglect": (("theme", "Neglect"), False),
    "themes Neglect or Online harm": (("themes", ("Neglect", "Online harm")), False),
    "status in progress": (Filters(statuses=("in_progress",)), False),
    "statuses completed or assured": (Filters(statuses=("completed", "assured")), False),
    "review type SCR": (Filters(review_types=("SCR",)), False),
    "review type DHR (none)": (Filters(review_types=("DHR",)), False),
}


def filters_for(engine, spec) -> Filters:
    if isinstance(spec, Filters):
        return spec
    kind, value = spec
    with engine.connect() as conn:
        if kind == "agency":
            return Filters(
                agency_ids=(
                    conn.execute(select(agency.c.id).where(agency.c.name == value)).scalar(),
                )
            )
        names = (value,) if kind == "theme" else value
        ids = conn.execute(select(theme.c.id).where(theme.c.name.in_(names))).scalars().all()
        return Filters(theme_ids=tuple(sorted(ids)))


@pytest.mark.parametrize("name", list(FILTER_SETS))
def test_every_case_at_once_under_each_filter(engine, name):
    build(engine, CASES.values())
    spec, published_only = FILTER_SETS[name]
    filters = filters_for(engine, spec)
    one, per_month = both(engine, START, END, filters, published_only)
    pd.testing.assert_frame_equal(one, per_month)
    # and over a window that starts before anything was recorded (totals "not recorded")
    one, per_month = both(engine, date(2025, 6, 1), date(2026, 9, 30), filters, published_only)
    pd.testing.assert_frame_equal(one, per_month)
    assert pd.isna(one.iloc[0]["open"])  # 30 Jun 2025: nothing recorded yet


def test_no_records_at_all(engine):
    """An empty database: every point's totals read "not recorded", and no review rows."""
    for filters in (NO_FILTERS, Filters(agency_ids=(1,))):
        one, per_month = both(engine, START, END, filters, False)
        pd.testing.assert_frame_equal(one, per_month)
        assert list(one["as_at"]) == POINTS
        assert one[["open", "overdue", "completed"]].isna().all().all()


def test_a_rag_filter_reads_the_per_month_path(engine):
    """A RAG filter needs the whole reconstruction (override, reason, date changes): the same
    frame as the per-month path, by that path."""
    build(engine, CASES.values())
    one, per_month = both(engine, START, END, Filters(rag=("red",)), False)
    pd.testing.assert_frame_equal(one, per_month)
    assert int(one[one["ref"] == asat.ALL_REVIEWS]["overdue"].max()) > 0


# --- the demo and the real PFD data: every point, through the page's read -----------------------


def sources(engine, today: date, past: date):
    """Sources as the Trends page builds them: now and as at ``past``; board and viewer; no
    filter, the busiest agency, the first theme."""
    with engine.connect() as conn:
        busiest = conn.execute(
            select(action.c.lead_agency_id)
            .where(action.c.lead_agency_id.is_not(None))
            .group_by(action.c.lead_agency_id)
            .order_by(func.count().desc(), action.c.lead_agency_id)
            .limit(1)
        ).scalar()
        first_theme = conn.execute(select(theme.c.id).order_by(theme.c.id).limit(1)).scalar()
    filters = [NO_FILTERS, Filters(agency_ids=(busiest,))]
    if first_theme is not None:
        filters.append(Filters(theme_ids=(first_theme,)))
    for as_at, role, chosen in itertools.product((None, past), ("board", "viewer"), filters):
        yield source(today, Scope(role), chosen, as_at=as_at)


def assert_page_read_equals_per_month(engine, today: date, past: date, months: int) -> int:
    """Every source's :func:`monitoring.reads.trend` (the page's read) equals the per-month
    rebuild for the same dates, filters and scope; returns how many points were compared."""
    compared = 0
    for src in sources(engine, today, past):
        with engine.connect() as conn:
            page = reads.trend(conn, src, months)
            per_month = asat.trend(
                conn,
                src.day - relativedelta(months=months),
                src.day,
                src.filters,
                published_only=src.scope.published_only,
            )
        pd.testing.assert_frame_equal(page, per_month, obj=str(src))
        compared += len(page)
    return compared


def test_demo_every_month_equal(demo_engine):
    compared = assert_page_read_equals_per_month(demo_engine, ANCHOR, date(2025, 12, 31), 24)
    assert compared > 500


PFD = REALDATA / "pfd" / "pfd_recipient_statuses.csv"


@pytest.mark.usefixtures("shared_data")
def test_real_pfd_data_every_month_equal(engine):
    importer.import_path(PFD, engine, preset="pfd", create_agencies=True)
    compared = assert_page_read_equals_per_month(engine, date.today(), date(2025, 6, 30), 24)
    assert compared > 5000
