"""Read scope (issue 14, case 12-viewer-sees-notes-and-unpublished): every role reads only what it
may, on every page and in every download, enforced in the one read path (monitoring.source and
monitoring.reads), not page by page.

One matrix, role × page × sensitive field: each page a role may open is rendered (AppTest, signed
in by ``at.user``), with its drill-downs, and the text of every element (tables, charts, captions,
the sidebar's choices) is searched for each sensitive field; the downloads (the Actions page's
table and every format of the meeting pack) are read back and searched the same way. The board
reading every field somewhere proves the markers are real.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import openpyxl
import pytest
from pptx import Presentation
from pypdf import PdfReader
from sqlalchemy import text

from monitoring import exports, measures, reads, services, tabular
from monitoring.importer import import_path
from monitoring.source import Scope, source
from monitoring.ui.navigation import PAGES
from tests.conftest import ANCHOR, SHARED, make_app

CASE = SHARED / "cases" / "12-viewer-sees-notes-and-unpublished"

USERS = {
    "viewer": "viewer@northbridge.example",
    "agency_lead": "police.lead@northbridge.example",  # Northbridge Police (POL)
    "board": "board@northbridge.example",
}
EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")

FIELDS = {
    "notes (other agency)": "Marker note CSC 7781",
    "notes (own agency)": "Marker note POL 4412",
    "evidence (other agency)": "Marker evidence CSC 7781",
    "evidence (own agency)": "Marker evidence POL 4412",
    "officer": "Officer Mabel Marker",
    "unpublished review": "EMBARGO-1",
    "unpublished text": "Embargoed action for the Quill review",
    "note on import": "Imported note about the Quill children",
    "e-mail": EMAIL,
    "measure (unpublished review)": "Marker measure 5512",
    "feedback (other agency)": "Marker feedback CSC 7781",
    "feedback (own agency)": "Marker feedback POL 4412",
}
FORBIDDEN = {
    "viewer": set(FIELDS),
    "agency_lead": {
        "notes (other agency)",
        "evidence (other agency)",
        "e-mail",
        "feedback (other agency)",
    },
    "board": set(),
}
"""What each role may not read (docs/data-protection.md); everything else it may."""


def found(field: str, words: str) -> bool:
    pattern = FIELDS[field]
    return bool(pattern.search(words)) if isinstance(pattern, re.Pattern) else pattern in words


def page_text(at) -> str:
    """Every element's text: protobuf text (labels, options, captions, chart specs, table bytes)
    and each table's cells."""
    parts = []
    for node in at._tree:
        proto = getattr(node, "proto", None)
        if proto is not None:
            parts.append(str(proto))
        if type(node).__name__ == "Dataframe":
            parts.append(node.value.to_csv())
    return "\n".join(parts)


