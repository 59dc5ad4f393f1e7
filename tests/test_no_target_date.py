"""An open action with no target date is its own group, never overdue, and says so in words
(DESIGN §4; issue 19: on the real PFD data such actions showed only "Green"). The RAG rule is
kept (Green: nothing is late yet); wherever the action is listed its RAG reads "Green (no target
date)", and the Overview's "Open with no target date" tile counts it."""

from __future__ import annotations

import io

import openpyxl
import pytest
from sqlalchemy import text

from monitoring import exports, importer, services, vocabulary
from tests.conftest import REALDATA, make_app

PFD = REALDATA / "pfd" / "pfd_recipient_statuses.csv"
BOARD = "board@northbridge.example"
NO_DATE = "select id from action where due_on is null and status in ('not_started','in_progress')"


def test_the_words(monkeypatch):
    monkeypatch.delenv("MONITORING_RAG_LABELS", raising=False)
    assert vocabulary.rag_with_date_words("green", None, "in_progress") == "Green (no target date)"
    assert vocabulary.rag_with_date_words("green", "2026-01-01", "in_progress") == "Green"
    assert vocabulary.rag_with_date_words("blue", None, "completed") == "Blue"
    assert vocabulary.rag_with_date_words("red", float("nan"), "not_started", True) == (
        "Red (overridden) (no target date)"
    )
    assert vocabulary.rag_words(
        ["green", "green", "grey"],
        due_on=[None, "2026-03-01", None],
        statuses=["not_started", "in_progress", "superseded"],
    ) == ["Green (no target date)", "Green", "Grey"]
    assert vocabulary.target_date_words(None) == "No target date"
    assert vocabulary.target_date_words("2026-12-01") == "1 Dec 2026"


@pytest.fixture
def pfd_engine(engine):
    importer.import_path(PFD, engine, preset="pfd")
    services.create_user(
        engine, services.Actor.system("test"), BOARD, "Board Member", "board", password=None
    )
    return engine


@pytest.mark.usefixtures("shared_data")
def test_on_the_real_pfd_data(pfd_engine, app_env, monkeypatch):
    monkeypatch.setenv("MONITORING_TODAY", "2026-03-01")
    with pfd_engine.connect() as conn:
        ids = set(conn.execute(text(NO_DATE)).scalars())
    assert ids, "the PFD file has open actions with no target date"

    at = make_app(BOARD, page="app_pages/overview.py")
    assert not at.exception
    tiles = {m.label: m.value for m in at.metric}
    assert int(str(tiles["Open with no target date"]).replace(",", "")) == len(ids)

    at.switch_page("app_pages/actions.py").run()
    at.radio(key="action_view").set_value("no_due_date").run()
    assert not at.exception
    table = at.dataframe[0].value
    assert len(table) == len(ids)
    assert set(table["RAG"]) == {"Green (no target date)"}
    assert table["days_overdue"].astype(int).eq(0).all()
    at.radio(key="action_view").set_value("overdue").run()
    assert not any("no target date" in str(w) for w in at.dataframe[0].value["RAG"])

    # the pack's Excel tracker says it beside the empty target date
    with pfd_engine.connect() as conn:
        pack = exports.build_pack(conn, None)
    book = openpyxl.load_workbook(io.BytesIO(exports.write_files(pack, ["xlsx"])["xlsx"]))
    sheet = book["Tracker"]
    rows = list(sheet.iter_rows(values_only=True))
    header = list(rows[0])
    rag, due, status = header.index("RAG"), header.index("Target date"), header.index("Status")
    marked = [r for r in rows[1:] if r[rag] and "(no target date)" in r[rag]]
    assert len(marked) == len(ids)
    assert all(r[due] is None for r in marked)
    assert {r[status] for r in marked} <= {"Not started", "In progress"}


def test_on_the_demo_every_page_listing_it_says_so(demo_engine, app_env):
    with demo_engine.connect() as conn:
        (action_id,) = conn.execute(text(NO_DATE)).scalars().all()
        review_id, number = conn.execute(
            text("select review_id, number from action where id = :a"), {"a": action_id}
        ).one()
    at = make_app(BOARD, page="app_pages/actions.py")
    at.radio(key="action_view").set_value("all").run()
    table = at.dataframe[0].value
    marked = table[table["RAG"].str.contains("no target date")]
    assert list(marked["number"]) == [number]
    assert marked.iloc[0]["RAG"] == "Green (no target date)"

    at.switch_page("app_pages/reviews.py").run()
    at.selectbox(key="review_detail").set_value(review_id).run()
    assert not at.exception
    rags = [
        v for frame in at.dataframe if "RAG" in frame.value for v in frame.value["RAG"].tolist()
    ]
    assert rags.count("Green (no target date)") == 1

    at = make_app(BOARD, page="app_pages/history.py", query_params={"action": str(action_id)})
    assert not at.exception
    assert any("No target date" in m.value for m in at.markdown)


def test_it_is_never_overdue_whatever_the_date(demo_engine):
    with demo_engine.connect() as conn:
        (action_id,) = conn.execute(text(NO_DATE)).scalars().all()
        pack = exports.build_pack(conn, None)
    assert action_id not in set(pack.red_items["action_id"])
    assert action_id not in set(pack.escalations["action_id"])
    assert pack.figures.no_due_date == 1
