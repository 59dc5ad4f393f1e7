"""The "as at" date line says when statuses were dated by their import (a chair's misreading): the
real PFD export gives no reply date, so each recipient's status is dated at the import's as-of
date; as at an earlier date those actions read as open, which looks like overdue responses
cleared since. The date line now says how many of the actions the reader sees are so dated
(:func:`monitoring.reads.import_dated_statuses`), counted here independently with pandas over
the file. Real PFD file from ``../shared/realdata``; both backends; the Overview via AppTest."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from sqlalchemy import text

from monitoring import importer, reads, services
from monitoring.source import Scope, Source
from monitoring.vocabulary import uk_date
from tests.conftest import ANCHOR, REALDATA, make_app

PFD = REALDATA / "pfd" / "pfd_recipient_statuses.csv"
PAGE = "app_pages/overview.py"
BOARD = "board.member@council.example"
VIEWER = "viewer@council.example"
IMPORTED_AS_OF = date(2026, 6, 1)
"""The import's as-of date (before the tests' today, :data:`tests.conftest.ANCHOR`)."""
MARCH = date(2026, 3, 1)
PUBLISHED = "2025-"
"""Reviews whose ref starts so are published (for the viewer's scope)."""


def _expected(as_at: date, refs_prefix: str = "") -> int:
    """Recipients with a received reply whose report is dated on or before ``as_at`` (the
    action exists then; its reply, undated in the file, is dated at the import), counted with
    pandas over the file."""
    frame = pd.read_csv(PFD, dtype=str, keep_default_na=False)
    reported = pd.to_datetime(frame["date_of_report"], format="%d/%m/%Y", errors="coerce")
    chosen = (
        (frame["status"] == "received")
        & (reported <= pd.Timestamp(as_at))
        & frame["ref"].str.startswith(refs_prefix)
    )
    return int(chosen.sum())


@pytest.fixture
def pfd_engine(engine, app_env):
    """The real PFD file imported as of :data:`IMPORTED_AS_OF`, reviews of 2025 published, and a
    board member and a viewer."""
    importer.import_path(PFD, engine, preset="pfd", create_agencies=True, as_of=IMPORTED_AS_OF)
    with engine.begin() as conn:
        conn.execute(
            text("update review set published_on = '2026-01-01' where ref like :p"),
            {"p": PUBLISHED + "%"},
        )
    system = services.Actor.system("test")
    services.create_user(engine, system, BOARD, "Board Member", "board")
    services.create_user(engine, system, VIEWER, "Viewer", "viewer")
    return engine


def _sentences(at) -> list[str]:
    return [c.value for c in at.caption if "the file gave no date" in c.value]


@pytest.mark.usefixtures("shared_data")
def test_the_count_as_at_an_earlier_date_is_the_files_received_replies(pfd_engine):
    board = Source(today=ANCHOR, scope=Scope("board"))
    viewer = Source(today=ANCHOR, scope=Scope("viewer"))
    expected = _expected(MARCH)
    expected_viewer = _expected(MARCH, PUBLISHED)
    assert expected > expected_viewer > 0
    with pfd_engine.connect() as conn:
        assert reads.import_dated_statuses(conn, board.at(MARCH)) == (
            expected,
            IMPORTED_AS_OF,
            IMPORTED_AS_OF,
        )
        # a viewer counts only the published reviews' actions
        assert reads.import_dated_statuses(conn, viewer.at(MARCH)) == (
            expected_viewer,
            IMPORTED_AS_OF,
            IMPORTED_AS_OF,
        )
        # and the records now, or as at the import's date or later, have nothing to say
        assert reads.import_dated_statuses(conn, board) is None
        assert reads.import_dated_statuses(conn, board.at(IMPORTED_AS_OF)) is None
        assert reads.import_dated_statuses(conn, board.at(date(2026, 6, 15))) is None


@pytest.mark.usefixtures("shared_data")
def test_the_overview_as_at_march_says_the_statuses_were_dated_by_the_import(pfd_engine):
    expected = _expected(MARCH)
    at = make_app(BOARD, page=PAGE, query_params={"as_at": MARCH.isoformat()})
    assert not at.exception, [e.value for e in at.exception]
    (sentence,) = _sentences(at)
    assert sentence.startswith(
        f"{expected:,} actions' statuses were dated {uk_date(IMPORTED_AS_OF)}, the as-of date"
    )
    assert sentence.endswith(f"as at {uk_date(MARCH)} they show as they stood before that, open.")

    viewer = make_app(VIEWER, page=PAGE, query_params={"as_at": MARCH.isoformat()})
    assert not viewer.exception
    (sentence,) = _sentences(viewer)
    assert sentence.startswith(f"{_expected(MARCH, PUBLISHED):,} actions' statuses were dated")

    # with a sidebar filter the count (over every review the reader may see) says so
    filtered = make_app(BOARD, page=PAGE, query_params={"as_at": MARCH.isoformat(), "rag": "red"})
    (sentence,) = _sentences(filtered)
    assert sentence.startswith(f"Filters aside, {expected:,} actions' statuses were dated")

    for query in ({}, {"as_at": IMPORTED_AS_OF.isoformat()}, {"as_at": "2026-06-15"}):
        at = make_app(BOARD, page=PAGE, query_params=query)
        assert not at.exception, query
        assert at.metric, query  # the page rendered its figures
        assert _sentences(at) == [], query


def test_a_demo_database_without_an_import_shows_nothing(demo_engine, app_env):
    past = date(2026, 1, 31)
    with demo_engine.connect() as conn:
        assert reads.import_dated_statuses(conn, Source(today=ANCHOR, as_at=past)) is None
    at = make_app("board@northbridge.example", page=PAGE, query_params={"as_at": past.isoformat()})
    assert not at.exception
    assert [i for i in at.info if "Showing the records as they stood" in i.value]
    assert _sentences(at) == []
