"""The board tiles' figures are counts, not lists (BENCHMARKS.md 6g): :func:`reads.tile_count`
runs ``count(*)`` over the very selects :func:`reads.tile_list` runs, so for every board tile it
equals the list's length: on the demo and on the real PFD data, with each kind of sidebar filter,
now and as at a past date, for the board and for a viewer (published reviews only). The Overview
shows the counts and reads a list only when the reader opens its tile."""

from __future__ import annotations

import functools
from dataclasses import replace
from datetime import date, timedelta

import pytest
from sqlalchemy import text

from monitoring import importer, reads, services
from monitoring.exports import pack
from monitoring.queries import Filters
from monitoring.source import Scope, Source
from tests.conftest import ANCHOR, REALDATA, make_app

BOARD = "board@northbridge.example"
PAST = date(2026, 3, 30)  # the demo's March 2026 meeting
PFD = REALDATA / "pfd" / "pfd_recipient_statuses.csv"
ADMIN = services.Actor.system("tile-counts-test")

BOARD_LABELS = {  # the Overview's tile label -> its board tile kind
    "Decisions needed": "decisions",
    "Escalated to the board": "escalated",
    "Items awaiting assurance": "for_assurance",
    "Recommendations completed, not assured": "completed_not_assured",
}


def one(engine, sql: str):
    with engine.connect() as conn:
        return conn.execute(text(sql)).scalar()


def filter_cases(engine) -> dict[str, Filters]:
    """One filter of each kind the sidebar sets, with values taken from the data (the most
    common review type, agency and theme; the first review; red RAG; completed status)."""
    review_type = one(
        engine,
        "select review_type from review group by review_type order by count(*) desc,"
        " review_type limit 1",
    )
    agency_id = one(
        engine,
        "select lead_agency_id from action where lead_agency_id is not null"
        " group by lead_agency_id order by count(*) desc, lead_agency_id limit 1",
    )
    theme_id = one(
        engine,
        "select theme_id from recommendation_theme group by theme_id"
        " order by count(*) desc, theme_id limit 1",
    )
    review_id = one(engine, "select min(review_id) from action")
    cases = {
        "none": Filters(),
        "review type": Filters(review_types=(review_type,)),
        "review": Filters(review_ids=(review_id,)),
        "agency": Filters(agency_ids=(agency_id,)),
        "rag": Filters(rag=("red",)),
        "status": Filters(statuses=("completed",)),
    }
    if theme_id is not None:  # the PFD file has no themes
        cases["theme"] = Filters(theme_ids=(theme_id,))
    return cases


def check_counts(engine, today: date, as_at: date | None) -> dict[str, int]:
    """``tile_count == len(tile_list)`` for every board tile, filter case and scope (board and
    viewer); :returns: the board's unfiltered counts by kind."""
    unfiltered = {}
    with engine.connect() as conn:
        for name, filters in filter_cases(engine).items():
            for scope in (Scope("board"), Scope("viewer")):
                src = Source(today=today, scope=scope, filters=filters, as_at=as_at)
                all_counts = reads.tile_counts(conn, src)
                assert list(all_counts) == list(reads.BOARD_TILES)
                for kind in reads.BOARD_TILES:
                    listed = reads.tile_list(conn, src, kind)
                    counted = reads.tile_count(conn, src, kind)
                    assert isinstance(counted, int)
                    assert counted == len(listed) == all_counts[kind], (kind, name, scope.role)
                    if name == "none":
                        unfiltered[(scope.role, kind)] = counted
    return unfiltered


@pytest.mark.parametrize("as_at", [None, PAST], ids=["now", "as-at"])
def test_counts_equal_the_lists_on_the_demo(as_at, demo_engine):
    # every demo review is published: withdraw the one with most completed actions, so that a
    # viewer's lists (published reviews only) differ from the board's
    withdrawn = one(
        demo_engine,
        "select review_id from action where status = 'completed' group by review_id"
        " order by count(*) desc, review_id limit 1",
    )
    services.set_review_publication(demo_engine, ADMIN, withdrawn, None)
    counts = check_counts(demo_engine, ANCHOR, as_at)
    # the demo has rows in every board list (the equalities above are not all 0 == 0)
    assert all(counts[("board", kind)] > 0 for kind in reads.BOARD_TILES), counts
    # a viewer reads only published reviews: at least one list is shorter than the board's
    assert any(counts[("viewer", k)] < counts[("board", k)] for k in reads.BOARD_TILES), counts


@pytest.mark.usefixtures("shared_data")
@pytest.mark.parametrize("as_at", [False, True], ids=["now", "as-at"])
def test_counts_equal_the_lists_on_the_pfd_data(as_at, engine):
    importer.import_path(PFD, engine, preset="pfd", create_agencies=True)
    # the import is recorded today; a later "today" makes many of its replies overdue, and the
    # records as at the import's day are rebuilt from history (:mod:`monitoring.asat`)
    today = date.today() + timedelta(days=40)
    counts = check_counts(engine, today, date.today() if as_at else None)
    assert sum(counts[("board", kind)] for kind in reads.BOARD_TILES) > 100, counts


