"""The board pages (AppTest) show the figures independent SQL gives over the demo database, and a
URL with filters reproduces the view in a fresh session."""

import io
from datetime import date, timedelta

import openpyxl
from dateutil.relativedelta import relativedelta
from sqlalchemy import text

from monitoring import tabular
from monitoring.queries import Filters
from tests.conftest import ANCHOR, make_app
from tests.test_asat import STATE, params

BOARD = "board@northbridge.example"
OPEN = "status in ('not_started','in_progress')"
T = ANCHOR.isoformat()


def scalar(engine, sql, **values):
    with engine.connect() as conn:
        return conn.execute(text(sql), values).scalar()


def rows(engine, sql, **values):
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(sql), values).all()]


def ok(at):
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_reviews_page(demo_engine, app_env):
    at = ok(make_app(BOARD, page="app_pages/reviews.py"))
    register = at.dataframe[0].value
    assert len(register) == scalar(demo_engine, "select count(*) from review")
    assert register["overdue"].sum() == scalar(
        demo_engine, f"select count(*) from action where {OPEN} and due_on < :t", t=T
    )
    chosen = at.selectbox(key="review_detail").value
    shown = sum(len(d.value) for d in at.dataframe[1:])
    assert shown == scalar(
        demo_engine, "select count(*) from action where review_id = :r", r=int(chosen)
    )
    # every action's RAG is shown as a word
    words = {w for d in at.dataframe[1:] for w in d.value["RAG"]}
    assert words <= {"Red", "Amber", "Green", "Blue", "Grey", "Red (overridden)"}


def test_agencies_page_worst_first(demo_engine, app_env):
    at = ok(make_app(BOARD, page="app_pages/agencies.py"))
    card = at.dataframe[0].value
    by_agency = dict(
        rows(
            demo_engine,
            f"select g.name, count(a.id) from agency g join action a on a.lead_agency_id = g.id"
            f" and a.{OPEN} and a.due_on < :t group by g.name",
            t=T,
        )
    )
    assert card.iloc[0]["agency"] == max(by_agency, key=lambda n: (by_agency[n], -ord(n[0])))
    assert card.iloc[0]["overdue"] == max(by_agency.values())
    for row in card.itertuples():
        assert row.overdue == by_agency.get(row.agency, 0)
    latest = scalar(demo_engine, "select max(last_update_on) from action where lead_agency_id = 7")
    day = date.fromisoformat(latest)
    assert f"No update received since {day.day} {day:%b %Y}" in set(card["last_update_on"])


def test_actions_page_views_and_url_filters(demo_engine, app_env):
    police = scalar(demo_engine, "select id from agency where short_name = 'POL'")
    at = ok(
        make_app(
            BOARD,
            page="app_pages/actions.py",
            query_params={"agency": str(police), "status": "in_progress,not_started"},
        )
    )
    # AppTest runs dashboard.py (and its sidebar) on the first run only; the page then reads the
    # filters the sidebar set from the URL
    assert at.session_state["monitoring_filters"].agency_ids == (police,)
    expected = scalar(
        demo_engine, f"select count(*) from action where lead_agency_id = :a and {OPEN}", a=police
    )
    assert len(at.dataframe[0].value) == expected > 0
    at.radio(key="action_view").set_value("overdue").run()
    ok(at)
    assert len(at.dataframe[0].value) == scalar(
        demo_engine,
        f"select count(*) from action where lead_agency_id = :a and {OPEN} and due_on < :t",
        a=police,
        t=T,
    )
    assert at.query_params["agency"] in ([str(police)], str(police))


def test_downloads_neutralise_formulas(demo_engine):
    from monitoring import queries

    with demo_engine.begin() as conn:
        conn.execute(text("update action set description = '=HYPERLINK(\"x\")' where id = 1"))
        conn.execute(text("update action set lead_officer = '@SUM(A1)' where id = 2"))
    with demo_engine.connect() as conn:
        frame = queries.action_list(conn, ANCHOR, queries.Filters(review_ids=(1,)))
    csv_text = tabular.to_csv_bytes(frame).decode("utf-8-sig")
    assert "'=HYPERLINK" in csv_text and "'@SUM(A1)" in csv_text
    assert (
        len(csv_text.strip().splitlines())
        == len(frame) + 1
        == 1 + scalar(demo_engine, "select count(*) from action where review_id = 1")
    )
    book = openpyxl.load_workbook(io.BytesIO(tabular.to_xlsx_bytes(frame)))
    sheet = book.active
    assert [c.value for c in sheet[1]] == list(frame.columns)
    assert sheet.max_row == len(frame) + 1
    description = sheet.cell(row=2, column=list(frame.columns).index("description") + 1)
    assert description.value == '=HYPERLINK("x")'
    assert description.data_type == "s" and description.quotePrefix


