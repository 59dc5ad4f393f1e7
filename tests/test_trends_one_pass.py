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


# --- more edges (helper "trends2": the spans of points each history row is picked for) ---------
# Each row of history is now picked for a span of points found once (from the point by which it
# happened until a later-ranked row happened, or from the point by which the earlier-ranked rows
# happened until it did); these cases are where such spans meet, cross or are empty.


def same_day_ranked_updates(b: Book) -> dict:
    rv = b.review("SAMEDAY")
    later_that_day = b.action(rv, status="completed")
    same_moment = b.action(rv, status="in_progress")
    backdated = b.action(rv, status="completed")
    effective_before = b.action(rv, status="completed")
    # the same day: ranked by the time recorded (15:00 after 09:00)
    b.update(later_that_day, "2026-03-10T09:00:00+00:00", "in_progress")
    b.update(later_that_day, "2026-03-10T15:00:00+00:00", "completed")
    # the same moment: ranked by id (the in-progress row was written second)
    b.update(same_moment, "2026-02-10T10:00:00+00:00", "completed")
    b.update(same_moment, "2026-02-10T10:00:00+00:00", "in_progress")
    # typed in on 5 May with an effective date of 20 April: it happened before the completion
    # recorded on 25 April, which is the latest by 30 April (and the in-progress row never is)
    b.update(backdated, "2026-04-25T10:00:00+00:00", "completed")
    b.update(backdated, "2026-05-05T10:00:00+00:00", "in_progress", effective_on="2026-04-20")
    # recorded on 3 June, after four points, but effective on 27 February: completed from then
    b.update(effective_before, "2026-06-03T10:00:00+00:00", "completed", effective_on="2026-02-27")
    return {
        "SAMEDAY": [(4, 0, 0), (3, 0, 1), (2, 0, 2), (1, 0, 3), (1, 0, 3), (1, 0, 3), (1, 0, 3)]
    }


def ranks_the_points_see_otherwise(b: Book) -> dict:
    """Rows ranked by the day they happened (UTC date of the record when no effective date),
    but counted at a point by the London day: a row recorded at 23:30 UTC on 31 May (00:30 BST,
    1 June) ranks before one effective on 31 May typed in on 2 June, yet happens a point later.
    The later-ranked row then wins at every point: the first one is never the latest."""
    rv = b.review("ORDER")
    late_night, typed_in = "2026-05-31T23:30:00+00:00", "2026-06-02T10:00:00+00:00"
    update = b.action(rv, status="in_progress")
    b.update(update, late_night, "completed")
    b.update(update, typed_in, "in_progress", effective_on="2026-05-31")
    audited = b.action(rv, status="assured")
    b.audit(audited, late_night, "status", "in_progress", "completed")
    b.audit(audited, typed_in, "status", "completed", "assured", effective_on="2026-05-31")
    moved = b.action(rv, due_on="2026-03-01", original_due_on="2026-02-15")
    b.move(moved, "2026-02-15", "2026-09-30", late_night)
    b.move(moved, "2026-09-30", "2026-03-01", typed_in, effective_on="2026-05-31")
    # update: not started before any update (none written by a service), then in progress;
    # audited: in progress until the 23:30 change happens (1 June), then as now (assured);
    # moved: due 15 Feb until 31 May, then 1 Mar (the 30 Sep move is never the latest)
    return {"ORDER": [(3, 0, 0)] + [(3, 1, 0)] * 4 + [(2, 1, 1)] * 2}


def service_note_after_an_audited_change(b: Book) -> dict:
    """Between the last audited status change and the first status update, the status is the
    first update's when a service wrote it (read under a status filter: in progress only)."""
    rv = b.review("NOTED")
    changed = b.action(rv, status="in_progress")
    b.audit(changed, "2026-03-10T10:00:00+00:00", "status", "not_started", "in_progress")
    b.update(changed, "2026-05-10T10:00:00+00:00", "in_progress")
    b.audit(changed, "2026-05-10T10:00:00+00:00", "progress_note", None, "Met the team")
    created = b.action(rv, status="in_progress", created_at="2026-04-12T10:00:00+00:00")
    b.update(created, "2026-06-10T10:00:00+00:00", "in_progress")
    b.audit(created, "2026-06-10T10:00:00+00:00", "progress_note", None, "Trained staff")
    imported = b.action(rv, status="in_progress")
    b.update(imported, "2026-05-10T10:00:00+00:00", "in_progress")
    return {"NOTED": [NOT_YET, NOT_YET, (1, 0, 0), (2, 0, 0)] + [(3, 0, 0)] * 3}


