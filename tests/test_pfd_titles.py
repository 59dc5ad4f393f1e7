"""The PFD preset titles each report by its reference, category and coroner area, never by a
person's name (issue 17), on the real Preventable Deaths Tracker file."""

from __future__ import annotations

import csv
import re

from sqlalchemy import select

from monitoring import db, importer
from monitoring.importer.presets import pfd_title
from monitoring.importer.readers import read_bytes
from tests.conftest import REALDATA

PFD = REALDATA / "pfd" / "pfd_recipient_statuses.csv"


def _rows() -> tuple[list[str], list[dict]]:
    with PFD.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        return list(reader.fieldnames or []), list(reader)


def test_real_pfd_reviews_are_titled_by_reference_category_and_area_only(engine):
    header, rows = _rows()
    importer.import_path(PFD, engine, preset="pfd")
    with engine.connect() as conn:
        titles = dict(conn.execute(select(db.review.c.ref, db.review.c.title)).all())
    first: dict[str, dict] = {}
    for row in rows:
        first.setdefault(row["ref"], row)
    assert set(titles) == set(first) and len(titles) > 300
    for ref, title in titles.items():
        row = first[ref]
        assert title == pfd_title(ref, row["category"], row["coroner_area"])
        # Every word of the title is the reference's, the category's or the area's.
        allowed = set(
            re.findall(r"\w+", f"PFD report {ref} {row['category']} {row['coroner_area']}")
        )
        assert set(re.findall(r"\w+", title)) <= allowed, title
    # The published file carries no name of the deceased (README: names removed); should a
    # version with a name column come, no value of it may appear in a title.
    name_columns = [c for c in header if "name" in c.lower() or "deceased" in c.lower()]
    names = {r[c].strip() for r in rows for c in name_columns if r[c].strip()}
    assert not [t for t in titles.values() if any(n in t for n in names)]


def test_a_name_column_never_reaches_a_title(engine):
    data = (
        "ref,date_added,date_of_report,coroner_area,category,sent_to,deceased_name,status\n"
        "2025-0001,02/01/2025,01/01/2025,Inner North London,Suicide (from 2015),"
        "NHS England,Jane Quartermaine,pending\n"
        "2025-0002,02/01/2025,01/01/2025,Avon,Road (Highways Safety) related deaths | Other,"
        "Avon County Council,Tomasz Wiśniewski,received\n"
    ).encode()
    plan = importer.build_plan(read_bytes(data, "pfd.csv"), preset="pfd")
    assert not plan.errors
    titles = {r.ref: r.title for r in plan.reviews.values()}
    assert titles == {
        "2025-0001": "PFD report 2025-0001: Suicide (from 2015); Inner North London",
        "2025-0002": "PFD report 2025-0002: Road (Highways Safety) related deaths, Other; Avon",
    }
    texts = [
        *titles.values(),
        *(r.summary or "" for r in plan.reviews.values()),
        *(f"{r.title} {r.text or ''}" for r in plan.recommendations.values()),
        *(f"{a.description} {a.progress_note or ''}" for a in plan.actions),
    ]
    assert not [t for t in texts if "Quartermaine" in t or "Wiśniewski" in t]


def test_pfd_title_without_category_or_area():
    assert pfd_title("2024-0100", "", "") == "PFD report 2024-0100"
    assert pfd_title("2024-0100", " ", "Avon") == "PFD report 2024-0100: Avon"