def test_overview_from_url_filters_in_a_fresh_session(demo_engine, app_env):
    review_id = scalar(demo_engine, "select id from review where ref = 'NSCP-SCR-K'")
    at = ok(make_app(BOARD, query_params={"review": str(review_id), "rag": "red"}))
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Overdue actions"] == str(
        scalar(
            demo_engine,
            f"select count(*) from action where review_id = :r and {OPEN} and due_on < :t",
            r=review_id,
            t=T,
        )
    )
    assert metrics["Reviews"] == "1"
    assert at.multiselect(key="filter_rag").value == ["red"]


def test_overview_as_at_a_past_date(demo_engine, app_env):
    day = date(2026, 2, 15)
    at = ok(make_app(BOARD, query_params={"as_at": day.isoformat()}))
    metrics = {m.label: m.value for m in at.metric}
    overdue, open_n = rows(
        demo_engine,
        STATE + f"select sum(case when {OPEN} and due_on < :d then 1 else 0 end),"
        f" sum(case when {OPEN} then 1 else 0 end) from s",
        **params(day),
    )[0]
    assert metrics["Overdue actions"] == str(overdue)
    assert metrics["Open actions"] == str(open_n)
    assert any("15 Feb 2026" in i.value for i in at.info)
    at.switch_page("app_pages/agencies.py").run()
    ok(at)
    card = at.dataframe[0].value
    top = rows(
        demo_engine,
        STATE + f"select count(*) from s where {OPEN} and due_on < :d"
        " group by lead_agency_id order by count(*) desc",
        **params(day),
    )[0][0]
    assert card.iloc[0]["overdue"] == top


def test_themes_page_search_and_repeat_learning(demo_engine, app_env):
    at = ok(make_app(BOARD, page="app_pages/themes.py"))
    themes = at.dataframe[0].value
    repeated = rows(
        demo_engine,
        "select t.name from theme t join recommendation_theme rt on rt.theme_id = t.id"
        " join recommendation m on m.id = rt.recommendation_id group by t.name"
        " having count(distinct m.review_id) > 1",
    )
    flagged = set(themes.loc[themes["repeat"] == "Yes: repeat learning", "theme"])
    assert flagged == {n for (n,) in repeated}
    assert all(name in at.warning[0].value for (name,) in repeated)
    at.text_input(key="search_text").input("named nurses").run()
    ok(at)
    hits = at.dataframe[-1].value
    expected = scalar(
        demo_engine,
        "select count(*) from action where lower(description) like '%named nurse%'",
    ) + scalar(
        demo_engine,
        "select count(*) from recommendation where lower(title || ' ' || text) like '%named nurse%'",
    )
    assert len(hits) == expected > 0


def test_trends_page(demo_engine, app_env):
    at = ok(make_app(BOARD, page="app_pages/trends.py"))
    frame = at.dataframe[0].value
    last = frame[(frame["ref"] == "All reviews") & (frame["as_at"] == "30 Jun 2026")].iloc[0]
    open_n, overdue = rows(
        demo_engine,
        STATE + f"select sum(case when {OPEN} then 1 else 0 end),"
        f" sum(case when {OPEN} and due_on < :d then 1 else 0 end) from s",
        **params(ANCHOR),
    )[0]
    assert (last["open"], last["overdue"]) == (open_n, overdue)
    assert len(frame[frame["ref"] == "All reviews"]) == 13  # twelve month ends and today