def odd_history_values(b: Book) -> dict:
    rv = b.review("ODD")
    # a status no rule knows: counted, neither open nor completed
    unknown = b.action(rv, status="in_progress")
    b.update(unknown, "2026-02-10T10:00:00+00:00", "on_hold")
    b.update(unknown, "2026-04-10T10:00:00+00:00", "in_progress")
    # a note with no status, effective before the action was typed in: known from 20 January
    noted = b.action(rv, created_at="2026-03-20T10:00:00+00:00")
    b.update(noted, "2026-03-20T10:00:00+00:00", None, effective_on="2026-01-20")
    # a target date first set by an approved change (it had none before)
    dated = b.action(rv, due_on="2026-02-01", original_due_on=None)
    b.move(dated, None, "2026-02-01", "2026-04-10T10:00:00+00:00")
    # an approved change with no decision time: never "by" a point, always "after" it
    undecided = b.action(rv, due_on="2026-12-31", original_due_on="2026-01-10")
    b.move(undecided, "2026-01-10", "2026-12-31", None)
    return {"ODD": [(4, 1, 0)] + [(3, 1, 0)] * 2 + [(4, 2, 0)] * 4}


def published_after_its_history(b: Book) -> dict:
    rv = b.review("VIEW-LATE", published_on="2026-04-10")
    done = b.action(rv, status="completed")
    b.update(done, "2026-02-10T10:00:00+00:00", "completed")
    never = b.action(b.review("VIEW-NEVER", published_on=None), status="completed")
    b.update(never, "2026-02-10T10:00:00+00:00", "completed")
    return {"VIEW-LATE": [NOT_YET] * 3 + [(0, 0, 1)] * 4, "VIEW-NEVER": [NOT_YET] * 7}


EXTRA_CASES = {
    "same-day ranked updates, a backdated and a late-typed effective date": Case(
        same_day_ranked_updates
    ),
    "ranks that the points see in another order (London day)": Case(ranks_the_points_see_otherwise),
    "a service's note after an audited change (status filter)": Case(
        service_note_after_an_audited_change, filters=Filters(statuses=("in_progress",))
    ),
    "a status no rule knows, a note with no status, odd target-date changes": Case(
        odd_history_values
    ),
    "a review published after its history, and one never published, for a viewer": Case(
        published_after_its_history, published_only=True
    ),
}


@pytest.mark.parametrize("name", list(EXTRA_CASES))
def test_more_edges_one_pass_equals_per_month(engine, name):
    case = EXTRA_CASES[name]
    expected = build(engine, [case])
    one, per_month = both(engine, START, END, case.filters, case.published_only)
    pd.testing.assert_frame_equal(one, per_month)
    shown = figures_by_review(one)
    for ref, series in expected.items():
        assert shown.get(ref, [None] * len(POINTS)) == series, ref
    totals = shown[asat.ALL_REVIEWS]
    for i in range(len(POINTS)):
        parts = [s[i] for s in expected.values() if s[i] is not None]
        assert totals[i] == (tuple(map(sum, zip(*parts, strict=True))) if parts else None)


def mixed_decision_times(b: Book) -> dict:
    """An approved change with no decision time beside decided ones: where it ranks (NULLs sort
    first on SQLite, last on PostgreSQL) decides the old date picked; the one pass ranks as the
    per-month path does on each backend. Compared frame to frame only."""
    rv = b.review("MIXED")
    a = b.action(rv, due_on="2026-06-30", original_due_on="2026-01-10")
    b.move(a, "2026-01-10", "2026-03-31", None)
    b.move(a, "2026-02-20", "2026-06-30", "2026-04-10T10:00:00+00:00")
    return {}


AS_AT_WINDOWS = {
    "ends on a month end (summer time)": (date(2026, 2, 15), date(2026, 5, 31)),
    "ends on 30 June": (date(2026, 1, 1), date(2026, 6, 30)),
    "one month: its end and a mid-month day": (date(2026, 3, 1), date(2026, 3, 20)),
    "before most history": (date(2025, 11, 1), date(2026, 1, 31)),
    "ends on the day of a late-night record": (date(2026, 4, 1), date(2026, 6, 1)),
}


@pytest.mark.parametrize("window", list(AS_AT_WINDOWS))
def test_every_case_as_at_other_dates(engine, window):
    """All the cases (both tables, and an undecided change ranked beside decided ones) in one
    database, read as at dates that end on a month end, mid-month, before most history and on
    the day of a late-night record; board and viewer, with and without filters."""
    build(engine, [*CASES.values(), *EXTRA_CASES.values(), Case(mixed_decision_times)])
    start, end = AS_AT_WINDOWS[window]
    police = filters_for(engine, ("agency", "Police"))
    for filters, published_only in (
        (NO_FILTERS, False),
        (NO_FILTERS, True),
        (Filters(statuses=("in_progress", "not_started")), True),
        (police, False),
    ):
        one, per_month = both(engine, start, end, filters, published_only)
        pd.testing.assert_frame_equal(one, per_month)
        assert list(dict.fromkeys(one["as_at"])) == asat.month_ends(start, end)


