"""The "Update workbooks" page (board office) and the workbook panel on My actions (a lead), driven
through AppTest: download, upload a filled copy, preview, confirm; refusals shown as text."""

from __future__ import annotations

import io
from datetime import date, datetime

import openpyxl
import pytest
from sqlalchemy import text

from monitoring import update_workbook as wb
from tests.conftest import make_app
from tests.test_update_pages import choose
from tests.test_update_workbook import (  # noqa: F401  (twin_engine: a fixture)
    ADMIN,
    POLICE_LEAD,
    SECRET,
    fill,
    pick,
    twin_engine,
)


@pytest.fixture(autouse=True)
def _key(monkeypatch):
    monkeypatch.setenv(wb.SECRET_SETTING, SECRET)


def scalar(engine, query, **params):
    with engine.connect() as conn:
        return conn.execute(text(query), params).scalar()


def button(at, label_start: str):
    found = [b for b in at.button if str(b.label).startswith(label_start)]
    assert found, [b.label for b in at.button]
    return found[0]


def test_office_downloads_uploads_previews_and_confirms(demo_engine, app_env):
    at = make_app(ADMIN, page="app_pages/update_workbooks.py")
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == "Update workbooks"
    agency = at.selectbox(key="workbook_agency")
    agency.set_value(scalar(demo_engine, "select id from agency where short_name = 'POL'")).run()
    button(at, "Make the workbook for Northbridge Police").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert [e for e in at.get("download_button") if "update-workbook-pol-" in e.proto.label]

    # The returned copy (made through the module, as the download is), filled in.
    from monitoring import services

    admin = services.Actor.from_user(
        dict(
            demo_engine.connect()
            .execute(text("select * from app_user where email = :e"), {"e": ADMIN})
            .mappings()
            .one()
        )
    )
    police = scalar(demo_engine, "select id from agency where short_name = 'POL'")
    a1 = pick(demo_engine, status=("in_progress", "not_started"))
    content = fill(
        wb.make_workbook(demo_engine, admin, police),
        {a1["id"]: {"status": "Completed", "note": "Returned by **post** <b>x</b>"}},
    )
    at.file_uploader[0].set_value(("police.xlsx", content, "application/octet-stream")).run()
    assert not at.exception, [e.value for e in at.exception]
    tiles = {m.label: m.value for m in at.metric}
    assert tiles["Will apply"] == "1"
    preview = at.dataframe[0].value
    assert list(preview.columns) == ["Row", "Review", "Action", "Outcome", "Changes", "Detail"]
    assert "Returned by **post** <b>x</b>" in " ".join(preview["Changes"])
    assert (
        scalar(demo_engine, "select status from action where id = :i", i=a1["id"]) == a1["status"]
    )
    button(at, "Apply 1 changed rows").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert scalar(demo_engine, "select status from action where id = :i", i=a1["id"]) == "completed"
    assert {m.label: m.value for m in at.metric}["Applied"] == "1"
    # Person's text never reached markdown.
    assert not any("Returned by" in m.value for m in at.markdown)


def test_office_page_refuses_a_file_not_ours_as_text(demo_engine, app_env):
    at = make_app(ADMIN, page="app_pages/update_workbooks.py")
    book = openpyxl.Workbook()
    out = io.BytesIO()
    book.save(out)
    at.file_uploader[0].set_value(("other.xlsx", out.getvalue(), "application/octet-stream")).run()
    assert not at.exception
    assert "nothing was written" in at.error[0].value
    assert any("not an update workbook made by this monitor" in t.value for t in at.text)


def test_office_page_says_how_to_set_the_key(demo_engine, app_env, monkeypatch, tmp_path):
    monkeypatch.delenv(wb.SECRET_SETTING)
    monkeypatch.setattr(wb.config, "PROJECT_ROOT", tmp_path)
    at = make_app(ADMIN, page="app_pages/update_workbooks.py")
    assert not at.exception
    assert "MONITORING_WORKBOOK_SECRET" in at.warning[0].value
    assert not at.file_uploader


def test_lead_reads_a_workbook_back_on_my_actions(demo_engine, app_env):
    at = make_app(POLICE_LEAD, page="app_pages/my_actions.py")
    assert not at.exception, [e.value for e in at.exception]
    assert any(e.label == "Update by workbook (Excel)" for e in at.expander)
    button(at, "Make the workbook for Northbridge Police").click().run()
    assert [e for e in at.get("download_button") if "update-workbook-pol-" in e.proto.label]
    from monitoring import services

    with demo_engine.connect() as conn:
        user = dict(
            conn.execute(text("select * from app_user where email = :e"), {"e": POLICE_LEAD})
            .mappings()
            .one()
        )
    lead = services.Actor.from_user(user)
    a1 = pick(demo_engine, status=("in_progress", "not_started"))
    content = fill(
        wb.make_workbook(demo_engine, lead, lead.agency_id),
        {a1["id"]: {"note": "Read back on My actions."}},
    )
    at.file_uploader[0].set_value(("mine.xlsx", content, "application/octet-stream")).run()
    button(at, "Apply 1 changed rows").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert (
        scalar(
            demo_engine,
            "select count(*) from action_update where action_id = :i and progress_note = :n",
            i=a1["id"],
            n="Read back on My actions.",
        )
        == 1
    )
    assert (
        scalar(
            demo_engine,
            "select count(*) from audit_log where field = 'via' and actor = :a",
            a=POLICE_LEAD,
        )
        == 1
    )
    # History names how the change came, in words.
    history = make_app(POLICE_LEAD, page="app_pages/history.py")
    choose(history, "history", a1["id"])
    assert not history.exception
    trail = next(d.value for d in history.dataframe if "Now" in d.value.columns)
    received = trail[trail["What"] == "Received as"]
    assert len(received) == 1
    assert (
        received["Now"]
        .iloc[0]
        .startswith(
            f"returned workbook from Northbridge Police, sent {wb.day_words(datetime.now(wb.config.LONDON).date())}, "
            f"read by {POLICE_LEAD}; workbook ref "
        )
    )


