"""The Overview's plain-English summary under its date line (a board chair on the real PFD data:
"eleven tiles of figures, but nothing says in words what the board should look at first").

Its wording (:func:`monitoring.vocabulary.overview_summary`) against literal sentences; on the
page (AppTest, the demo database) every number in it equals the tile it comes from and
independent SQL, and the agency it names is the top of the overdue-by-agency chart's data: for a
board member now, with sidebar filters from the URL, as at a past date, and for a viewer (who
sees only published reviews); a database with nothing overdue says so; an agency's name from a
file stays text.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd
import pytest
from sqlalchemy import text

from monitoring.ui.text import WORD_JOINER, md
from monitoring.vocabulary import overview_summary
from tests.conftest import ANCHOR, make_app, rows, scalar
from tests.test_asat import STATE, params

BOARD = "board@northbridge.example"
VIEWER = "viewer@northbridge.example"
OPEN = "status in ('not_started','in_progress')"
PAST = date(2026, 2, 15)
ODD_NAME = "**bold** <b>x</b> [link](http://x)"


# --- the wording ---------------------------------------------------------------------------------


@dataclass
class Figures:
    open_actions: int
    overdue: int
    no_due_date: int


def agencies(*pairs: tuple[str, int]) -> pd.DataFrame:
    return pd.DataFrame(
        [(i, name, n) for i, (name, n) in enumerate(pairs, 1)],
        columns=["agency_id", "agency", "overdue"],
    )


DHSC = "Department of Health and Social Care"


@pytest.mark.parametrize(
    ("figures", "escalated", "by_agency", "as_at", "expected"),
    [
        pytest.param(
            Figures(539, 523, 16),
            523,
            agencies((DHSC, 36), ("NHS England", 20)),
            None,
            "523 of 539 open actions are overdue; 523 of them by 90 days or more (escalated to "
            f"the board). Most overdue: {DHSC} (36 actions). 16 open actions have no target date.",
            id="the real PFD data's shape",
        ),
        pytest.param(
            Figures(12_345, 1_234, 1),
            0,
            agencies(("Police", 1_001), ("Health", 233)),
            None,
            "1,234 of 12,345 open actions are overdue. Most overdue: Police (1,001 actions). "
            "1 open action has no target date.",
            id="thousands, nothing escalated, one without a date",
        ),
        pytest.param(
            Figures(5, 0, 0),
            0,
            agencies(),
            None,
            "No open action is overdue.",
            id="nothing overdue",
        ),
        pytest.param(
            Figures(5, 0, 2),
            0,
            agencies(),
            PAST,
            "On 15 Feb 2026, no open action was overdue. 2 open actions had no target date.",
            id="nothing overdue, as at a past date",
        ),
        pytest.param(Figures(0, 0, 0), 0, agencies(), None, "No action is open.", id="none open"),
        pytest.param(
            Figures(7, 1, 0),
            1,
            agencies(("Police", 1)),
            PAST,
            "On 15 Feb 2026, 1 of 7 open actions was overdue, by 90 days or more (escalated to "
            "the board). Most overdue: Police (1 action).",
            id="one overdue, escalated, past",
        ),
        pytest.param(
            Figures(1, 1, 0),
            0,
            agencies(("Police", 1)),
            None,
            "The one open action is overdue. Most overdue: Police (1 action).",
            id="the one open action",
        ),
        pytest.param(
            Figures(8, 8, 0),
            5,
            agencies(("Police", 3), ("Health", 3), ("Council", 2)),
            None,
            "All 8 open actions are overdue; 5 of them by 90 days or more (escalated to the "
            "board). Most overdue: Police and Health (3 actions each).",
            id="all overdue, two tied",
        ),
        pytest.param(
            Figures(9, 6, 0),
            0,
            agencies(("A", 2), ("B", 2), ("C", 2)),
            None,
            "6 of 9 open actions are overdue. Most overdue: A, B and 1 other agency (2 actions "
            "each).",
            id="three tied",
        ),
    ],
)
def test_wording(figures, escalated, by_agency, as_at, expected):
    assert overview_summary(figures, escalated, by_agency, as_at=as_at, board_days=90) == expected


def test_wording_without_the_ladder_days():
    assert overview_summary(Figures(4, 2, 0), 1, agencies(("Police", 2))) == (
        "2 of 4 open actions are overdue; 1 of them escalated to the board. "
        "Most overdue: Police (2 actions)."
    )
    assert overview_summary(Figures(4, 1, 0), 1, agencies(("Police", 1))) == (
        "1 of 4 open actions is overdue, escalated to the board. Most overdue: Police (1 action)."
    )


# --- on the page ---------------------------------------------------------------------------------

SENTENCE = re.compile(
    r"^(?:On (?P<day>\d{1,2} \w{3} \d{4}), )?"
    r"(?:(?P<overdue>[\d,]+) of (?P<open>[\d,]+) open actions? (?:is|are|was|were) overdue"
    r"|[Aa]ll (?P<all>[\d,]+) open actions (?:are|were) overdue)"
    r"(?:; (?P<escalated>[\d,]+) of them by 90 days or more \(escalated to the board\))?\."
    r"(?: Most overdue: (?P<agencies>.+) \((?P<most>[\d,]+) actions?(?: each)?\)\.)?"
    r"(?: (?P<no_date>[\d,]+) open actions? (?:has|have|had) no target date\.)?$"
)


def ok(at):
    assert not at.exception, [e.value for e in at.exception]
    return at


def summary_of(at) -> tuple[str, str]:
    """The summary as the page wrote it (Markdown source) and as a reader sees it."""
    for element in at.markdown:
        shown = re.sub(r"\\(.)", r"\1", element.value).replace(WORD_JOINER, "")
        if "open action" in shown or "No action is open" in shown:
            return element.value, shown
    raise AssertionError("no summary on the page")


def summary_before_tiles(at) -> None:
    """The summary comes right after the title and date line, before the first tile."""
    kinds = [e.type for e in at.main if e.type in ("markdown", "metric")]
    first_metric = kinds.index("metric")
    assert "markdown" in kinds[:first_metric]


def number(value: str | None) -> int:
    return int(value.replace(",", "")) if value else 0


def agency_chart(at) -> tuple[list[str], list[int]]:
    """The overdue-by-agency chart's bars: (whole names, counts), top first."""
    for chart in at.get("plotly_chart"):
        spec = json.loads(chart.proto.spec)
        if spec["layout"]["title"]["text"].startswith("Overdue actions by lead agency"):
            bar = spec["data"][0]
            return bar["hovertext"], bar["x"]
    return [], []


