"""Names an import links to a registered agency other than by that agency's own name (an alias or
a short name, perhaps after a job title was removed) are listed on the preview, page and command
line alike, with the agency and the rows, and an administrator can refuse each one (a fresh
user's finding: the demo alias "integrated care board" gave two national PFD recipients to the
board's own "Northbridge Integrated Care Board" silently)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from monitoring import db
from monitoring.importer import agencies_matched_loosely, prepare, refuse_matches
from monitoring.importer.agencies import normalise_alias
from tests.conftest import REALDATA, make_app
from tests.test_import_cli import run_import

pytestmark = pytest.mark.usefixtures("shared_data")

PFD = REALDATA / "pfd" / "pfd_recipient_statuses.csv"
ICB_SPELLINGS = {"Integrated Care Board", "Chief Executive, Integrated Care Board"}
NORTHBRIDGE_ICB = "Northbridge Integrated Care Board"


def _pfd_plan():
    plan, _header = prepare(PFD.read_bytes(), PFD.name, preset="pfd")
    assert not plan.errors
    return plan


def _icb_rows() -> int:
    return sum(
        1 for a in _pfd_plan().actions if a.lead_name and a.lead_name.strip() in ICB_SPELLINGS
    )


def test_preview_lists_the_alias_match_with_its_agency_and_rows(demo_engine):
    plan = _pfd_plan()
    matches = agencies_matched_loosely(demo_engine, plan)
    icb = [m for m in matches if m.key == "integrated care board"]
    assert len(icb) == 1
    assert set(icb[0].spellings) == ICB_SPELLINGS
    assert icb[0].agency == NORTHBRIDGE_ICB
    assert icb[0].rows == _icb_rows() == 2
    assert icb[0].how.startswith("alias")
    # Nothing listed is an agency's own name; everything listed is linked to the agency shown.
    with demo_engine.connect() as conn:
        names = dict(conn.execute(select(db.agency.c.id, db.agency.c.name)).all())
    for match in matches:
        assert normalise_alias(names[match.agency_id]) != match.key
        assert names[match.agency_id] == match.agency


def test_command_dry_run_names_the_match_text_and_json(
    demo_engine, database_url, monkeypatch, capsys
):
    code, out, err = run_import(monkeypatch, capsys, database_url, str(PFD), "--preset", "pfd",
                                "--dry-run")  # fmt: skip
    assert code == 0, err
    assert "matched to a registered agency other than by its own name: 1" in out
    line = next(x for x in out.splitlines() if NORTHBRIDGE_ICB in x)
    assert "'Integrated Care Board'" in line and "'Chief Executive, Integrated Care Board'" in line
    assert "by alias" in line and "2 rows" in line
    code, out, err = run_import(monkeypatch, capsys, database_url, str(PFD), "--preset", "pfd",
                                "--dry-run", "--json")  # fmt: skip
    assert code == 0, err
    matched = json.loads(out)["matched_agencies"]
    assert [(m["agency"], m["rows"], set(m["spellings"])) for m in matched] == [
        (NORTHBRIDGE_ICB, 2, ICB_SPELLINGS)
    ]


def _led_by_northbridge_icb(engine) -> int:
    with engine.connect() as conn:
        icb = conn.execute(select(db.agency.c.id).where(db.agency.c.short_name == "ICB")).scalar()
        review_ids = select(db.review.c.id).where(db.review.c.review_type == "PFD")
        return conn.execute(
            select(func.count())
            .select_from(db.action)
            .where(db.action.c.lead_agency_id == icb, db.action.c.review_id.in_(review_ids))
        ).scalar()


def test_a_refused_match_is_imported_as_an_agency_of_its_own_and_stays_so(
    demo_engine, database_url, monkeypatch, capsys
):
    code, out, err = run_import(monkeypatch, capsys, database_url, str(PFD), "--preset", "pfd",
                                "--refuse-match", "Integrated Care Board", "--json")  # fmt: skip
    assert code == 0, err
    assert json.loads(out)["matched_agencies"] == []
    assert _led_by_northbridge_icb(demo_engine) == 0
    with demo_engine.connect() as conn:
        own = conn.execute(
            select(db.agency.c.id).where(db.agency.c.name.in_(ICB_SPELLINGS))
        ).scalars()
        own = list(own)
        assert len(own) == 1
        led = conn.execute(
            select(func.count()).select_from(db.action).where(db.action.c.lead_agency_id == own[0])
        ).scalar()
    assert led == 2
    # The next import links them to that agency by its own name: nothing to check, no duplicate.
    code, out, err = run_import(monkeypatch, capsys, database_url, str(PFD), "--preset", "pfd",
                                "--dry-run", "--json")  # fmt: skip
    assert code == 0, err
    report = json.loads(out)
    assert report["matched_agencies"] == [] and report["created"] == {}
    assert report["unchanged"] == report["rows_read"]


def test_the_match_is_kept_unless_refused(demo_engine, database_url, monkeypatch, capsys):
    code, _out, err = run_import(monkeypatch, capsys, database_url, str(PFD), "--preset", "pfd")
    assert code == 0, err
    assert _led_by_northbridge_icb(demo_engine) == 2


def test_refusing_a_match_offers_the_name_as_a_new_agency(demo_engine):
    from monitoring.importer import agencies_not_in_register

    plan = _pfd_plan()
    before = agencies_not_in_register(demo_engine, plan)
    refuse_matches(plan, ["Integrated Care Board"])
    after = agencies_not_in_register(demo_engine, plan)
    assert len(after) == len(before) + 1
    assert set(after) - set(before) <= ICB_SPELLINGS
    assert agencies_matched_loosely(demo_engine, plan) == []


def test_import_page_lists_the_match_and_lets_the_administrator_refuse_it(demo_engine, app_env):
    at = make_app("admin@northbridge.example", page="app_pages/import_tracker.py")
    at.file_uploader[0].set_value((PFD.name, PFD.read_bytes(), "text/csv"))
    at.selectbox(key="import_layout").set_value("pfd")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("matched to a registered agency by an alias" in h.value for h in at.subheader)
    box = [c for c in at.checkbox if NORTHBRIDGE_ICB in c.label]
    assert len(box) == 1 and box[0].value is True
    assert "Integrated Care Board" in box[0].label and "2 rows" in box[0].label
    created = next(m for m in at.metric if m.label == "Agencies to create").value
    box[0].uncheck()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert int(next(m for m in at.metric if m.label == "Agencies to create").value) == (
        int(created) + 1
    )