@pytest.fixture
def scoped_demo(demo_engine, app_env, tmp_path: Path):
    """The demo, plus (case 12) a tracker imported as a new review, never published, and
    markers written through the services: a note and evidence on a Police action and on a
    Children's Social Care action of a published review, and an officer's name."""
    tracker = tmp_path / "embargo.csv"
    tracker.write_text(
        "Recommendation number,Recommendation,Action number,Action,Lead agency,Lead officer,"
        "Target date,Status,Progress update\n"
        "1,Embargoed learning,1.1,Embargoed action for the Quill review,"
        "Northbridge Children's Social Care,Officer Zebedee Quarmby,2026-09-30,In progress,"
        "Imported note about the Quill children\n",
        encoding="utf-8",
    )
    summary = import_path(tracker, demo_engine, review="EMBARGO-1", create_agencies=True)
    assert summary.written
    with demo_engine.begin() as conn:
        published = conn.execute(
            text("select published_on from review where ref = 'EMBARGO-1'")
        ).scalar()
        assert published is None  # an import never publishes
        ids = {}
        for short in ("POL", "CSC"):
            ids[short] = conn.execute(
                text(
                    "select a.id from action a join agency g on g.id = a.lead_agency_id"
                    " join review r on r.id = a.review_id where g.short_name = :s"
                    " and r.published_on is not null and a.status = 'in_progress'"
                    " order by a.id limit 1"
                ),
                {"s": short},
            ).scalar()
        conn.execute(
            text("update action set lead_officer = 'Officer Mabel Marker' where id = :a"),
            {"a": ids["POL"]},
        )
    leads = {"POL": "police.lead@northbridge.example", "CSC": "csc.lead@northbridge.example"}
    for short, action_id in ids.items():
        with demo_engine.connect() as conn:
            user = (
                conn.execute(text("select * from app_user where email = :e"), {"e": leads[short]})
                .mappings()
                .one()
            )
        actor = services.Actor.from_user(dict(user))
        number = "7781" if short == "CSC" else "4412"
        services.add_progress_update(
            demo_engine, actor, action_id, f"Marker note {short} {number}", version=None
        )
        services.attach_evidence(
            demo_engine,
            actor,
            action_id,
            version=None,
            title=f"Marker evidence {short} {number}",
            url=f"https://evidence.example/{short.lower()}",
        )
    # impact measures and feedback (issue 14: measures reads take the reader's scope): a measure
    # and feedback on the unpublished review (its action is Children's Social Care's), feedback
    # on the Police action's recommendation of a published review
    with demo_engine.connect() as conn:
        admin = services.Actor.from_user(
            dict(
                conn.execute(text("select * from app_user where role = 'admin' order by id"))
                .mappings()
                .first()
            )
        )
        embargo_rec = conn.execute(
            text(
                "select c.id from recommendation c join review r on r.id = c.review_id"
                " where r.ref = 'EMBARGO-1'"
            )
        ).scalar()
        police_rec = conn.execute(
            text("select recommendation_id from action where id = :a"), {"a": ids["POL"]}
        ).scalar()
        csc = conn.execute(text("select id from agency where short_name = 'CSC'")).scalar()
    measure_id = measures.add_measure(
        demo_engine,
        admin,
        name="Marker measure 5512",
        recommendation_id=embargo_rec,
        agency_id=csc,
    )
    for month, value in (("2026-03-31", 40), ("2026-04-30", 55), ("2026-05-31", 60)):
        measures.add_observation(demo_engine, admin, measure_id, period_end=month, value=value)
    for rec_id, words in ((embargo_rec, "CSC 7781"), (police_rec, "POL 4412")):
        measures.add_feedback(
            demo_engine,
            admin,
            rec_id,
            received_on="2026-06-01",
            source="Young people's forum",
            summary=f"Marker feedback {words}",
        )
    return demo_engine, ids


def _render(role: str, page: str, ids: dict[str, int]) -> str:
    """The text of ``page`` for ``role``, with its drill-downs opened."""
    email = USERS[role]
    texts = []
    if page == "history.py":
        for action_id in (*ids.values(), _embargo_action()):
            at = make_app(email, page=f"app_pages/{page}", query_params={"action": str(action_id)})
            assert not at.exception, [e.value for e in at.exception]
            texts.append(page_text(at))
        return "\n".join(texts)
    at = make_app(email, page=f"app_pages/{page}")
    assert not at.exception, [e.value for e in at.exception]
    texts.append(page_text(at))
    if page == "reviews.py":
        for review_id in _choices(role, "review_register", "review_id"):
            at.selectbox(key="review_detail").set_value(review_id).run()
            assert not at.exception
            texts.append(page_text(at))
    if page == "themes.py":
        for words in ("Embargoed", "Quill"):
            at.text_input(key="search_text").set_value(words).run()
            assert not at.exception
            texts.append(page_text(at))
    if page == "agencies.py":
        for agency_id in _choices(role, "scorecard", "agency_id"):
            at.selectbox(key="agency_detail").set_value(agency_id).run()
            texts.append(page_text(at))
    return "\n".join(texts)


_EMBARGO: dict[str, object] = {}


def _choices(role: str, model: str, column: str) -> list:
    """The ids a page's chooser offers ``role`` (its options are labels)."""
    engine = _EMBARGO["engine"]
    with engine.connect() as conn:
        frame = getattr(reads, model)(conn, source(ANCHOR, _scope(conn, role)))
    return [None if v != v else int(v) for v in frame[column]]


def _scope(conn, role: str) -> Scope:
    user = conn.execute(
        text("select role, agency_id from app_user where email = :e"), {"e": USERS[role]}
    ).one()
    return Scope(user.role, user.agency_id)


