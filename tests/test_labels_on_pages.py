"""Assurance and History show words, not stored codes or "None": status, assurance and decision
codes in the words of rules.STATUS_LABELS and the public register, dates as d MMM yyyy, and "—"
for a missing value (a new user saw ``in_progress``, ``not_assessed`` and ``None``)."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
from sqlalchemy import text

from monitoring import db, rules, services
from monitoring.exports.public import ASSURANCE_LABELS
from monitoring.ui import widgets
from tests.conftest import ANCHOR, make_app
from tests.test_update_pages import POLICE, actor, sql

BOARD = "board@northbridge.example"
CODES = (
    set(db.ACTION_STATUSES)
    | set(db.ASSURANCE_STATUSES)
    | set(db.RESPONSE_STATUSES)
    | {"pending", "approved", "rejected"}
)


def cells(frame: pd.DataFrame) -> list:
    return [v for column in frame.columns for v in frame[column].tolist()]


def assert_no_codes_or_none(frames):
    for frame in frames:
        for value in cells(frame):
            assert value is not None and not (isinstance(value, float) and pd.isna(value))
            assert str(value) not in {"None", "nan", "NaN", "<NA>"}, frame
            assert str(value) not in CODES, (value, frame)


def test_history_shows_words_dates_and_dashes(demo_engine, app_env):
    lead, board = actor(demo_engine, POLICE), actor(demo_engine, BOARD)
    with demo_engine.connect() as conn:
        action_id, review_id, rec_id, old_due = conn.execute(
            text(
                "select a.id, a.review_id, a.recommendation_id, a.due_on from action a"
                " join agency g on g.id = a.lead_agency_id where g.short_name = 'POL'"
                " and a.status = 'in_progress' and a.due_on is not null order by a.id limit 1"
            )
        ).one()

    def version():
        return sql(demo_engine, "select version from action where id = :a", a=action_id)

    new_due = ANCHOR + timedelta(days=120)
    change = services.request_due_date_change(
        demo_engine, lead, action_id, new_due, "Waiting for the new system", version=version()
    )
    services.decide_due_date_change(demo_engine, board, change["id"], True)
    services.save_action_update(
        demo_engine, lead, action_id, version=version(), status="completed", note="Done"
    )
    rec_version = sql(demo_engine, "select version from recommendation where id = :r", r=rec_id)
    services.assure_recommendation(
        demo_engine, board, rec_id, "ready_for_assessment", version=rec_version, note="Ready"
    )

    at = make_app(BOARD, page="app_pages/history.py")
    table = next(d for d in at.dataframe if d.key == "history_table_").value
    position = [int(i) for i in table["id"]].index(action_id)
    at.session_state["history_table_"] = {"selection": {"rows": [position]}}
    at.run()
    assert not at.exception
    trail, progress, changes = (d.value for d in at.dataframe if d.key != "history_table_")
    assert len(trail) == sql(
        demo_engine,
        "select count(*) from audit_log where ((entity = 'action' and entity_id = :a) or"
        " (entity = 'due_date_change' and entity_id = :c))"
        " and field not in ('version', 'due_date_changes')",  # bookkeeping, not shown
        a=action_id,
        c=change["id"],
    )
    status = trail[(trail["Record"] == "Action") & (trail["What"] == "Status")].iloc[0]
    assert (status["Was"], status["Now"]) == (
        rules.STATUS_LABELS["in_progress"],
        rules.STATUS_LABELS["completed"],
    )
    moved = trail[(trail["Record"] == "Action") & (trail["What"] == "Target date")].iloc[0]
    assert (moved["Was"], moved["Now"]) == (widgets.uk_date(old_due), widgets.uk_date(new_due))
    decision = trail[trail["What"] == "Decision"]
    assert set(decision["Now"]) == {"Waiting for a decision", "Approved"}
    # a value that did not exist before is a dash, not "None"
    assert set(trail[trail["What"] == "Completed on"]["Was"]) == {widgets.MISSING}
    assert list(changes["Decision"]) == ["Approved"]
    assert list(changes["To"]) == [widgets.uk_date(new_due)]
    assert rules.STATUS_LABELS["completed"] in set(progress["status"])
    # the note written when the date moved says the dates as the board reads them
    assert (
        f"Target date moved from {widgets.uk_date(old_due)} to {widgets.uk_date(new_due)}: "
        "Waiting for the new system" in set(progress["progress_note"])
    )
    assert_no_codes_or_none([trail, changes, progress.drop(columns="evidence_url")])
    header = next(m.value for m in at.markdown if "**Status**" in m.value)
    assert f"**Status** {rules.STATUS_LABELS['completed']}" in header
    assert "_" not in header.split("**Status**")[1] and "None" not in header

    # the recommendation's own trail: assurance codes in words
    at.selectbox(key="history_pick_review").set_value(review_id).run()
    at.selectbox(key="history_pick_rec").set_value(rec_id).run()
    at.toggle(key="history_show_rec").set_value(True).run()
    assert not at.exception
    rec_trail = next(d.value for d in at.dataframe if "Now" in d.value.columns)
    row = rec_trail[rec_trail["What"] == "Assurance"].iloc[0]
    assert (row["Was"], row["Now"]) == (
        ASSURANCE_LABELS["not_assessed"],
        ASSURANCE_LABELS["ready_for_assessment"],
    )
    assert_no_codes_or_none([rec_trail])


def test_assurance_page_shows_words_not_codes(demo_engine, app_env):
    at = make_app(BOARD, page="app_pages/assurance.py")
    assert not at.exception
    picker = next(s for s in at.selectbox if s.label == "Assurance status")
    assert list(picker.options) == [ASSURANCE_LABELS[c] for c in db.ASSURANCE_STATUSES]
    assert_no_codes_or_none(
        [d.value.drop(columns=["evidence_url", "id"], errors="ignore") for d in at.dataframe]
    )
    assert not any("None" in e.label for e in at.expander)


def test_code_words_and_missing_values():
    assert widgets.code_word("status", "in_progress") == rules.STATUS_LABELS["in_progress"]
    assert widgets.code_word("assurance_status", "not_assessed") == "Not yet assessed"
    assert widgets.code_word("decision", "pending") == "Waiting for a decision"
    assert widgets.code_word("status", None) == widgets.MISSING
    assert widgets.text_or_dash(float("nan")) == widgets.MISSING
    assert widgets.text_or_dash(pd.NA) == widgets.MISSING
    # UK time (case 09): 09:05 UTC is 10:05 British Summer Time, 09:05 GMT in winter
    assert widgets.uk_date_time("2026-06-30T09:05:00+00:00") == "30 Jun 2026 10:05"
    assert widgets.uk_date_time("2026-12-30T09:05:00+00:00") == "30 Dec 2026 09:05"
    assert widgets.uk_date_time(None) == widgets.MISSING
