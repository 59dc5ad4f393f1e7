"""The meeting pack: every file opened with a real reader shows the figures independent SQL gives.

The pack is for the demo's latest meeting (held three months before the anchor), so "today" is the
meeting date, the records are read as they stood on it (independent SQL: ``tests.test_asat.STATE``)
and the baseline is the meeting before it.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections import Counter
from datetime import date, timedelta

import openpyxl
import pandas as pd
import pytest
from pptx import Presentation
from pypdf import PdfReader
from sqlalchemy import text

from monitoring import asat, cli, config, exports, queries, services
from monitoring.exports import safe
from monitoring.exports.images import BrowserNotFound, find_browser
from tests.conftest import ANCHOR
from tests.test_asat import STATE, params

OPEN = "status in ('not_started','in_progress')"
NOTE = '=HYPERLINK("http://x","y")'


def sql(engine, query, **params):
    with engine.connect() as conn:
        return conn.execute(text(query), params).all()


def scalar(engine, query, **params):
    with engine.connect() as conn:
        return conn.execute(text(query), params).scalar()


def meeting_dates(engine) -> tuple[date, date]:
    """(latest meeting, its baseline) from the meeting table."""
    row = sql(
        engine,
        "select m.held_on, b.held_on from meeting m join meeting b on b.id = m.baseline_meeting_id"
        " order by m.held_on desc",
    )[0]
    return date.fromisoformat(row[0]), date.fromisoformat(row[1])


def expected(engine) -> dict:
    """The figures every file must show, by independent SQL over the records as they stood on
    the meeting date (``s``: each action as at the date, :data:`tests.test_asat.STATE`)."""
    held_on, baseline = meeting_dates(engine)
    at = params(held_on)
    start, end = (baseline + timedelta(days=1)).isoformat(), at["end"]
    overdue_agencies = [
        r[0]
        for r in sql(
            engine,
            STATE + "select g.name from s join agency g on g.id = s.lead_agency_id"
            f" where s.{OPEN} and s.due_on < :d group by g.name",
            **at,
        )
    ]
    return {
        "held_on": held_on,
        "baseline": baseline,
        "overdue": scalar(
            engine, STATE + f"select count(*) from s where {OPEN} and due_on < :d", **at
        ),
        "open": scalar(engine, STATE + f"select count(*) from s where {OPEN}", **at),
        "actions": scalar(engine, STATE + "select count(*) from s", **at),
        "agencies": overdue_agencies,
        "titles": [
            r[0]
            for r in sql(
                engine, "select title from review where created_at < :end order by ref", **at
            )
        ],
        "moved": scalar(
            engine,
            "select count(*) from due_date_change where decision = 'approved'"
            " and decided_at >= :s and decided_at < :e",
            s=start,
            e=end,
        ),
        "moved_actions": {
            r[0]
            for r in sql(
                engine,
                "select distinct action_id from due_date_change where decision = 'approved'"
                " and decided_at >= :s and decided_at < :e",
                s=start,
                e=end,
            )
        },
        "completed": scalar(
            engine,
            "select count(*) from action_update where status = 'completed'"
            " and created_at >= :s and created_at < :e",
            s=start,
            e=end,
        ),
        "actions_by_review": dict(
            sql(
                engine,
                STATE + "select r.ref, count(s.id) from review r left join s on s.review_id = r.id"
                " where r.created_at < :end group by r.ref",
                **at,
            )
        ),
    }


def build(engine, held_on):
    with engine.connect() as conn:
        return exports.build_pack(conn, held_on)


def test_neutralise_triggers():
    for risky in ("=1+1", "+44 20", "-2", "@SUM(A1)", "\tx", "\rx", NOTE):
        assert safe.neutralise(risky) == "'" + risky
    for plain in ("Police", "", " =not first", "a=b"):
        assert safe.neutralise(plain) == plain
    for other in (-5, 3.2, None, date(2026, 1, 1)):
        assert safe.neutralise(other) == other


def test_pack_figures_equal_the_dashboard_queries(demo_engine):
    exp = expected(demo_engine)
    pack = build(demo_engine, exp["held_on"])
    assert pack.today == exp["held_on"]
    assert pack.baseline.held_on == exp["baseline"]
    assert pack.figures.overdue == exp["overdue"] > 0
    assert set(pack.overdue_by_agency["agency"]) == set(exp["agencies"])
    assert len(pack.red_items) == exp["overdue"]  # no override in the demo: Red = overdue
    assert len(pack.date_moves) == exp["moved"] > 0
    assert (pack.changes["kind"] == "newly_completed").sum() == exp["completed"] > 0
    assert len(pack.tracker) == exp["actions"]
    at = params(exp["held_on"])
    national = sql(
        demo_engine,
        "select number from recommendation where national_dependency and created_at < :end"
        " order by review_id, id",
        **at,
    )
    assert list(pack.national["number"]) == [r[0] for r in national]
    ready = scalar(
        demo_engine, STATE + "select count(*) from s where status = 'completed'", **at
    ) + scalar(
        demo_engine,
        "select count(*) from recommendation where assurance_status = 'ready_for_assessment'"
        " and created_at < :end",
        **at,
    )
    assert len(pack.for_assurance) == ready


def test_unknown_meeting_lists_the_recorded_ones(demo_engine):
    with demo_engine.connect() as conn, pytest.raises(exports.MeetingNotFound) as err:
        exports.build_pack(conn, date(2026, 3, 31))
    held_on, _ = meeting_dates(demo_engine)
    assert held_on.isoformat() in str(err.value)


def test_escalated_actions_are_listed_for_the_board(demo_engine):
    held_on, _ = meeting_dates(demo_engine)
    long_overdue = sql(
        demo_engine,
        f"select id, due_on from action where {OPEN} and due_on < :cut order by id",
        cut=(held_on - timedelta(days=90)).isoformat(),
    )
    assert len(long_overdue) >= 2, "the demo has actions 90+ days overdue at the meeting"
    action_id, due_on = long_overdue[0]
    admin = services.Actor("admin@northbridge.example", "admin")
    services.record_escalations(
        demo_engine,
        admin,
        [
            {
                "action_id": action_id,
                "level": 3,
                "level_name": "listed for the board",
                "days_overdue": (held_on - date.fromisoformat(due_on)).days,
                "due_on": due_on,
            }
        ],
        today=held_on,
    )
    # an escalation recorded before the action's current target date no longer counts (an
    # approved later date restarts the reminders' ladder)
    other_id, other_due = long_overdue[1]
    before = date.fromisoformat(other_due) - timedelta(days=1)
    services.record_escalations(
        demo_engine,
        admin,
        [
            {
                "action_id": other_id,
                "level": 3,
                "level_name": "listed for the board",
                "days_overdue": 90,
                "due_on": other_due,
            }
        ],
        today=before,
    )
    assert scalar(demo_engine, "select count(*) from escalation") == 2
    pack = build(demo_engine, held_on)
    # escalation is the ladder rule when read (issue 19), not the rows ``remind`` recorded: every
    # action 90 or more days overdue as the records stood on the meeting date is listed
    ruled = {
        r[0]
        for r in sql(
            demo_engine,
            STATE + f"select id from s where {OPEN} and due_on <= :cut",
            cut=(held_on - timedelta(days=90)).isoformat(),
            **params(held_on),
        )
    }
    assert action_id in ruled and len(ruled) >= 2
    assert set(pack.escalations["action_id"]) == ruled
    row = pack.escalations.set_index("action_id").loc[action_id]
    assert row["days_overdue"] == (held_on - date.fromisoformat(due_on)).days
    assert (pack.decisions["decision"].str.startswith("Escalated")).sum() == len(ruled)


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def pptx_texts(data: bytes) -> list[str]:
    """Every slide's text (text frames and table cells), one string per slide."""
    slides = []
    for slide in Presentation(io.BytesIO(data)).slides:
        parts = []
        for shape in slide.shapes:
            if shape.has_text_frame:
                parts.append(shape.text_frame.text)
            if shape.has_table:
                for row in shape.table.rows:
                    parts.append(" | ".join(cell.text for cell in row.cells))
        slides.append("\n".join(parts))
    return slides