def _embargo_action() -> int:
    return _EMBARGO["action"]


def _download_texts(engine, role: str) -> dict[str, str]:
    """The text of every download a page offers this role: the Actions page's table (every
    view) and each format of the meeting pack (next meeting and each recorded one)."""
    with engine.connect() as conn:
        src = source(ANCHOR, _scope(conn, role))
        files = {}
        for view in ("all", "overdue", "due_soon", "no_due_date", "stale"):
            frame = reads.action_list(conn, src, view)
            files[f"actions-{view}.csv"] = tabular.to_csv_bytes(frame).decode("utf-8-sig")
            book = openpyxl.load_workbook(io.BytesIO(tabular.to_xlsx_bytes(frame)))
            files[f"actions-{view}.xlsx"] = _book_text(book)
        meetings = [None, *exports.list_meetings(conn)["held_on"]]
        for held_on in meetings:
            pack = reads.meeting_pack(conn, src, held_on)
            for fmt in exports.FORMATS:
                buffer = io.BytesIO()
                exports.write(pack, fmt, buffer, images={})
                files[f"pack-{held_on}.{fmt}"] = _file_text(fmt, buffer.getvalue())
    return files


def _book_text(book) -> str:
    return "\n".join(
        str(cell)
        for sheet in book.worksheets
        for row in sheet.iter_rows(values_only=True)
        for cell in row
        if cell is not None
    )


def _file_text(fmt: str, data: bytes) -> str:
    if fmt == "csv":
        return data.decode("utf-8-sig")
    if fmt == "xlsx":
        return _book_text(openpyxl.load_workbook(io.BytesIO(data)))
    if fmt == "pdf":
        return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    deck = Presentation(io.BytesIO(data))
    words = []
    for slide in deck.slides:
        for shape in slide.shapes:
            if shape.has_text_frame:
                words.append(shape.text_frame.text)
            if shape.has_table:
                words += [cell.text for row in shape.table.rows for cell in row.cells]
    return "\n".join(words)


def _pages_for(role: str) -> list[str]:
    return [p.file for p in PAGES if role in p.roles and p.file not in ("import_tracker.py",)]


def test_case_12_readme_states_the_right_result():
    readme = (CASE / "README.md").read_text(encoding="utf-8")
    assert "a viewer sees published reviews only" in readme
    assert "no progress" in readme and "notes, evidence, officers or e-mail addresses" in readme


@pytest.mark.parametrize("role", list(USERS))
def test_role_page_field_matrix(role, scoped_demo):
    """Case 12: each role × each page it may open × each sensitive field."""
    engine, ids = scoped_demo
    _EMBARGO["engine"] = engine
    with engine.connect() as conn:
        _EMBARGO["action"] = conn.execute(
            text(
                "select a.id from action a join review r on r.id = a.review_id where r.ref = 'EMBARGO-1'"
            )
        ).scalar()
    seen: dict[str, set[str]] = {field: set() for field in FIELDS}
    for page in _pages_for(role):
        words = _render(role, page, ids)
        for field in FIELDS:
            if found(field, words):
                seen[field].add(page)
    for name, words in _download_texts(engine, role).items():
        for field in FIELDS:
            if found(field, words):
                seen[field].add(name)
    leaks = {
        field: sorted(where) for field, where in seen.items() if field in FORBIDDEN[role] and where
    }
    assert not leaks, f"{role} reads what it may not: {leaks}"
    # what the role may read, it does read somewhere: the markers are real
    allowed = {
        "board": set(FIELDS),
        "agency_lead": {
            "notes (own agency)",
            "evidence (own agency)",
            "officer",
            "unpublished review",
            "measure (unpublished review)",
            "feedback (own agency)",
        },
        "viewer": set(),
    }[role]
    missing = sorted(field for field in allowed if not seen[field])
    assert not missing, f"{role} should read these somewhere: {missing}"
    if role == "viewer":
        # and still reads the published reviews: every one of them is in the register
        with engine.connect() as conn:
            refs = conn.execute(
                text("select ref from review where published_on is not null")
            ).scalars()
            words = _render("viewer", "reviews.py", ids)
            assert all(ref in words for ref in refs)