def test_leap_day(engine):
    """29 February 2028 is a month end: a change recorded at 23:30 GMT that day counts there, one
    at 00:30 on 1 March does not; a target date of 28 February is past on the 29th, one of the
    29th is not (overdue from 31 March)."""
    with engine.begin() as conn:
        b = Book(conn)
        rv = b.review("LEAP")
        created, due = "2027-12-01T09:00:00+00:00", "2028-12-31"
        late_on_the_day = b.action(rv, status="completed", due_on=due, created_at=created)
        b.update(late_on_the_day, "2028-02-29T23:30:00+00:00", "completed")
        next_morning = b.action(rv, status="completed", due_on=due, created_at=created)
        b.update(next_morning, "2028-03-01T00:30:00+00:00", "completed")
        b.action(rv, due_on="2028-02-28", created_at=created)
        b.action(rv, due_on="2028-02-29", created_at=created)
        typed_later = b.action(rv, status="completed", due_on=due, created_at=created)
        b.update(typed_later, "2028-03-05T10:00:00+00:00", "completed", effective_on="2028-02-29")
    start, end = date(2028, 1, 1), date(2028, 3, 31)
    assert asat.month_ends(start, end) == [date(2028, 1, 31), date(2028, 2, 29), end]
    for published_only in (False, True):
        one, per_month = both(engine, start, end, NO_FILTERS, published_only)
        pd.testing.assert_frame_equal(one, per_month)
    totals = one[one["ref"] == asat.ALL_REVIEWS][["open", "overdue", "completed"]]
    assert [tuple(map(int, row)) for row in totals.to_numpy()] == [(5, 0, 0), (3, 1, 2), (2, 2, 3)]


# --- a RAG filter: the one pass too (helper "trends2") -------------------------------------------


def rag_history(b: Book) -> dict:
    """What a RAG reads as at a point besides status and target date: the override and its
    reason (audited), the window of "due soon" and the count of approved date changes."""
    rv = b.review("RAG")
    overridden = b.action(rv, status="in_progress")
    b.conn.execute(
        action.update()
        .where(action.c.id == overridden)
        .values(rag_override="red", rag_override_reason="Board asked")
    )
    b.audit(overridden, "2026-03-10T10:00:00+00:00", "rag_override", None, "red")
    b.audit(overridden, "2026-03-10T10:00:00+00:00", "rag_override_reason", None, "Board asked")
    # an override whose reason was blanked in May (blank: no override), then set again at
    # 23:30 UTC on 31 May (1 June in London)
    blanked = b.action(rv, status="completed")
    b.conn.execute(
        action.update()
        .where(action.c.id == blanked)
        .values(rag_override="amber", rag_override_reason="Waiting on partner")
    )
    b.audit(blanked, "2026-01-20T10:00:00+00:00", "rag_override", None, "amber")
    b.audit(blanked, "2026-01-20T10:00:00+00:00", "rag_override_reason", None, "Waiting")
    b.audit(blanked, "2026-05-05T10:00:00+00:00", "rag_override_reason", "Waiting", "  ")
    b.audit(blanked, "2026-05-31T23:30:00+00:00", "rag_override_reason", "  ", "Waiting on partner")
    # due soon (within 30 days) at 28 February, overdue from 31 March
    b.action(rv, due_on="2026-03-15")
    # moved twice (approved): amber from the second move; a rejected one does not count
    moved = b.action(rv, status="in_progress", due_on="2026-12-31", original_due_on="2026-10-31")
    b.move(moved, "2026-10-31", "2026-11-30", "2026-02-10T10:00:00+00:00")
    b.move(moved, "2026-11-30", "2026-12-31", "2026-04-10T10:00:00+00:00")
    b.move(moved, "2026-12-31", "2027-01-31", "2026-05-10T10:00:00+00:00", decision="rejected")
    # withdrawn (grey) from April
    withdrawn = b.action(rv, status="superseded")
    b.audit(withdrawn, "2026-04-10T10:00:00+00:00", "status", "in_progress", "superseded")
    # an override typed in later with an effective date
    b.audit(
        withdrawn,
        "2026-06-20T10:00:00+00:00",
        "rag_override",
        None,
        "green",
        effective_on="2026-02-01",
    )
    return {}


RAG_FILTERS = [("red",), ("amber",), ("green",), ("blue",), ("grey",), ("red", "amber")]