def test_pdf_and_slides_show_the_sql_figures(demo_engine):
    exp = expected(demo_engine)
    pack = build(demo_engine, exp["held_on"])
    files = exports.write_files(pack, ["pdf", "pptx"])

    reader = PdfReader(io.BytesIO(files["pdf"]))
    assert reader.metadata.title == pack.title
    text_ = pdf_text(files["pdf"])
    assert re.search(rf"Overdue actions {exp['overdue']}\b", text_)
    for name in exp["agencies"]:
        assert name in text_.replace("\n", " ")
    for title in exp["titles"]:
        assert title in text_.replace("\n", " ")
    assert re.search(rf"Target date moved {exp['moved']}\b", text_)
    assert re.search(rf"Newly completed {exp['completed']}\b", text_)
    assert "“" in text_ or "—" in text_  # the TrueType font printed non-Latin-1 characters
    images = sum(len(page.images) for page in reader.pages)
    assert images == 2  # both charts, drawn by kaleido

    slides = pptx_texts(files["pptx"])
    stood = f"figures as the records stood on {exp['held_on'].day} {exp['held_on']:%b %Y}"
    assert stood in slides[0]
    deck = Presentation(io.BytesIO(files["pptx"]))
    titles = [s.shapes.title.text for s in deck.slides]
    assert titles[1:5] == [
        "Summary",
        "Exception report: overdue actions",
        "Exception report: target dates moved",
        "Exception report: proposed for closure or assurance",
    ]
    assert "Changes since the last meeting" in titles
    assert "Progress per review" in titles
    summary = slides[1]
    assert f"Overdue actions | {exp['overdue']} |" in summary
    overdue = slides[2]
    for name in exp["agencies"]:
        assert name in overdue
    progress = slides[titles.index("Progress per review")]
    for title in exp["titles"]:
        assert title in progress
    changes = slides[titles.index("Changes since the last meeting")]
    assert f"Target date moved | {exp['moved']}" in changes
    pictures = [
        sh
        for sh in deck.slides[1].shapes
        if sh.shape_type == 13  # MSO_SHAPE_TYPE.PICTURE
    ]
    assert len(pictures) == 2
    assert all(p._element.nvPicPr.cNvPr.get("descr") for p in pictures)