def test_decisions_count_is_the_sum_of_its_parts(demo_engine):
    """Each of the decisions list's four parts is counted over its own select: the pending date
    changes, the escalations (the escalated tile's own select), the recommendations ready for
    assurance (also in the for-assurance list) and the responses overdue."""
    src = Source(today=ANCHOR)
    with demo_engine.connect() as conn:
        records = src.records()
        parts = pack.decisions_needed_selects(ANCHOR, records=records)
        counts = [pack.count_rows(conn, (part,)) for part in parts]
        decisions = reads.tile_list(conn, src, "decisions")
        by_decision = decisions["decision"].value_counts().to_dict()
        pending, escalated, ready, late = counts
        assert by_decision.get("Approve or refuse a new target date", 0) == pending
        assert by_decision.get("Escalated to the board: agree how to unblock", 0) == escalated
        assert by_decision.get("Assure or return a recommendation", 0) == ready
        assert by_decision.get("Chase a response that is overdue", 0) == late
        assert escalated == reads.tile_count(conn, src, "escalated") > 0
        assert sum(counts) == reads.tile_count(conn, src, "decisions")
        for_assurance = reads.tile_list(conn, src, "for_assurance")
        assert (for_assurance["kind"] == "Recommendation ready for assurance").sum() == ready


def test_an_unknown_kind_is_refused(demo_engine):
    with demo_engine.connect() as conn, pytest.raises(ValueError, match="decisions"):
        reads.tile_count(conn, Source(today=ANCHOR), "open")


def test_the_pack_keeps_its_lists(demo_engine, monkeypatch):
    """The meeting pack still reads the lists, and its lists are those the counts count."""
    monkeypatch.setenv("MONITORING_TODAY", ANCHOR.isoformat())
    with demo_engine.connect() as conn:
        the_pack = pack.build_pack(conn, None, annual=False)
        src = Source(today=ANCHOR)
        assert len(the_pack.decisions) == reads.tile_count(conn, src, "decisions")
        assert len(the_pack.escalations) == reads.tile_count(conn, src, "escalated")
        assert len(the_pack.for_assurance) == reads.tile_count(conn, src, "for_assurance")
        # and decisions read without the escalations passed in equal those with them
        assert pack.decisions_needed(conn, ANCHOR).equals(the_pack.decisions)


def recorder(monkeypatch, name: str) -> list:
    """Record the kinds ``reads.<name>`` is called with ("all": none given; the page reads through
    :func:`monitoring.ui.data.read`, which finds the function by its module and name)."""
    calls: list = []
    real = getattr(reads, name)

    @functools.wraps(real)
    def recording(conn, src, *kind):
        calls.append(kind[0] if kind else "all")
        return real(conn, src, *kind)

    monkeypatch.setattr(reads, name, recording)
    return calls


@pytest.mark.parametrize("as_at", [None, PAST], ids=["today", "as-at"])
def test_the_overview_counts_and_reads_a_list_only_when_opened(
    as_at, demo_engine, app_env, monkeypatch
):
    listed = recorder(monkeypatch, "tile_list")
    counted = recorder(monkeypatch, "tile_counts")
    query = {"as_at": as_at.isoformat()} if as_at else {}
    at = make_app(BOARD, page="app_pages/overview.py", query_params=query)
    assert not at.exception, [e.value for e in at.exception]
    figures = {m.label: m.value for m in at.metric}
    assert listed == []  # no list read on the first render
    assert counted == ["all"]  # one read of the four counts
    src = Source(today=ANCHOR, as_at=as_at, scope=Scope("board"))
    with demo_engine.connect() as conn:
        for label, kind in BOARD_LABELS.items():
            # the figure shown is the list's length, as before the counts
            assert int(figures[label]) == len(reads.tile_list(conn, src, kind)), label
    listed.clear()
    at.button(key="overview_list_for_assurance").click().run()
    assert not at.exception
    assert listed == ["for_assurance"]  # opening a tile reads its list, and only that one
    assert len(at.dataframe[0].value) == int(figures["Items awaiting assurance"])


def test_a_filter_changes_the_counts_on_the_overview(demo_engine, app_env):
    """With an agency filter the page's board figures are that agency's lists' lengths."""
    agency_id = one(
        demo_engine,
        "select lead_agency_id from action where lead_agency_id is not null"
        " group by lead_agency_id order by count(*) desc, lead_agency_id limit 1",
    )
    at = make_app(BOARD, page="app_pages/overview.py", query_params={"agency": str(agency_id)})
    assert not at.exception
    figures = {m.label: m.value for m in at.metric}
    src = replace(Source(today=ANCHOR), filters=Filters(agency_ids=(agency_id,)))
    with demo_engine.connect() as conn:
        for label, kind in BOARD_LABELS.items():
            assert int(figures[label]) == len(reads.tile_list(conn, src, kind)), label