@pytest.mark.parametrize("rag", RAG_FILTERS, ids=["+".join(r) for r in RAG_FILTERS])
def test_a_rag_filter_in_one_pass(engine, rag):
    """Every case, and the RAG history above, under each RAG filter (alone, with a status filter,
    for a viewer, with an agency), over two windows: the one pass equals the per-month rebuild."""
    build(engine, [*CASES.values(), *EXTRA_CASES.values(), Case(mixed_decision_times)])
    build(engine, [Case(rag_history)])
    police = filters_for(engine, ("agency", "Police"))
    for filters, published_only in (
        (Filters(rag=rag), False),
        (Filters(rag=rag), True),
        (Filters(rag=rag, statuses=("in_progress", "not_started")), False),
        (Filters(rag=rag, agency_ids=police.agency_ids), False),
    ):
        for start, end in ((START, END), (date(2025, 11, 1), date(2026, 5, 31))):
            one, per_month = both(engine, start, end, filters, published_only)
            pd.testing.assert_frame_equal(one, per_month)


def test_a_rag_filter_reads_no_per_month_rebuild(engine, monkeypatch):
    """With a RAG filter the page's read no longer rebuilds the records per month."""
    build(engine, [Case(rag_history)])

    def refused(*args, **kwargs):
        raise AssertionError("the per-month rebuild was read")

    monkeypatch.setattr(asat, "counts_by_review_as_at", refused)
    with engine.connect() as conn:
        frame = trends.trend(conn, START, END, Filters(rag=("red",)))
    rows = frame[frame["ref"] == "RAG"].set_index("as_at")
    # red: the overridden action from 31 March, the one due on 15 March from 31 March too
    assert [int(rows.at[p, "open"]) if p in rows.index else None for p in POINTS] == [
        None,
        None,
        2,
        2,
        2,
        2,
        2,
    ]


@pytest.mark.usefixtures("shared_data")
def test_real_pfd_data_rag_filters_equal(engine):
    """The real PFD data under each RAG filter, now and as at a past date, board and viewer."""
    importer.import_path(PFD, engine, preset="pfd", create_agencies=True)
    today = date.today()
    compared = 0
    for rag, as_at, role in itertools.product(
        [(code,) for code in ("red", "amber", "green", "blue", "grey")],
        (None, date(2025, 6, 30)),
        ("board", "viewer"),
    ):
        src = source(today, Scope(role), Filters(rag=rag), as_at=as_at)
        with engine.connect() as conn:
            page = reads.trend(conn, src, 24)
            per_month = asat.trend(
                conn,
                src.day - relativedelta(months=24),
                src.day,
                src.filters,
                published_only=src.scope.published_only,
            )
        pd.testing.assert_frame_equal(page, per_month, obj=str(src))
        compared += int(page["open"].notna().sum())
    assert compared > 1000


def test_five_years_in_one_pass(engine, monkeypatch):
    """The longest window read in one pass (:data:`monitoring.trends.MAX_POINTS` points: packed
    integers stay below 2**63) equals the per-month rebuild; a longer one takes that path."""
    build(engine, [*CASES.values(), *EXTRA_CASES.values()])
    with engine.begin() as conn:  # the largest id an INTEGER column holds, with every history
        b = Book(conn)
        rv = b.review("LARGEST-ID")
        rec = b.recommendation(rv)
        largest = 2**31 - 1
        b._add(
            action,
            id=largest,
            recommendation_id=rec,
            review_id=rv,
            number="1",
            description="An action",
            status="in_progress",
            due_on="2026-12-31",
            original_due_on="2021-09-30",
            created_at="2021-07-15T09:00:00+00:00",
        )
        b.update(largest, "2022-03-10T10:00:00+00:00", "in_progress")
        b.audit(largest, "2022-03-10T10:00:00+00:00", "status", "not_started", "in_progress")
        b.move(largest, "2021-09-30", "2026-12-31", "2023-01-10T10:00:00+00:00")
    start, end = date(2021, 7, 1), date(2026, 7, 31)
    assert len(asat.month_ends(start, end)) == trends.MAX_POINTS
    one, per_month = both(engine, start, end, NO_FILTERS, False)
    pd.testing.assert_frame_equal(one, per_month)
    # overdue at the 15 month ends from 31 Oct 2021 to 31 Dec 2022 (then moved to Dec 2026)
    assert one[one["ref"] == "LARGEST-ID"]["overdue"].sum() == 15
    with engine.connect() as conn:
        longer = trends.trend(conn, start - relativedelta(months=1), end)
        monkeypatch.setattr(asat, "counts_by_review_as_at", lambda *a, **k: 1 / 0)
        trends.trend(conn, start, end)  # one pass: no per-month rebuild read
        with pytest.raises(ZeroDivisionError):
            trends.trend(conn, start - relativedelta(months=1), end)
    assert len(longer) > len(one)