def write_note(engine) -> int:
    """Record the formula-like progress note on an action through the services; its id."""
    action_id = scalar(engine, f"select min(id) from action where {OPEN}")
    admin = services.Actor("admin@northbridge.example", "admin")
    services.add_progress_update(engine, admin, action_id, NOTE, version=None)
    return action_id


def test_excel_tracker(demo_engine, tmp_path, monkeypatch):
    note_action = write_note(demo_engine)
    exp = expected(demo_engine)
    out = tmp_path / "tracker.xlsx"
    monkeypatch.setenv("MONITORING_DATABASE_URL", str(demo_engine.url.render_as_string(False)))
    assert (
        cli.main(["export", "xlsx", "--meeting", exp["held_on"].isoformat(), "--out", str(out)])
        == 0
    )

    wb = openpyxl.load_workbook(out)
    summary = wb["Summary"]
    figures = {r[0]: r[1] for r in summary.iter_rows(min_row=2, values_only=True)}
    assert figures["Overdue actions"] == exp["overdue"]
    assert figures["Open actions"] == exp["open"]
    assert summary.freeze_panes == "A2" and summary.auto_filter.ref.startswith("A1:")
    agencies = {r[0]: r[1] for r in wb["Overdue by agency"].iter_rows(min_row=2, values_only=True)}
    assert set(agencies) == set(exp["agencies"])
    assert sum(agencies.values()) == exp["overdue"]
    reviews = [r[1] for r in wb["Reviews"].iter_rows(min_row=2, values_only=True)]
    assert sorted(reviews) == sorted(exp["titles"])
    kinds = [r[3] for r in wb["Changes since last meeting"].iter_rows(min_row=2, values_only=True)]
    assert kinds.count("Target date moved") == exp["moved"]

    # a handful of sheets, not one per review; every action in the Tracker, with its review
    assert wb.sheetnames == [
        "Summary",
        "Tracker",
        "Overdue by agency",
        "Decisions",
        "Changes since last meeting",
        "Reviews",
        "Agencies",
        "Measures",
    ]
    ws = wb["Tracker"]
    header = [c.value for c in ws[1]]
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == f"A1:{ws.cell(1, len(header)).column_letter}{ws.max_row}"
    rows = list(ws.iter_rows(min_row=2))
    assert len(rows) == exp["actions"]
    by_review = Counter(row[header.index("Review")].value for row in rows)
    assert dict(by_review) == exp["actions_by_review"]
    red_rows = 0
    rag_col, due_col = header.index("RAG"), header.index("Target date")
    for row in rows:
        rag = row[rag_col]
        # an open action with no target date says so beside its RAG word (issue 19)
        word = rag.value.removesuffix(" (no target date)")
        assert (word != rag.value) == (
            row[due_col].value is None
            and row[header.index("Status")].value in ("Not started", "In progress")
        )
        assert word in ("Red", "Amber", "Green", "Blue", "Grey")
        assert rag.fill.fgColor.rgb.endswith(
            {
                "Red": "B2182B",
                "Amber": "8A4B00",
                "Green": "1B6B3A",
                "Blue": "1F4E96",
                "Grey": "595959",
            }[word]
        )
        red_rows += word == "Red"
        if row[due_col].value is not None:
            assert row[due_col].is_date and row[due_col].number_format == "d mmm yyyy"
    assert red_rows == exp["overdue"]

    note_ref = sql(
        demo_engine,
        "select r.ref, a.number from action a join review r on r.id = a.review_id where a.id = :i",
        i=note_action,
    )[0]

    def note_cell(workbook):
        ws = workbook["Tracker"]
        header = [c.value for c in ws[1]]
        row = next(
            r
            for r in ws.iter_rows(min_row=2)
            if (r[header.index("Review")].value, r[header.index("Action")].value) == note_ref
        )
        return row[header.index("Latest progress note")]

    # the note was written after the meeting: its pack shows the note of the meeting's date
    assert note_cell(wb).value != NOTE
    now = tmp_path / "tracker-now.xlsx"
    monkeypatch.setenv("MONITORING_TODAY", ANCHOR.isoformat())
    assert cli.main(["export", "xlsx", "--out", str(now)]) == 0
    cell = note_cell(openpyxl.load_workbook(now))
    assert cell.data_type == "s" and cell.value == NOTE
    for path in (out, now):
        with zipfile.ZipFile(path) as z:
            assert not any(
                "<f>" in z.read(n).decode() for n in z.namelist() if n.startswith("xl/worksheets/")
            )


