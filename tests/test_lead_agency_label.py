""" "Lead agency not recorded" is what every table, export and page says for an action without a
lead agency (issue 17), from one constant; the old wording is gone from the code."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from monitoring import db, importer, queries, rules, worklists
from tests.conftest import REALDATA, ROOT

PFD = REALDATA / "pfd" / "pfd_recipient_statuses.csv"
TODAY = date(2026, 6, 30)


def test_actions_without_a_lead_agency_read_lead_agency_not_recorded(engine):
    importer.import_path(PFD, engine, preset="pfd")  # REDACTED recipients: no lead agency
    with engine.connect() as conn:
        unled = (
            conn.execute(select(db.action.c.id).where(db.action.c.lead_agency_id.is_(None)))
            .scalars()
            .all()
        )
        card = queries.agency_scorecard(conn, TODAY)
        overdue = queries.overdue_by_agency(conn, TODAY, limit=1000)
        detail = worklists.action_detail(conn, unled[0])
    assert rules.NO_LEAD_AGENCY == "Lead agency not recorded"
    assert len(unled) > 0
    row = card[card["agency_id"].isna()]
    assert list(row["agency"]) == ["Lead agency not recorded"]
    assert int(row["actions"].iloc[0]) == len(unled)
    assert "Lead agency not recorded" in set(overdue["agency"])
    assert detail["agency"] == "Lead agency not recorded"


def test_the_old_wording_is_not_left_in_the_code():
    old = ("No lead agency",)
    found = [
        str(path.relative_to(ROOT))
        for folder in ("monitoring", "app_pages")
        for path in (ROOT / folder).rglob("*.py")
        if any(w in path.read_text(encoding="utf-8") for w in old)
    ]
    found += [p for p in ("dashboard.py",) if any(w in (ROOT / p).read_text() for w in old)]
    assert found == []