def named(tied: list[str]) -> str:
    if len(tied) == 1:
        return tied[0]
    if len(tied) == 2:
        return f"{tied[0]} and {tied[1]}"
    rest = len(tied) - 2
    return f"{tied[0]}, {tied[1]} and {rest} other agenc{'y' if rest == 1 else 'ies'}"


def expected_from_sql(engine, where: str = "1 = 1", day: date | None = None, **values) -> dict:
    """The figures independent SQL gives: over the actions now (``day`` None) or as they stood on
    ``day`` (``tests.test_asat.STATE``), kept by ``where`` (over ``s``, the actions)."""
    if day is None:
        base = "with s as (select * from action) "
        values |= {"d": ANCHOR.isoformat(), "d90": (ANCHOR - timedelta(days=90)).isoformat()}
    else:
        base = STATE
        values |= params(day)
    opened, overdue, escalated, no_date = rows(
        engine,
        base + f"select sum(case when {OPEN} then 1 else 0 end),"
        f" sum(case when {OPEN} and due_on < :d then 1 else 0 end),"
        f" sum(case when {OPEN} and due_on <= :d90 then 1 else 0 end),"
        f" sum(case when {OPEN} and due_on is null then 1 else 0 end) from s where {where}",
        **values,
    )[0]
    by_agency = rows(
        engine,
        base + "select coalesce(g.name, 'Lead agency not recorded'), count(*) from s"
        " left join agency g on g.id = s.lead_agency_id"
        f" where {OPEN} and s.due_on < :d and {where}"
        " group by coalesce(g.name, 'Lead agency not recorded')"
        " order by count(*) desc, coalesce(g.name, 'Lead agency not recorded')",
        **values,
    )
    most = by_agency[0][1] if by_agency else 0
    return {
        "open": opened or 0,
        "overdue": overdue or 0,
        "escalated": escalated or 0,
        "no_date": no_date or 0,
        "most": most,
        "agencies": named([name for name, n in by_agency if n == most]) if by_agency else None,
    }


def check(at, expected: dict, day: date | None = None) -> re.Match:
    """The page's summary against its tiles, its chart and ``expected`` (independent SQL)."""
    ok(at)
    summary_before_tiles(at)
    _, shown = summary_of(at)
    match = SENTENCE.match(shown)
    assert match, shown
    metrics = {m.label: number(m.value) for m in at.metric if "%" not in m.value}
    said_open = number(match["open"] or match["all"])
    said_overdue = number(match["overdue"] or match["all"])
    assert said_open == metrics["Open actions"] == expected["open"]
    assert said_overdue == metrics["Overdue actions"] == expected["overdue"] > 0
    assert number(match["escalated"]) == metrics["Escalated to the board"] == expected["escalated"]
    assert number(match["no_date"]) == metrics["Open with no target date"] == expected["no_date"]
    names, counts = agency_chart(at)
    assert number(match["most"]) == counts[0] == expected["most"] > 0
    assert match["agencies"] == expected["agencies"]
    assert match["agencies"].startswith(names[0])
    if day is None:
        assert match["day"] is None and " are overdue" in shown
    else:
        assert match["day"] == f"{day.day} {day:%b %Y}" and " were overdue" in shown
    return match


