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
    implemented, assured = fig.data
    others = charts.others_label(len(register) - 2, "reviews")
    assert len(implemented.y) == 3 and implemented.y[-1] == others
    assert f"the 2 of {len(register)}" in fig.layout.title.text
    assert "all others" in fig.layout.title.text
    ranked = register.assign(p=register["pct_implemented"].fillna(0)).sort_values(
        ["overdue", "p", "ref"], ascending=[False, True, True]
    )
    drawn = list(implemented.y[:-1])
    assert set(drawn) == set(ranked["ref"].head(2))
    assert drawn == [r for r in register["ref"] if r in set(drawn)]
    # the last bar: the shares of all the other reviews' recommendations together
    rest = register[~register["ref"].isin(drawn)]
    recs = rest["recommendations"].sum()
    implemented_recs = (rest["pct_implemented"].fillna(0) * rest["recommendations"]).sum() / 100
    assured_recs = (rest["pct_assured"].fillna(0) * rest["recommendations"]).sum() / 100
    assert implemented.x[-1] == pytest.approx(100 * implemented_recs / recs)
    assert assured.x[-1] == pytest.approx(100 * assured_recs / recs)


def overdue_by_agency_sql(engine) -> dict[str, int]:
    with engine.connect() as conn:
        return dict(
            conn.execute(
                text(
                    "select coalesce(g.name, 'No lead agency'), count(*) from action a left join"
                    " agency g on g.id = a.lead_agency_id where a.status in ('not_started',"
                    " 'in_progress') and a.due_on < :t group by 1"
                ),
                {"t": ANCHOR.isoformat()},
            ).all()
        )


def test_agency_charts_draw_the_top_agencies_and_all_others_together(frames, demo_engine):
    overdue = overdue_by_agency_sql(demo_engine)
    assert len(overdue) > 2
    with demo_engine.connect() as conn:
        by_agency = queries.overdue_by_agency(conn, ANCHOR)
    fig = charts.overdue_by_agency_chart(by_agency, max_agencies=1)
    (bars,) = fig.data
    others = charts.others_label(len(overdue) - 1, "agencies")
    # the whole names on hover; on the bars, names cut to charts.LABEL_CHARS characters
    names = list(bars.hovertext)
    assert names == [*by_agency["agency"].head(1), others]
    assert list(bars.y) == [charts.short_label(n) for n in names]
    assert all(len(y) <= charts.LABEL_CHARS for y in bars.y)
    assert any(len(n) > charts.LABEL_CHARS for n in by_agency["agency"])  # the demo has one
    assert list(bars.x[:1]) == [overdue[a] for a in names[:1]]
    assert sum(bars.x) == sum(overdue.values())  # nothing lost: the others are summed
    assert bars.x[1] == sum(n for a, n in overdue.items() if a not in names[:1])
    assert list(bars.marker.color)[-1] == charts.OTHERS_COLOUR
    assert f"the 1 of {len(overdue)} with the most, and all others" in fig.layout.title.text
    # a short list is drawn whole, without an "others" bar
    whole = charts.overdue_by_agency_chart(by_agency)
    assert list(whole.data[0].hovertext) == list(by_agency["agency"])

    card = frames["scorecard"]
    card = card[card["overdue"] > 0]
    fig = charts.agency_scorecard_chart(card, max_agencies=1)
    long, short = fig.data
    assert list(long.y) == [*card["agency"].head(1), others]
    assert [a + b for a, b in zip(long.x, short.x, strict=True)][-1] == sum(
        n for a, n in overdue.items() if a not in long.y[:1]
    )
    assert sum(long.x) == card["overdue_90"].sum()
    assert "all others" in fig.layout.title.text


