"""The board pages on the real PFD import (../shared/realdata, 770 reports), as the new user who
found them unreadable saw them: figures checked against independent SQL."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text

from monitoring import charts, importer, services
from tests.conftest import REALDATA, make_app

pytestmark = pytest.mark.usefixtures("shared_data")

PFD = REALDATA / "pfd" / "pfd_recipient_statuses.csv"
BOARD = "board.member@council.example"


@pytest.fixture
def pfd_engine(engine):
    """The real PFD file imported into a fresh database, with one board member's account."""
    importer.import_path(PFD, engine, preset="pfd", create_agencies=True)
    services.create_user(
        engine, services.Actor.system("test"), BOARD, "Board Member", "board", password=None
    )
    return engine


def scalar(engine, sql, **values):
    with engine.connect() as conn:
        return conn.execute(text(sql), values).scalar()


def chart_specs(at) -> list[dict]:
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def test_reviews_page_charts_at_most_twenty_of_the_real_reviews(pfd_engine, app_env):
    at = make_app(BOARD, page="app_pages/reviews.py")
    assert not at.exception, [e.value for e in at.exception]
    reviews = scalar(pfd_engine, "select count(*) from review")
    assert reviews > charts.MAX_REVIEWS_CHARTED
    # the table keeps every review
    register = at.dataframe[0].value
    assert len(register) == reviews
    (spec,) = chart_specs(at)
    *drawn, others = spec["data"][0]["y"]
    assert len(drawn) == charts.MAX_REVIEWS_CHARTED
    assert others == charts.others_label(reviews - charts.MAX_REVIEWS_CHARTED, "reviews")
    title = spec["layout"]["title"]["text"]
    assert f"the {charts.MAX_REVIEWS_CHARTED} of {reviews:,}" in title
    assert any(f"the table below lists all {reviews:,}" in c.value for c in at.caption)
    # the drawn reviews are those with the most overdue actions (independent SQL)
    with pfd_engine.connect() as conn:
        overdue = dict(
            conn.execute(
                text(
                    "select r.ref, count(a.id) from review r left join action a on"
                    " a.review_id = r.id and a.status in ('not_started','in_progress')"
                    " and a.due_on < :t group by r.ref"
                ),
                {"t": "2026-06-30"},
            ).all()
        )
    least_drawn = min(overdue[ref] for ref in drawn)
    assert sum(1 for n in overdue.values() if n > least_drawn) <= charts.MAX_REVIEWS_CHARTED
    assert max(overdue.values()) == max(overdue[ref] for ref in drawn)
