"""The figure builders: values equal the frame they are given (from SQL over the demo data), each
has a title and axis titles, uses the shared template, and pairs every RAG colour with its word."""

from datetime import date

import pytest
from sqlalchemy import text

from monitoring import asat, charts, queries, rules
from tests.conftest import ANCHOR


@pytest.fixture
def frames(demo_engine):
    with demo_engine.connect() as conn:
        return {
            "scorecard": queries.agency_scorecard(conn, ANCHOR),
            "register": queries.review_register(conn, ANCHOR),
            "themes": queries.theme_summary(conn, ANCHOR),
            "trend": asat.trend(conn, date(2026, 1, 1), ANCHOR),
            "rag": queries.rag_by_review(conn, ANCHOR),
        }


def check_layout(fig):
    layout = fig.layout
    assert layout.title.text
    assert layout.xaxis.title.text and layout.yaxis.title.text
    assert layout.template.layout.colorway == tuple(charts.PALETTE)


def test_scorecard_chart(frames, demo_engine):
    card = frames["scorecard"]
    overdue = card[card["overdue"] > 0]
    fig = charts.agency_scorecard_chart(overdue)
    check_layout(fig)
    long, short = fig.data
    red = rules.rag_labels()["red"]
    assert long.name.startswith(red) and short.name.startswith(red)
    assert red in long.hovertemplate and red in short.hovertemplate
    assert list(long.y) == list(overdue["agency"])  # worst first, drawn top down
    with demo_engine.connect() as conn:
        top = conn.execute(
            text(
                "select count(*) from action where lead_agency_id = :a and due_on < :t"
                " and status in ('not_started','in_progress')"
            ),
            {"a": int(overdue.iloc[0]["agency_id"]), "t": ANCHOR.isoformat()},
        ).scalar()
    assert long.x[0] + short.x[0] == top
    assert [a + b for a, b in zip(long.x, short.x, strict=True)] == list(overdue["overdue"])


def test_review_progress_chart(frames):
    register = frames["register"]
    fig = charts.review_progress_chart(register)
    check_layout(fig)
    implemented, assured = fig.data
    assert list(implemented.y) == list(register["ref"])
    assert list(implemented.x) == [v or 0 for v in register["pct_implemented"]]
    assert list(assured.x) == [v or 0 for v in register["pct_assured"]]
    assert all(t.endswith("%") for t in implemented.text)


def test_review_progress_chart_draws_only_the_worst_reviews(frames):
    register = frames["register"]
    fig = charts.review_progress_chart(register, max_reviews=2)
    implemented, _assured = fig.data
    assert len(implemented.y) == 2
    assert f"the 2 of {len(register)}" in fig.layout.title.text
    ranked = register.assign(p=register["pct_implemented"].fillna(0)).sort_values(
        ["overdue", "p", "ref"], ascending=[False, True, True]
    )
    assert set(implemented.y) == set(ranked["ref"].head(2))
    assert list(implemented.y) == [r for r in register["ref"] if r in set(implemented.y)]


def test_trend_chart(frames):
    totals = frames["trend"][frames["trend"]["ref"] == asat.ALL_REVIEWS]
    fig = charts.trend_chart(totals, "Trend")
    check_layout(fig)
    assert [s.name for s in fig.data][1].endswith(f"({rules.rag_labels()['red']})")
    for series, column in zip(fig.data, ("open", "overdue", "completed"), strict=True):
        assert list(series.y) == list(totals[column])
        assert list(series.x) == list(totals["as_at"])
    # told apart by dash and marker as well as colour
    assert len({s.line.dash for s in fig.data}) == 3
    assert len({s.marker.symbol for s in fig.data}) == 3


def test_theme_chart_flags_repeat_learning(frames):
    themes = frames["themes"]
    fig = charts.theme_chart(themes)
    check_layout(fig)
    repeat = next(s for s in fig.data if s.name.startswith("Repeat"))
    single = next(s for s in fig.data if s.name.startswith("In one"))
    assert set(repeat.y) == set(themes.loc[themes["repeat"], "theme"])
    assert set(single.y) == set(themes.loc[~themes["repeat"], "theme"])
    assert all("repeat" in t for t in repeat.text)
    assert sum(repeat.x) + sum(single.x) == themes["recommendations"].sum()


def test_rag_words_follow_the_board_labels(frames, monkeypatch):
    monkeypatch.setenv("MONITORING_RAG_LABELS", '{"red": "Off track"}')
    fig = charts.rag_by_review_chart(frames["rag"])
    names = [s.name for s in fig.data]
    assert any(n.startswith("Off track") for n in names)
    card = frames["scorecard"]
    fig = charts.agency_scorecard_chart(card[card["overdue"] > 0])
    assert all("Off track" in s.hovertemplate for s in fig.data)
    for series in charts.rag_by_review_chart(frames["rag"]).data:
        code = next(c for c, w in rules.rag_labels().items() if series.name.startswith(w))
        assert series.marker.color == rules.RAG_COLOURS[code]
