"""One consistent truth (issue 19): every page and the meeting pack, for each combination of
(no filter, an agency filter, a theme filter) × (today, as at a past date), show the same shared
figures, rounded the same way: open and overdue actions, implemented and assured percentages,
overdue per lead agency, and the changes since the last meeting.

The past date is the March 2026 meeting's, so that meeting's pack (read as the records stood on
its date) is compared with the pages' "As at" view of that date.
"""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import text

from monitoring import rules
from tests.conftest import ANCHOR, make_app

BOARD = "board@northbridge.example"
PAST = date(2026, 3, 30)  # the demo's March 2026 meeting


def ok(at):
    assert not at.exception, [e.value for e in at.exception]
    return at


def metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def chart(at, title_part: str) -> dict:
    """The plotly spec of the chart whose title contains ``title_part``."""
    for element in at.get("plotly_chart"):
        spec = json.loads(element.proto.spec)
        title = spec["layout"].get("title", {})
        words = title.get("text", "") if isinstance(title, dict) else str(title)
        if title_part in words:
            return spec
    raise AssertionError(f"no chart titled {title_part!r}")


def overdue_by_agency_from_chart(at) -> dict[str, int]:
    spec = chart(at, "Overdue actions by lead agency")
    bar = spec["data"][0]
    names = bar.get("hovertext", bar["y"])  # the whole names (a long one is cut on the bar)
    return {str(y): int(x) for x, y in zip(bar["x"], names, strict=True)}


def params(filter_name: str, as_at: date | None, ids: dict) -> dict:
    query = {}
    if filter_name == "agency":
        query["agency"] = str(ids["police"])
    if filter_name == "theme":
        query["theme"] = str(ids["theme"])
    if as_at:
        query["as_at"] = as_at.isoformat()
    return query


@pytest.mark.parametrize("as_at", [None, PAST], ids=["today", "as-at"])
@pytest.mark.parametrize("filter_name", ["none", "agency", "theme"])
def test_every_page_and_the_pack_agree(filter_name, as_at, demo_engine, app_env):
    with demo_engine.connect() as conn:
        ids = {
            "police": conn.execute(text("select id from agency where short_name = 'POL'")).scalar(),
            "theme": conn.execute(
                text(
                    "select theme_id from recommendation_theme group by theme_id"
                    " order by count(*) desc, theme_id limit 1"
                )
            ).scalar(),
        }
    query = params(filter_name, as_at, ids)

    overview = ok(make_app(BOARD, page="app_pages/overview.py", query_params=query))
    tiles = metrics(overview)
    overdue, open_actions = int(tiles["Overdue actions"]), int(tiles["Open actions"])
    assert overdue > 0 and open_actions >= overdue  # the demo has overdue work on every view
    by_agency = overdue_by_agency_from_chart(overview)
    assert sum(by_agency.values()) == overdue
    implemented, assured = tiles["Implemented"], tiles["Assured"]
    assert implemented.endswith("%") and "." not in implemented

    reviews = ok(make_app(BOARD, page="app_pages/reviews.py", query_params=query))
    register = reviews.dataframe[0].value
    assert int(register["overdue"].sum()) == overdue
    # the chart's bars and labels are the table's whole-number percentages
    progress = chart(reviews, "implemented")
    for trace, column in zip(progress["data"][:2], ("pct_implemented", "pct_assured"), strict=True):
        table = dict(zip(register["ref"], register[column], strict=True))
        for ref, x, label in zip(trace["y"], trace["x"], trace["text"], strict=True):
            value = table[ref]
            if value is None or value != value:
                assert label == "no recommendations"
            else:
                assert x == value and label == f"{value:.0f}%" and float(value).is_integer()

    agencies = ok(make_app(BOARD, page="app_pages/agencies.py", query_params=query))
    card = agencies.dataframe[0].value
    assert int(card["overdue"].sum()) == overdue
    assert int(card["open"].sum()) == open_actions
    assert {a: int(n) for a, n in zip(card["agency"], card["overdue"], strict=True) if n} == (
        by_agency
    )

    actions = ok(make_app(BOARD, page="app_pages/actions.py", query_params=query))
    actions.radio(key="action_view").set_value("overdue").run()
    ok(actions)
    said = f"{overdue} action." if overdue == 1 else f"{overdue:,} actions."
    assert any(c.value == said for c in actions.caption)
    listed = actions.dataframe[0].value
    assert len(listed) == overdue
    assert listed.groupby("agency").size().to_dict() == by_agency

    # the pack: the next meeting's for today, the March meeting's for the past date
    pack_page = ok(make_app(BOARD, page="app_pages/meeting_pack.py", query_params=query))
    if as_at:
        chooser = pack_page.selectbox[0]
        index = next(i for i, o in enumerate(chooser.options) if o.startswith("30 Mar 2026"))
        chooser.select_index(index).run()
        ok(pack_page)
    pack_tiles = metrics(pack_page)
    assert int(pack_tiles["Overdue actions"]) == overdue
    figures = pack_page.dataframe[0].value.set_index("Figure")["At this meeting"]
    assert figures["Overdue actions"] == str(overdue)
    assert figures["Open actions"] == str(open_actions)
    assert figures["Recommendations implemented"] == implemented
    assert figures["Recommendations assured"] == assured

    # changes since the last meeting: the Meetings page and the pack count the same
    meetings = ok(make_app(BOARD, page="app_pages/meetings.py", query_params=query))
    caption = next(c.value for c in meetings.caption if " changes after " in c.value)
    changed = int(caption.split(" ", 1)[0])
    assert int(pack_tiles["Changes since the baseline"]) == changed
    until = as_at or ANCHOR
    assert f"up to and including {until.day} {until:%b %Y}" in caption

    # as at a date, the pages read that date and say so
    if as_at:
        for at in (overview, reviews, agencies, actions):
            assert any("30 Mar 2026" in i.value for i in at.info), "As at not shown"


def test_percentages_round_one_way():
    """1 of 8 is 12.5%: every page and export shows 13% (rules.percentage, half up)."""
    assert f"{rules.percentage(1, 8):.0f}%" == "13%"
    assert f"{rules.percentage(5, 8):.0f}%" == "63%"