def test_csv_tracker(demo_engine, tmp_path, monkeypatch):
    note_action = write_note(demo_engine)
    exp = expected(demo_engine)
    out = tmp_path / "tracker.csv"
    monkeypatch.setenv("MONITORING_DATABASE_URL", str(demo_engine.url.render_as_string(False)))
    assert (
        cli.main(["export", "csv", "--meeting", exp["held_on"].isoformat(), "--out", str(out)]) == 0
    )

    rows = list(csv.DictReader(out.read_text(encoding="utf-8-sig").splitlines(keepends=True)))
    assert len(rows) == exp["actions"]
    assert sum(r["Overdue"] == "Yes" for r in rows) == exp["overdue"]
    assert {r["Lead agency"] for r in rows if r["Overdue"] == "Yes"} == set(exp["agencies"])
    assert {r["Review title"] for r in rows} == set(exp["titles"])
    ids = dict(
        sql(
            demo_engine,
            "select r.ref || ' ' || a.number, a.id from action a join review r on r.id = a.review_id",
        )
    )
    moved = {
        ids[f"{r['Review']} {r['Action']}"]
        for r in rows
        if "Target date moved" in r["Changed since last meeting"]
    }
    assert moved == exp["moved_actions"]
    noted = [r for r in rows if ids[f"{r['Review']} {r['Action']}"] == note_action]
    assert noted[0]["Latest progress note"] != "'" + NOTE  # written after the meeting
    now = tmp_path / "tracker-now.csv"
    monkeypatch.setenv("MONITORING_TODAY", ANCHOR.isoformat())
    assert cli.main(["export", "csv", "--out", str(now)]) == 0
    rows_now = list(csv.DictReader(now.read_text(encoding="utf-8-sig").splitlines(keepends=True)))
    noted = [r for r in rows_now if ids[f"{r['Review']} {r['Action']}"] == note_action]
    assert noted[0]["Latest progress note"] == "'" + NOTE
    for r in rows + rows_now:
        for value in r.values():
            assert not value.startswith(safe.FORMULA_TRIGGERS), value
            assert value.lower() != "nan"