def test_board_now(demo_engine, app_env):
    check(make_app(BOARD), expected_from_sql(demo_engine))


@pytest.mark.parametrize(
    ("query", "where"),
    [
        pytest.param({"rag": "red"}, f"{OPEN} and due_on < :d", id="red only"),
        pytest.param({"review": "REVIEW"}, "review_id = :r", id="one review"),
        pytest.param({"agency": "AGENCY"}, "lead_agency_id = :g", id="one agency"),
    ],
)
def test_board_with_a_sidebar_filter(demo_engine, app_env, query, where):
    review = scalar(demo_engine, "select id from review where ref = 'NSCP-SCR-K'")
    agency = scalar(demo_engine, "select id from agency where short_name = 'POL'")
    query = {k: {"REVIEW": str(review), "AGENCY": str(agency)}.get(v, v) for k, v in query.items()}
    expected = expected_from_sql(demo_engine, where, r=review, g=agency)
    assert expected != expected_from_sql(demo_engine)  # the filter changes the figures
    check(make_app(BOARD, query_params=query), expected)


def test_board_as_at_a_past_date(demo_engine, app_env):
    expected = expected_from_sql(demo_engine, day=PAST)
    assert expected != expected_from_sql(demo_engine)
    check(make_app(BOARD, query_params={"as_at": PAST.isoformat()}), expected, PAST)


def test_viewer_reads_published_reviews_only(demo_engine, app_env):
    """A viewer's summary counts only published reviews, like the viewer's tiles and chart: a
    review not yet published (with the most overdue actions of one agency) is left out."""
    hidden = scalar(
        demo_engine,
        f"select review_id from action where {OPEN} and due_on < :d"
        " group by review_id order by count(*) desc, review_id limit 1",
        d=ANCHOR.isoformat(),
    )
    with demo_engine.begin() as conn:
        conn.execute(text("update review set published_on = null where id = :r"), {"r": hidden})
    published = "review_id in (select id from review where published_on is not null)"
    expected = expected_from_sql(demo_engine, published)
    assert expected != expected_from_sql(demo_engine)  # the board's differs
    check(make_app(VIEWER), expected)
    check(make_app(BOARD), expected_from_sql(demo_engine))


def test_nothing_overdue(demo_engine, app_env):
    with demo_engine.begin() as conn:
        conn.execute(
            text(f"update action set due_on = :later where {OPEN} and due_on < :d"),
            {"later": (ANCHOR + timedelta(days=200)).isoformat(), "d": ANCHOR.isoformat()},
        )
    at = ok(make_app(BOARD))
    summary_before_tiles(at)
    no_date = scalar(demo_engine, f"select count(*) from action where {OPEN} and due_on is null")
    assert no_date == 1
    assert summary_of(at)[1] == "No open action is overdue. 1 open action has no target date."
    assert {m.label: m.value for m in at.metric}["Overdue actions"] == "0"


def test_an_agency_name_stays_text(demo_engine, app_env):
    top = scalar(
        demo_engine,
        f"select lead_agency_id from action where {OPEN} and due_on < :d"
        " group by lead_agency_id order by count(*) desc, lead_agency_id limit 1",
        d=ANCHOR.isoformat(),
    )
    # one more overdue action for it, so that it alone is the most overdue
    with demo_engine.begin() as conn:
        conn.execute(text("update agency set name = :n where id = :g"), {"n": ODD_NAME, "g": top})
        conn.execute(
            text(
                f"update action set due_on = :past where id = (select min(id) from action"
                f" where lead_agency_id = :g and {OPEN} and (due_on is null or due_on >= :d))"
            ),
            {"past": (ANCHOR - timedelta(days=5)).isoformat(), "g": top, "d": ANCHOR.isoformat()},
        )
    at = ok(make_app(BOARD))
    source, shown = summary_of(at)
    expected = expected_from_sql(demo_engine)
    assert expected["agencies"] == ODD_NAME
    assert f"Most overdue: {ODD_NAME} ({expected['most']} actions)." in shown
    assert source == md(shown)  # every Markdown character escaped: shown as typed
    assert r"\*\*bold\*\* \<b\>x\</b\> \[link\](http\:" in source
