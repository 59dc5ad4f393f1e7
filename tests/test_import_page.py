"""The admin import page: upload, dry-run preview with problems by row and column, agencies to
create, then one import (AppTest with a real upload and a real database)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from monitoring import db
from monitoring.importer import choose_agencies, prepare
from monitoring.ui.text import md
from tests.conftest import REALDATA, make_app

PAGE = "app_pages/import_tracker.py"
STOCKTON = REALDATA / "trackers" / "stockton_lscb_review_progress_2017-12.csv"


def _count(engine, table, *where) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table).where(*where)).scalar()


@pytest.mark.usefixtures("shared_data")
def test_page_previews_then_imports_with_chosen_agencies(demo_engine, app_env):
    at = make_app("admin@northbridge.example", page=PAGE)
    assert not at.exception
    assert at.title[0].value == "Import a tracker"
    before = db.table_counts(demo_engine)
    at.file_uploader[0].set_value((STOCKTON.name, STOCKTON.read_bytes(), "text/csv"))
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    # The preview lists every warning by row and column and writes nothing.
    problems = at.dataframe[0].value
    assert {"level", "row", "column", "message"} <= set(problems.columns)
    date_rows = problems[problems["column"] == "Date"]["row"].tolist()
    assert 2 in date_rows
    assert db.table_counts(demo_engine) == before
    # "Chair / DCS" is not a known agency: offered with a checkbox, unticked by default.
    box = [c for c in at.checkbox if c.label == "Chair / DCS"]
    assert box and box[0].value is False
    box[0].check()
    next(t for t in at.text_input if t.label.startswith("Review title")).input("Stockton review")
    at.run()
    [b for b in at.button if b.label == "Import"][0].click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert _count(demo_engine, db.review, db.review.c.ref == STOCKTON.stem) == 1
    assert _count(demo_engine, db.agency, db.agency.c.name == "Chair / DCS") == 1
    review_id = select(db.review.c.id).where(db.review.c.ref == STOCKTON.stem).scalar_subquery()
    assert _count(demo_engine, db.action, db.action.c.review_id == review_id) == 5
    assert (
        _count(
            demo_engine,
            db.action,
            db.action.c.review_id == review_id,
            db.action.c.lead_agency_id.is_not(None),
        )
        == 5
    )


def test_page_shows_errors_for_a_file_that_is_not_a_spreadsheet(demo_engine, app_env):
    at = make_app("admin@northbridge.example", page=PAGE)
    before = db.table_counts(demo_engine)
    at.file_uploader[0].set_value(("notes.csv", b"\x00\x01\x02binary", "text/csv"))
    at.run()
    assert not at.exception
    assert any("error" in e.value for e in at.error)
    assert "not a spreadsheet" in at.dataframe[0].value["message"][0]
    assert not [b for b in at.button if b.label == "Import"]
    assert db.table_counts(demo_engine) == before


def test_prepare_applies_mapping_overrides_and_agency_choices():
    data = b"Item,What we will do,Owner,By\n1,Train staff,Police,31/03/2026\n"
    plan, header = prepare(
        data, "plan.csv", overrides={"action": "What we will do", "due_on": "By"}
    )
    assert header == ["Item", "What we will do", "Owner", "By"]
    assert not plan.errors
    (action,) = plan.actions
    assert (action.description, action.due_on, action.lead_name) == (
        "Train staff",
        "2026-03-31",
        "Police",
    )
    choose_agencies(plan, ["Acme Care LIMITED"])
    assert plan.create_agencies == {"acme care ltd"}


def test_only_admins_see_the_import_page(demo_engine, app_env):
    at = make_app("board@northbridge.example", page=PAGE)  # refused: sent to the Overview
    assert not at.exception
    assert "Import a tracker" not in [t.value for t in at.title] and not at.file_uploader
    assert "That page is not open to board members: Import a tracker." in [i.value for i in at.info]


@pytest.mark.usefixtures("shared_data")
def test_page_warns_of_recipients_listed_twice_before_and_after_the_import(engine, app_env):
    from monitoring import services
    from monitoring.importer.presets import UNDATED_REPLIES
    from tests.test_import_pfd import PFD, _repeated_recipients, _rows_text

    services.create_user(
        engine, services.Actor.system("test"), "admin@council.example", "Admin", "admin"
    )
    repeated = _repeated_recipients()
    at = make_app("admin@council.example", page=PAGE)
    at.file_uploader[0].set_value((PFD.name, PFD.read_bytes(), "text/csv"))
    at.run()
    at.selectbox(key="import_layout").set_value("pfd").run()
    assert not at.exception, [e.value for e in at.exception]
    problems = at.dataframe[0]
    notice = problems.value[problems.value["message"] == UNDATED_REPLIES]
    assert len(notice) == 1 and notice["row"].isna().all()  # a notice about the whole file
    assert problems.proto.placeholder == "—"  # shown as a dash, not "None"
    (preview,) = [w.value for w in at.warning if "listed more than once" in w.value]
    assert preview.startswith(f"{len(repeated)} recipient(s)")
    for (ref, _recipient), rows in repeated.items():
        assert f"report {ref} lists recipient" in preview and _rows_text(rows) in preview
    [b for b in at.button if b.label == "Import"][0].click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    (report,) = [w.value for w in at.warning if w.value.startswith("Imported as separate")]
    for (ref, _recipient), rows in repeated.items():
        # shown as text: the message's Markdown characters are escaped (monitoring.ui.text.md)
        assert md(f"row {rows[1]}, column 'sent_to': report {ref}") in report
        assert md(_rows_text(rows)) in report
    assert _count(engine, db.action) == sum(1 for _ in PFD.open(encoding="utf-8")) - 1


@pytest.mark.usefixtures("shared_data")
def test_page_reports_section_rows_and_approximate_dates_of_the_cases(engine, app_env):
    """Cases 01-merged-section-rows, 02-year-less-dates and 06-sheet-dimension-bomb on the page."""
    from monitoring import services
    from tests.conftest import CASES

    services.create_user(
        engine, services.Actor.system("test"), "admin@council.example", "Admin", "admin"
    )
    at = make_app("admin@council.example", page=PAGE)
    banners = CASES / "01-merged-section-rows" / "tracker.xlsx"
    at.file_uploader[0].set_value((banners.name, banners.read_bytes(), "application/octet-stream"))
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert any(i.value.startswith("2 section row(s) skipped") for i in at.info)
    assert at.metric[1].value == "3"  # actions to create
    years = CASES / "02-year-less-dates" / "tracker.csv"
    at.file_uploader[0].set_value((years.name, years.read_bytes(), "text/csv"))
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert any(i.value.startswith("2 date(s) are approximate") for i in at.info)
    bomb = CASES / "06-sheet-dimension-bomb" / "tracker.xlsx"
    at.file_uploader[0].set_value((bomb.name, bomb.read_bytes(), "application/octet-stream"))
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    problems = at.dataframe[0].value
    assert problems["message"].str.contains("XFD1048576").any()
    assert at.metric[1].value == "1"


def test_page_asks_for_a_year_and_reads_a_large_file_with_progress(engine, app_env):
    from monitoring import services

    services.create_user(
        engine, services.Actor.system("test"), "admin@council.example", "Admin", "admin"
    )
    rows = "".join(f"{i},Action {i},Police,15 Oct\n" for i in range(1, 12_001))
    data = ("Ref,Action,Lead,Due\n" + rows).encode()
    at = make_app("admin@council.example", page=PAGE)
    at.file_uploader[0].set_value(("big.csv", data, "text/csv"))
    at.run(timeout=300)
    assert not at.exception, [e.value for e in at.exception]
    assert at.error and "Year for dates written without one" in at.error[0].value
    messages = at.dataframe[0].value["message"]
    assert messages.str.contains("'15 Oct' has no year").sum() == 12_000
    at.number_input[0].set_value(2019)
    [t for t in at.text_input if t.label.startswith("Review title")][0].set_value("Big plan")
    at.run(timeout=300)
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error
    assert at.metric[0].value == "12000"  # rows read (past the 10,000 of a progress step)
    [b for b in at.button if b.label == "Import"][0].click()
    at.run(timeout=300)
    assert not at.exception, [e.value for e in at.exception]
    with engine.connect() as conn:
        dues = conn.execute(select(db.action.c.due_on).distinct()).scalars().all()
    assert dues == ["2019-10-15"]
    assert _count(engine, db.action) == 12_000
