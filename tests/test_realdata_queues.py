"""The work queues on the real PFD import (../shared/realdata, 770 reports, 1,364 actions): the
Assurance page drew 832 expanders and My actions 542 forms for an administrator (issue 18). Each
page now draws a bounded number of elements, whatever the number of records, and its queue lists
the records independent SQL counts."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from monitoring import importer, rules, services
from monitoring.ui import queue
from tests.conftest import REALDATA, make_app

PFD = REALDATA / "pfd" / "pfd_recipient_statuses.csv"
BOARD = "board.member@council.example"
ADMIN = "admin@council.example"
LEAD = "lead@council.example"

MAX_ELEMENTS = 80
"""Elements a queue page may draw (tiles, tabs, one table per queue, one detail panel and its
form, the sidebar); before the queues the Assurance page drew thousands on this data."""


def count_elements(node) -> int:
    """Every element and block below ``node`` (an AppTest tree node), ``node`` included."""
    children = getattr(node, "children", None) or {}
    return 1 + sum(count_elements(child) for child in children.values())


def scalar(engine, sql, **values):
    with engine.connect() as conn:
        return conn.execute(text(sql), values).scalar()


@pytest.fixture
def pfd_engine(engine):
    """The real PFD file imported, with a board member, an administrator and the lead of the
    agency that leads the most actions."""
    importer.import_path(PFD, engine, preset="pfd", create_agencies=True)
    system = services.Actor.system("test")
    busiest = scalar(
        engine,
        "select lead_agency_id from action where lead_agency_id is not null"
        " and status in ('not_started', 'in_progress', 'completed')"
        " group by lead_agency_id order by count(*) desc, lead_agency_id limit 1",
    )
    services.create_user(engine, system, BOARD, "Board Member", "board")
    services.create_user(engine, system, ADMIN, "Admin", "admin")
    services.create_user(engine, system, LEAD, "Lead", "agency_lead", agency_id=busiest)
    return engine


def queue_table(at, key: str):
    return next(d for d in at.dataframe if d.key == f"{key}_table_").value


def test_assurance_page_is_one_queue_on_the_real_data(pfd_engine, app_env):
    completed = scalar(pfd_engine, "select count(*) from action where status = 'completed'")
    assert completed > 100  # the real data has hundreds waiting: the page must not draw each
    at = make_app(BOARD, page="app_pages/assurance.py")
    assert not at.exception, [e.value for e in at.exception]
    assert count_elements(at._tree) <= MAX_ELEMENTS
    assert len(at.expander) == 0
    assert len(at.get("form")) <= 3  # the one chosen action's form (and the decision forms)
    table = queue_table(at, "assurance")
    assert len(table) == min(completed, queue.QUEUE_ROWS)
    assert f"Completed actions to assure ({completed})" in [t.label for t in at.tabs]
    # longest waiting first
    dates = [d for d in table["completed_on"] if d is not None and d == d]
    assert dates == sorted(dates)
    # the first (longest waiting) action is chosen: its form is drawn, no other
    first = int(table["id"].iloc[0])
    assert at.button(key=f"assure_{first}")
    assert [b.key for b in at.button if str(b.key).startswith("assure_")] == [f"assure_{first}"]


@pytest.mark.parametrize("email", [ADMIN, LEAD])
def test_my_actions_is_one_queue_on_the_real_data(pfd_engine, app_env, email):
    scope = "" if email == ADMIN else " and lead_agency_id = (select agency_id from app_user"
    scope += "" if email == ADMIN else f" where email = '{LEAD}')"
    listed = scalar(
        pfd_engine,
        "select count(*) from action where status in ('not_started', 'in_progress', 'completed')"
        + scope,
    )
    awaiting = scalar(pfd_engine, "select count(*) from action where status = 'completed'" + scope)
    at = make_app(email, page="app_pages/my_actions.py")
    assert not at.exception, [e.value for e in at.exception]
    assert count_elements(at._tree) <= MAX_ELEMENTS
    assert len(at.expander) == 0
    table = queue_table(at, "my_actions")
    assert len(table) == min(listed, queue.QUEUE_ROWS)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Open actions"] == str(listed - awaiting)
    assert metrics["Awaiting assurance"] == str(awaiting)
    # one update form: the chosen (first, most overdue) action's
    first = int(table["id"].iloc[0])
    assert [s.key for s in at.selectbox if str(s.key).startswith("status_")] == [
        f"status_{first}_0"
    ]
    # Find narrows the queue to what matches, and reaches rows past the first QUEUE_ROWS
    ref = scalar(
        pfd_engine,
        "select r.ref from action a join review r on r.id = a.review_id where a.status in"
        " ('not_started', 'in_progress', 'completed')" + scope + " order by a.id desc limit 1",
    )
    at.text_input(key="my_actions_find").input(ref).run()
    assert not at.exception
    found = next(d for d in at.dataframe if d.key == f"my_actions_table_{ref.lower()}").value
    like = "%" + ref.lower() + "%"
    matches = scalar(
        pfd_engine,
        "select count(*) from action a join review r on r.id = a.review_id left join agency g"
        " on g.id = a.lead_agency_id where a.status in ('not_started', 'in_progress',"
        " 'completed')" + scope.replace("lead_agency_id", "a.lead_agency_id") + " and ("
        "lower(r.ref) like :p or lower(a.number) like :p or lower(a.description) like :p"
        " or lower(coalesce(g.name, :none)) like :p"
        " or lower(coalesce(a.lead_officer, '')) like :p)",
        p=like,
        none=rules.NO_LEAD_AGENCY,
    )
    assert len(found) == min(matches, queue.QUEUE_ROWS) >= 1
    assert ref in set(found["review_ref"])


def test_a_long_table_keeps_its_rag_words_without_the_cell_by_cell_styler():
    """Streamlit marshals a pandas Styler cell by cell on every run (the Actions page's rerun on
    the PFD data: 2.6 s): above widgets.STYLED_ROWS_MAX rows the RAG word is shown uncoloured."""
    import pandas as pd
    from pandas.io.formats.style import Styler

    from monitoring.ui import widgets

    small = pd.DataFrame({"RAG": ["Red", "Green"]})
    assert isinstance(widgets.rag_styled(small), Styler)
    long = pd.DataFrame({"RAG": ["Red"] * (widgets.STYLED_ROWS_MAX + 1)})
    assert widgets.rag_styled(long) is long


def test_history_table_follows_the_sidebar_filters(pfd_engine, app_env):
    """The History table honours the sidebar filters like every other page (a fresh user saw all
    actions listed with a lead-agency filter set)."""
    busiest = scalar(
        pfd_engine,
        "select lead_agency_id from action where lead_agency_id is not null"
        " group by lead_agency_id order by count(*) desc, lead_agency_id limit 1",
    )
    expected = scalar(
        pfd_engine, "select count(*) from action where lead_agency_id = :a", a=busiest
    )
    at = make_app(BOARD, page="app_pages/history.py", query_params={"agency": str(busiest)})
    assert not at.exception, [e.value for e in at.exception]
    table = queue_table(at, "history")
    assert 0 < len(table) == expected
    unfiltered = make_app(BOARD, page="app_pages/history.py")
    assert len(queue_table(unfiltered, "history")) == min(
        scalar(pfd_engine, "select count(*) from action"), queue.QUEUE_ROWS
    )