def test_rag_by_review_chart_states_the_other_reviews_in_words(frames):
    rag = frames["rag"]
    reviews = rag["ref"].nunique()
    fig = charts.rag_by_review_chart(rag, max_reviews=2)
    # only the two drawn reviews have bars: the others would dwarf them (issue 19)
    drawn = list(fig.data[0].y)
    assert len(drawn) == 2 and not any(ref.startswith("All other") for ref in drawn)
    assert "the 2 of" in fig.layout.title.text
    subtitle = fig.layout.title.subtitle.text
    assert subtitle.startswith(f"The other {reviews - 2} reviews (not drawn):")
    rest = rag[~rag["ref"].isin(drawn)]
    for code, word in rules.rag_labels().items():
        total = int(rest.loc[rest["rag"] == code, "actions"].sum())
        assert (f"{word} {total:,}" in subtitle) == (total > 0)
    for series in fig.data:
        code = next(c for c, w in rules.rag_labels().items() if series.name.startswith(w))
        expected = rag[(rag["rag"] == code) & rag["ref"].isin(drawn)]
        assert sum(series.x) == expected["actions"].sum()
    # every bar names its review, for a click to open its actions
    ids = dict(zip(rag["ref"], rag["review_id"], strict=True))
    assert list(fig.data[0].customdata) == [ids[ref] for ref in drawn]


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
    single = next(s for s in fig.data if s.name.startswith("Not flagged"))
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


HOSTILE_NAME = '<b>Bold</b> <a href="http://example.org/x">link</a> & <br>co'
SHOWN = (
    '&lt;b&gt;Bold&lt;/b&gt; &lt;a href="http://example.org/x"&gt;link&lt;/a&gt; &amp; &lt;br&gt;co'
)


def test_chart_text_escapes_only_what_plotly_reads_as_markup():
    assert charts.chart_text(HOSTILE_NAME) == SHOWN
    assert charts.chart_text('Health & care\'s "team"') == 'Health &amp; care\'s "team"'
    assert charts.chart_text(None) == ""
    # escaping is one to one: two names never fall into one bar
    assert charts.chart_text("&lt;") != charts.chart_text("<")


def test_names_from_people_are_text_in_every_chart(frames):
    """Review refs, agency and theme names reach Plotly escaped (tick labels, hover text), so
    Plotly draws "<b>" and "<a href>" as written: no bold, no link (issue 14)."""
    rag = frames["rag"].copy()
    rag.loc[rag["ref"] == rag["ref"].iloc[0], "ref"] = HOSTILE_NAME
    scorecard = frames["scorecard"].copy()
    scorecard.loc[scorecard.index[0], "agency"] = HOSTILE_NAME
    overdue = scorecard.rename(columns={"overdue": "overdue"})[["agency", "overdue"]]
    register = frames["register"].copy()
    register.loc[register.index[0], "ref"] = HOSTILE_NAME
    themes = frames["themes"].copy()
    themes.loc[themes.index[0], "theme"] = HOSTILE_NAME
    figures = {
        "rag": charts.rag_by_review_chart(rag),
        "overdue": charts.overdue_by_agency_chart(overdue),
        "scorecard": charts.agency_scorecard_chart(scorecard),
        "progress": charts.review_progress_chart(register),
        "themes": charts.theme_chart(themes),
    }
    for name, fig in figures.items():
        # a long name is cut on its bar and whole in the hover text (issue 19)
        labels = [
            label
            for trace in fig.data
            for label in (*trace.y, *(trace.hovertext if trace.hovertext is not None else ()))
        ]
        assert SHOWN in labels, name
        assert HOSTILE_NAME not in labels, name
        assert all("<" not in str(label) for label in labels), name
    assert SHOWN in figures["themes"].layout.yaxis.categoryarray
    # the RAG bars still count the escaped review's actions
    first = rag[rag["ref"] == HOSTILE_NAME]
    drawn = sum(
        x
        for trace in figures["rag"].data
        for y, x in zip(trace.y, trace.x, strict=True)
        if y == SHOWN
    )
    assert drawn == first["actions"].sum() > 0