def test_meetings_page_records_and_lists_changes(demo_engine, app_env):
    at = ok(make_app(BOARD, page="app_pages/meetings.py"))
    since = ANCHOR - relativedelta(months=3)
    assert at.selectbox(key="changes_since").value == since
    start, end = (since + timedelta(days=1)).isoformat(), (ANCHOR + timedelta(days=1)).isoformat()
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Target date moved"] == str(
        scalar(
            demo_engine,
            "select count(*) from due_date_change where decision = 'approved'"
            " and decided_at >= :s and decided_at < :e",
            s=start,
            e=end,
        )
    )
    assert metrics["New recommendation"] == str(
        scalar(
            demo_engine,
            "select count(*) from recommendation where created_at >= :s and created_at < :e",
            s=start,
            e=end,
        )
    )
    before = scalar(demo_engine, "select count(*) from meeting")
    at.date_input[0].set_value(ANCHOR)
    at.text_input[0].input("Partnership board (June 2026)")
    at.button[0].click().run()
    ok(at)
    assert scalar(demo_engine, "select count(*) from meeting") == before + 1
    assert (
        scalar(demo_engine, "select title from meeting where held_on = :d", d=T)
        == "Partnership board (June 2026)"
    )
    assert len(at.dataframe[0].value) == before + 1


def test_agency_lead_sees_changes_but_cannot_record_meetings(demo_engine, app_env):
    at = ok(make_app("police.lead@northbridge.example", page="app_pages/meetings.py"))
    assert at.title[0].value == "Meetings"
    assert not [b for b in at.button if b.label == "Record meeting"]
    assert len(at.dataframe[0].value) == scalar(demo_engine, "select count(*) from meeting")


def test_filters_round_trip_through_the_url():
    from monitoring.ui import filters

    chosen = Filters(
        review_types=("SCR", "SAR"),
        review_ids=(3, 1),
        agency_ids=(2,),
        theme_ids=(5,),
        rag=("red", "amber"),
        statuses=("in_progress",),
        as_at=date(2026, 2, 15),
    )
    url = filters.to_query_params(chosen)
    assert url == {
        "type": "SCR,SAR",
        "review": "3,1",
        "agency": "2",
        "theme": "5",
        "rag": "red,amber",
        "status": "in_progress",
        "as_at": "2026-02-15",
    }
    assert filters.from_query_params(url) == chosen
    assert filters.to_query_params(Filters()) == {}
    odd = filters.from_query_params(
        {"type": "SCR,Bogus", "review": ["1", "x", "1"], "rag": "purple", "as_at": "15/02/2026"}
    )
    assert odd == Filters(review_types=("SCR",), review_ids=(1,))


def test_a_future_or_bad_as_at_in_the_url_shows_the_records_now(demo_engine, app_env):
    at = ok(make_app(BOARD, query_params={"as_at": "2099-01-01", "status": "bogus"}))
    assert at.session_state["monitoring_filters"] == Filters()
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Overdue actions"] == str(
        scalar(demo_engine, f"select count(*) from action where {OPEN} and due_on < :t", t=T)
    )


def test_actions_downloads_hold_every_row_not_only_those_shown(demo_engine, app_env, monkeypatch):
    """The table shows the first rows (``queue.QUEUE_ROWS``; 3 here, 500 in use); the CSV and
    XLSX downloads hold every action of the view (a user found a 500-row "all actions" file)."""
    from monitoring.ui import queue, widgets

    offered = {}
    real = widgets.downloads

    def recorded(frame, name, key):
        offered[key] = frame
        real(frame, name, key)

    monkeypatch.setattr(queue, "QUEUE_ROWS", 3)
    monkeypatch.setattr(widgets, "downloads", recorded)
    at = ok(make_app(BOARD, page="app_pages/actions.py"))
    assert len(at.dataframe[0].value) == 3
    make = offered["actions"]
    assert callable(make)  # built on the click, not on every run
    every = make()
    assert len(every) == scalar(demo_engine, "select count(*) from action") > 3
    assert list(every.columns[:4]) == ["Review", "Action", "RAG", "Days overdue"]
    assert any("downloads hold all" in c.value for c in at.caption)
    at.radio(key="action_view").set_value("overdue").run()
    ok(at)
    overdue = offered["actions"]()
    assert len(overdue) == scalar(
        demo_engine, f"select count(*) from action where {OPEN} and due_on < :t", t=T
    )
    assert overdue["Days overdue"].is_monotonic_decreasing  # worst first, as on the page
    book = openpyxl.load_workbook(io.BytesIO(tabular.to_xlsx_bytes(overdue)))
    assert book.active.max_row == len(overdue) + 1