def test_round_trip_equals_the_same_updates_saved_in_the_update_form(
    demo_engine,
    app_env,
    twin_engine,  # noqa: F811  (the fixture imported above)
):
    """The issue's test, literally: the lead's updates typed into the update form on My actions
    (AppTest, on one copy of the demo) and the same updates returned in a workbook (on the other
    copy) leave the same records, versions and audit rows, row by row (ids and times aside); the
    workbook's writes carry their "via" audit rows in addition."""

    from tests.test_update_workbook import actor, agency_id, dump

    a1 = pick(demo_engine, status=("in_progress", "not_started"))
    a2 = pick(demo_engine, status=("in_progress", "not_started"), skip={a1["id"]})
    a3 = pick(
        demo_engine,
        status=("in_progress", "not_started"),
        pending=False,
        skip={a1["id"], a2["id"]},
    )
    a4 = pick(
        demo_engine, status=("in_progress", "not_started"), skip={a1["id"], a2["id"], a3["id"]}
    )
    new_due = date(2027, 3, 31)
    form = {
        a1["id"]: {"status": "completed", "note": "Audit of 40 referrals done."},
        a2["id"]: {"note": "Training booked.", "link": "https://example.org/plan.pdf"},
        a3["id"]: {"new_due": new_due, "due_reason": "Waiting for the new IT system."},
        a4["id"]: {"status": "not_implemented", "reason": "Replaced by the regional protocol."},
    }
    sheet = {
        a1["id"]: {"status": "Completed (agency reports)", "note": "Audit of 40 referrals done."},
        a2["id"]: {"note": "Training booked.", "evidence_url": "https://example.org/plan.pdf"},
        a3["id"]: {"new_due_on": "31/03/2027", "reason": "Waiting for the new IT system."},
        a4["id"]: {"status": "Not implemented", "reason": "Replaced by the regional protocol."},
    }
    lead = actor(twin_engine, POLICE_LEAD)
    content = fill(wb.make_workbook(twin_engine, lead, agency_id(twin_engine, "POL")), sheet)
    result = wb.read_back(twin_engine, lead, content, apply=True)
    assert {r.action_id: r.outcome for r in result.rows if r.action_id in sheet} == {
        i: "applied" for i in sheet
    }

    at = make_app(POLICE_LEAD, page="app_pages/my_actions.py")
    for action_id in [r.action_id for r in result.rows if r.action_id in form]:
        entries = form[action_id]
        choose(at, "my_actions", action_id)  # the work queue shows the chosen action's form
        if "status" in entries:
            at.selectbox(key=f"status_{action_id}_0").set_value(entries["status"])
        for name in ("note", "due_reason"):
            if name in entries:
                at.text_area(key=f"{name}_{action_id}_0").input(entries[name])
        for name in ("link", "reason"):
            if name in entries:
                at.text_input(key=f"{name}_{action_id}_0").input(entries[name])
        if "new_due" in entries:
            at.date_input(key=f"new_due_{action_id}_0").set_value(entries["new_due"])
        at.button(key=f"save_{action_id}_0").click()
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        assert not at.error, [e.value for e in at.error]

    through_form, through_workbook = dump(demo_engine), dump(twin_engine)
    for table in ("action", "action_update", "evidence", "due_date_change", "audit_log"):
        assert through_workbook[table] == through_form[table], table
    # As many writes, the form's sign-in (audited since issue 14) aside.
    sign_ins = scalar(
        demo_engine,
        "select count(*) from audit_log where entity = 'sign_in' and field = 'outcome'",
    )
    assert through_workbook["data_version"] + sign_ins == through_form["data_version"]
    assert through_form["via"] == []
    assert len(through_workbook["via"]) == 5  # 4 action writes and the target-date request


def test_office_page_shows_both_versions_of_a_row_in_conflict(demo_engine, app_env):
    from monitoring import services
    from tests.test_update_workbook import actor, agency_id

    admin = actor(demo_engine, ADMIN)
    a1 = pick(demo_engine, status=("in_progress", "not_started"))
    content = fill(
        wb.make_workbook(demo_engine, admin, agency_id(demo_engine, "POL")),
        {a1["id"]: {"status": "Not started", "note": "From the workbook."}},
    )
    services.save_action_update(
        demo_engine,
        actor(demo_engine, POLICE_LEAD),
        a1["id"],
        version=a1["version"],
        status="completed",
        note="Done in the app meanwhile.",
    )
    at = make_app(ADMIN, page="app_pages/update_workbooks.py")
    at.file_uploader[0].set_value(("late.xlsx", content, "application/octet-stream")).run()
    assert not at.exception, [e.value for e in at.exception]
    assert {m.label: m.value for m in at.metric}["Conflict"] == "1"
    [panel] = [e for e in at.expander if e.label.startswith("Conflicts: both versions")]
    said = " ".join(t.value for t in panel.text)
    assert "the workbook (version" in said and "From the workbook." in said
    assert "Now (version" in said and "Completed (agency reports)" in said
    since = panel.dataframe[0].value
    # In words, with UK times (case 09), as on every other page.
    assert list(since.columns) == ["When (UK time)", "Who", "What", "Was", "Now"]
    assert ("Status", "Completed (agency reports)") in set(
        zip(since["What"], since["Now"], strict=True)
    )
    assert not [b for b in at.button if str(b.label).startswith("Apply")]