def test_export_errors(demo_engine, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MONITORING_DATABASE_URL", str(demo_engine.url.render_as_string(False)))
    out = tmp_path / "pack.pdf"
    assert cli.main(["export", "pdf", "--meeting", "2026-03-31", "--out", str(out)]) == 1
    assert "No meeting is recorded on 2026-03-31" in capsys.readouterr().err
    assert cli.main(["export", "pdf", "--out", str(tmp_path / "pack.xlsx")]) == 2
    assert "--out must end in .pdf" in capsys.readouterr().err
    monkeypatch.setenv("BROWSER_PATH", str(tmp_path / "no-such-chromium"))
    held_on, _ = meeting_dates(demo_engine)
    assert (
        cli.main(
            [
                "export",
                "pptx",
                "--meeting",
                held_on.isoformat(),
                "--out",
                str(out.with_suffix(".pptx")),
            ]
        )
        == 1
    )
    err = capsys.readouterr().err
    assert "no-such-chromium" in err and "make browser" in err
    assert not out.with_suffix(".pptx").exists()
    with pytest.raises(BrowserNotFound):
        find_browser()
    pack = build(demo_engine, held_on)
    files, problems = exports.prepare_files(pack)
    assert set(files) == {"xlsx", "csv"} and "Chromium" in problems[0]


def test_without_a_meeting_today_is_the_setting_and_the_baseline_the_last_meeting(
    demo_engine, monkeypatch
):
    monkeypatch.setenv("MONITORING_TODAY", ANCHOR.isoformat())
    pack = build(demo_engine, None)
    latest, _ = meeting_dates(demo_engine)
    assert pack.meeting is None and pack.today == ANCHOR
    assert pack.baseline.held_on == latest
    assert pack.figures.overdue == scalar(
        demo_engine,
        f"select count(*) from action where {OPEN} and due_on < :t",
        t=ANCHOR.isoformat(),
    )
    start = (latest + timedelta(days=1)).isoformat()
    moved = scalar(
        demo_engine,
        "select count(*) from due_date_change where decision = 'approved' and decided_at >= :s",
        s=start,
    )
    assert len(pack.date_moves) == moved


@pytest.mark.parametrize(
    "names, expected",
    [
        (["NSCP-SCR-K"], ["NSCP-SCR-K"]),
        (["A/B:C*D?[E]"], ["A-B-C-D--E-"]),
        (["x" * 40, "x" * 40], ["x" * 31, "x" * 27 + " (2)"]),
        (["Summary", "summary"], ["Summary", "summary (2)"]),
    ],
)
def test_sheet_titles_are_valid_and_unique(names, expected):
    from monitoring.exports.workbook import sheet_title

    taken: set[str] = set()
    titles = [sheet_title(name, taken) for name in names]
    assert titles == expected
    assert all(len(t) <= 31 for t in titles)


def test_browser_path_names_the_executable(monkeypatch, tmp_path):
    chromium = find_browser()
    monkeypatch.setenv("BROWSER_PATH", str(chromium))
    assert find_browser() == chromium
    not_executable = tmp_path / "chromium"
    not_executable.write_text("")
    monkeypatch.setenv("BROWSER_PATH", str(not_executable))
    with pytest.raises(BrowserNotFound, match="is not an executable"):
        find_browser()
    monkeypatch.delenv("BROWSER_PATH")
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(BrowserNotFound, match="No Chrome or Chromium found on PATH"):
        find_browser()


def test_command_formats_are_the_package_formats():
    from monitoring.exports import command

    assert command.FORMATS == exports.FORMATS


def test_csv_tracker_when_the_changes_include_a_new_recommendation(
    demo_engine, tmp_path, monkeypatch
):
    """A new recommendation's change row has no action id (pandas NA); the export must not crash.

    Found by a new user: `export csv` for the current period failed with "boolean value of NA is
    ambiguous" because the demo's newest recommendation fell after the last meeting.
    """
    last_meeting = scalar(demo_engine, "select max(held_on) from meeting")
    new_recs = scalar(
        demo_engine,
        "select count(*) from recommendation where created_at > :m",
        m=last_meeting,
    )
    assert new_recs >= 1  # the situation that crashed
    out = tmp_path / "tracker.csv"
    monkeypatch.setenv("MONITORING_DATABASE_URL", str(demo_engine.url.render_as_string(False)))
    monkeypatch.setenv("MONITORING_TODAY", ANCHOR.isoformat())
    assert cli.main(["export", "csv", "--out", str(out)]) == 0
    rows = list(csv.DictReader(out.read_text(encoding="utf-8-sig").splitlines(keepends=True)))
    assert len(rows) == scalar(demo_engine, "select count(*) from action")


# --- a past meeting's pack is the records as they stood on its date ----------------------------

WORD = "Quokkabridge"
"""A word in a progress note written after the meeting (in no demo text)."""


def later_writes(engine, pack, folder) -> dict:
    """Writes through the services, all dated now (after the pack's meeting): complete an action
    overdue at the meeting, approve a new target date for another, add a progress note with
    :data:`WORD`, assure a recommendation ready for assurance, and import a new action (a tracker
    file written in ``folder``).

    :returns: the ids written: ``completed, moved, noted, assured`` and ``added`` (action ids).
    """
    from monitoring.importer import build_plan, read_path

    admin = services.Actor("admin@northbridge.example", "admin")
    board = services.Actor("board@northbridge.example", "board")
    open_now = {r[0] for r in sql(engine, f"select id from action where {OPEN}")}
    red = [int(i) for i in pack.red_items["action_id"] if int(i) in open_now]
    assert len(red) >= 3, "the demo has actions overdue at the meeting and still open"
    completed, moved, noted = red[0], red[1], red[2]
    services.mark_completed(engine, admin, completed, version=None, note="Done at last.")
    change = services.request_due_date_change(
        engine,
        admin,
        moved,
        ANCHOR + timedelta(days=90),
        "Waiting for the new system",
        version=None,
    )
    services.decide_due_date_change(engine, board, change["id"], True)
    services.add_progress_update(engine, admin, noted, f"{WORD} pilot started.", version=None)
    assured = sql(
        engine,
        "select id from recommendation where assurance_status = 'ready_for_assessment'"
        " and created_at < :end order by id",
        **params(pack.today),
    )[0][0]
    services.assure_recommendation(engine, board, assured, "assured", version=None)
    ref, agency_name = sql(
        engine,
        "select r.ref, g.name from review r, agency g where r.created_at < :end"
        " order by r.ref, g.id limit 1",
        **params(pack.today),
    )[0]
    path = folder / "new-action.csv"
    path.write_text(
        "Review,Rec no,Action no,Action,Lead agency,Target date\n"
        f"{ref},1,1.99,{WORD} audit of case files,{agency_name},"
        f"{(pack.today - timedelta(days=30)).isoformat()}\n",
        encoding="utf-8",
    )
    before = set(r[0] for r in sql(engine, "select id from action"))
    services.import_tracker(engine, admin, build_plan(read_path(path)))
    added = set(r[0] for r in sql(engine, "select id from action")) - before
    assert len(added) == 1
    return {
        "completed": completed,
        "moved": moved,
        "noted": noted,
        "assured": assured,
        "added": added,
    }


def frames_of(pack) -> dict:
    """Every DataFrame and figure of a pack, by name (the annual report's per review)."""
    import dataclasses

    out = {}
    for f in dataclasses.fields(pack):
        value = getattr(pack, f.name)
        if f.name == "annual":
            for entry in value:
                for part in ("actions_taken", "impact", "not_implemented"):
                    out[f"annual {entry.ref} {part}"] = getattr(entry, part)
                out[f"annual {entry.ref}"] = (entry.title, entry.review_type, entry.published_on)
        else:
            out[f.name] = value
    return out


def assert_same_pack(before, after) -> None:
    old, new = frames_of(before), frames_of(after)
    assert old.keys() == new.keys()
    for name, value in old.items():
        if isinstance(value, pd.DataFrame):
            pd.testing.assert_frame_equal(value, new[name], obj=name)
        else:
            assert value == new[name], name


def workbook_values(data: bytes) -> dict:
    wb = openpyxl.load_workbook(io.BytesIO(data))
    return {ws.title: [tuple(r) for r in ws.iter_rows(values_only=True)] for ws in wb.worksheets}


def test_a_past_meeting_pack_is_unchanged_by_later_writes(demo_engine, tmp_path):
    """The new user's report: the pack for a past meeting counted changes saved after it."""
    held_on, _ = meeting_dates(demo_engine)
    before = build(demo_engine, held_on)
    assert before.as_at == held_on
    xlsx_before = exports.write_files(before, ["xlsx", "csv"])
    ids = later_writes(demo_engine, before, tmp_path)

    after = build(demo_engine, held_on)
    assert_same_pack(before, after)
    xlsx_after = exports.write_files(after, ["xlsx", "csv"])
    assert workbook_values(xlsx_after["xlsx"]) == workbook_values(xlsx_before["xlsx"])
    assert xlsx_after["csv"] == xlsx_before["csv"]

    # what the writes did is in the records now, and in the old reading (today's records with
    # the clock at the meeting date) that the pack used to make
    red = set(after.red_items["action_id"])
    assert {ids["completed"], ids["moved"], ids["noted"]} <= red
    assert not ids["added"] & set(after.tracker["action_id"])
    assert not after.tracker["progress_note"].fillna("").str.contains(WORD).any()
    assured = "select assurance_status from recommendation where id = :i"
    assert scalar(demo_engine, assured, i=ids["assured"]) == "assured"
    assert "Recommendation ready for assurance" in set(after.for_assurance["kind"])
    with demo_engine.connect() as conn:
        clock_only = queries.action_list(conn, held_on, view="overdue")
        now = exports.build_pack(conn, None)
    assert ids["completed"] not in set(clock_only["action_id"])
    assert ids["moved"] not in set(clock_only["action_id"])
    assert ids["added"] <= set(clock_only["action_id"])  # due before the meeting, but added later
    assert now.tracker["progress_note"].fillna("").str.contains(WORD).any()


def test_a_past_meeting_pack_equals_the_as_at_views(demo_engine, tmp_path):
    """Figures and scorecard are the As-at overview's and Agencies page's on the meeting date,
    after later writes as before them, and equal independent SQL over the history."""
    held_on, baseline = meeting_dates(demo_engine)
    with demo_engine.connect() as conn:
        later_writes(demo_engine, exports.build_pack(conn, held_on), tmp_path)
    limits = config.thresholds()
    with demo_engine.connect() as conn:
        pack = exports.build_pack(conn, held_on)
        figures = asat.overview_as_at(
            conn,
            held_on,
            window_days=limits.due_soon_days,
            stale_days=limits.stale_days,
        )
        card = asat.agency_scorecard_as_at(conn, held_on)
        then = asat.overview_as_at(
            conn, baseline, window_days=limits.due_soon_days, stale_days=limits.stale_days
        )
        clock_only = queries.overview_figures(conn, held_on)
    assert pack.figures == figures
    assert pack.baseline_figures == then
    pd.testing.assert_frame_equal(pack.scorecard, card)
    exp = expected(demo_engine)
    assert (pack.figures.overdue, pack.figures.open_actions, pack.figures.actions) == (
        exp["overdue"],
        exp["open"],
        exp["actions"],
    )
    assert int(pack.scorecard["overdue"].sum()) == exp["overdue"]
    assert int(pack.overdue_by_agency["overdue"].sum()) == exp["overdue"]
    assert len(pack.tracker) == exp["actions"]
    # the old reading (records now, clock at the meeting) no longer agrees: the defect is visible
    assert (clock_only.overdue, clock_only.actions) != (figures.overdue, figures.actions)


def test_exported_files_of_a_past_meeting_show_the_as_at_overdue_count(demo_engine, tmp_path):
    held_on, _ = meeting_dates(demo_engine)
    with demo_engine.connect() as conn:
        later_writes(demo_engine, exports.build_pack(conn, held_on), tmp_path)
        overdue = asat.overview_as_at(conn, held_on).overdue
        pack = exports.build_pack(conn, held_on)
    files = exports.write_files(pack, ["pdf", "xlsx"])
    text_ = pdf_text(files["pdf"])
    assert re.search(rf"Overdue actions {overdue}\b", text_)
    flat = text_.replace("\n", " ")
    assert f"{overdue} open actions are past their target date" in flat
    assert f"Figures as the records stood on {held_on.day} {held_on:%b %Y}" in flat
    assert WORD not in text_
    wb = openpyxl.load_workbook(io.BytesIO(files["xlsx"]))
    figures = {r[0]: r[1] for r in wb["Summary"].iter_rows(min_row=2, values_only=True)}
    assert figures["Overdue actions"] == overdue
    agencies = {r[0]: r[1] for r in wb["Overdue by agency"].iter_rows(min_row=2, values_only=True)}
    assert sum(agencies.values()) == overdue
    assert not any(
        WORD in str(value)
        for ws in wb.worksheets
        for row in ws.iter_rows(values_only=True)
        for value in row
    )


def test_a_pack_without_a_meeting_equals_the_dashboards_live_queries(
    demo_engine, tmp_path, monkeypatch
):
    monkeypatch.setenv("MONITORING_TODAY", ANCHOR.isoformat())
    held_on, _ = meeting_dates(demo_engine)
    with demo_engine.connect() as conn:
        ids = later_writes(demo_engine, exports.build_pack(conn, held_on), tmp_path)
    limits = config.thresholds()
    window, stale = limits.due_soon_days, limits.stale_days
    with demo_engine.connect() as conn:
        pack = exports.build_pack(conn, None)
        assert pack.as_at is None and pack.today == ANCHOR
        assert pack.figures == queries.overview_figures(
            conn, ANCHOR, window_days=window, stale_days=stale
        )
        live = {
            "rag_by_review": queries.rag_by_review(conn, ANCHOR, window_days=window),
            "overdue_by_agency": queries.overdue_by_agency(conn, ANCHOR),
            "most_overdue": queries.most_overdue_actions(conn, ANCHOR, limit=10),
            "scorecard": queries.agency_scorecard(conn, ANCHOR),
            "reviews": queries.review_register(conn, ANCHOR),
        }
        actions = queries.action_list(conn, ANCHOR, view="all", window_days=window)
    for name, frame in live.items():
        pd.testing.assert_frame_equal(getattr(pack, name), frame, obj=name)
    pd.testing.assert_frame_equal(
        pack.tracker[list(queries.ACTION_LIST_COLUMNS)], actions, obj="tracker"
    )
    assert len(pack.tracker) == scalar(demo_engine, "select count(*) from action")
    assert pack.figures.overdue == scalar(
        demo_engine,
        f"select count(*) from action where {OPEN} and due_on < :t",
        t=ANCHOR.isoformat(),
    )
    # the writes show in the records now
    assert ids["added"] <= set(pack.tracker["action_id"])
    noted = pack.tracker.set_index("action_id").loc[ids["noted"], "progress_note"]
    assert WORD in noted
    done = pack.tracker.set_index("action_id").loc[ids["completed"], "status"]
    assert done == "completed"


def test_a_target_date_change_decided_after_the_date_was_pending_on_it(demo_engine):
    """Decisions needed as at a date: changes requested on or before it and not yet decided."""
    requested_at, decided_at = sql(
        demo_engine,
        "select requested_at, decided_at from due_date_change where decision = 'approved'"
        " order by requested_at desc limit 1",
    )[0]
    day = date.fromisoformat(requested_at[:10])
    assert date.fromisoformat(decided_at[:10]) > day  # the demo decides a few days later
    at = params(day)
    pending = scalar(
        demo_engine,
        STATE + "select count(*) from due_date_change c join s on s.id = c.action_id"
        " where c.requested_at < :end and (c.decided_at is null or c.decided_at >= :end)",
        **at,
    )
    assert pending >= 1
    with demo_engine.connect() as conn:
        then = exports.pack.decisions_needed(conn, day, records=asat.records_as_at(day))
        now = exports.pack.decisions_needed(conn, day)
    asked = "Approve or refuse a new target date"
    assert (then["decision"] == asked).sum() == pending
    assert (now["decision"] == asked).sum() == scalar(
        demo_engine, "select count(*) from due_date_change where decision = 'pending'"
    )


@pytest.mark.parametrize("which", ["review_ids", "agency_ids", "rag"])
def test_a_filtered_past_pack_equals_the_filtered_as_at_views(demo_engine, which):
    held_on, _ = meeting_dates(demo_engine)
    first = {
        "review_ids": lambda: (scalar(demo_engine, "select min(id) from review"),),
        "agency_ids": lambda: (scalar(demo_engine, "select min(lead_agency_id) from action"),),
        "rag": lambda: ("red",),
    }[which]()
    chosen = queries.Filters(**{which: first})
    with demo_engine.connect() as conn:
        pack = exports.build_pack(conn, held_on, chosen)
        figures = asat.overview_as_at(conn, held_on, chosen)
        card = asat.agency_scorecard_as_at(conn, held_on, chosen)
        everything = exports.build_pack(conn, held_on)
    assert pack.figures == figures
    pd.testing.assert_frame_equal(pack.scorecard, card)
    assert len(pack.tracker) == figures.actions < everything.figures.actions
    assert int(pack.overdue_by_agency["overdue"].sum()) == figures.overdue
