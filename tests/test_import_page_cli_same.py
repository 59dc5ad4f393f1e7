"""The import page and the command line give the same import for the same file and choices, for
every layout and preset.

Fresh user's report: importing the real PFD file on the page with Layout ``pfd`` attached no lead
agency to any of its 1,364 actions and said nothing (no agency created, no list to tick), while
``python -m monitoring import FILE --preset pfd`` created the recipients and linked 1,333 actions.
Now both take the layout's own default (pfd: create the recipients; a board's tracker: create
none), the page lists the agencies not in the register for every layout, and an import that
leaves actions with no lead agency says how many and why.
"""

from __future__ import annotations

import dataclasses
import json

import pytest
from sqlalchemy import func, select

from monitoring import db, services
from monitoring.importer import (
    PRESETS,
    TrackerOptions,
    agencies_not_in_register,
    build_plan,
    prepare,
    read_path,
)
from monitoring.importer.agencies import is_redacted, normalise_alias
from tests.conftest import REALDATA, make_app
from tests.test_import_cli import run_import
from tests.test_import_pfd import PFD, _named_rows, _pfd_frame, _snapshot

pytestmark = pytest.mark.usefixtures("shared_data")

PAGE = "app_pages/import_tracker.py"
STOCKTON = REALDATA / "trackers" / "stockton_lscb_review_progress_2017-12.csv"
FILES = {"pfd": PFD, None: STOCKTON}
"""A real file of each preset's layout, and a board's tracker (Layout "Board tracker")."""


def _recipients() -> set[str]:
    """The PFD file's recipients as agencies (one per normalised name, redactions left out)."""
    return {normalise_alias(s) for s in _pfd_frame()["sent_to"] if s.strip() and not is_redacted(s)}


def test_every_preset_has_a_real_file_here():
    assert set(PRESETS) <= set(FILES)


@pytest.mark.parametrize("preset", [*PRESETS, None], ids=lambda p: p or "tracker")
def test_page_and_command_plan_the_same_rows_and_agency_choice(preset):
    path = FILES[preset]
    ref = None if preset else "SCR-STOCKTON"
    page_plan, _header = prepare(path.read_bytes(), path.name, preset=preset, review_ref=ref)
    command_plan = build_plan(
        read_path(str(path)), preset=preset, options=TrackerOptions(review_ref=ref)
    )
    assert page_plan.actions and not page_plan.errors
    assert [dataclasses.asdict(a) for a in page_plan.actions] == [
        dataclasses.asdict(a) for a in command_plan.actions
    ]
    assert page_plan.reviews == command_plan.reviews
    assert page_plan.create_agencies == command_plan.create_agencies == (preset == "pfd")


def _upload_pfd(at):
    at.file_uploader[0].set_value((PFD.name, PFD.read_bytes(), "text/csv"))
    at.run()
    at.selectbox(key="import_layout").set_value("pfd").run()
    assert not at.exception, [e.value for e in at.exception]


def _metric(at, label: str) -> int:
    (value,) = [m.value for m in at.metric if m.label == label]
    return int(str(value).replace(",", ""))


def _import(at) -> None:
    [b for b in at.button if b.label == "Import"][0].click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]


def _admin(engine) -> None:
    services.create_user(
        engine, services.Actor.system("test"), "admin@council.example", "Admin", "admin"
    )


def test_page_imports_pfd_with_its_recipients_as_the_command_does_then_command_changes_nothing(
    engine, database_url, app_env, monkeypatch, capsys
):
    _admin(engine)
    rows = len(_pfd_frame())
    at = make_app("admin@council.example", page=PAGE)
    _upload_pfd(at)
    # every agency not in the register is offered, created by default as the command does
    assert at.subheader and "Agencies not in the register" in [s.value for s in at.subheader]
    choice = at.radio(key="create_agencies_choice")
    assert choice.value == "Create all of them"
    assert choice.label == f"{len(_recipients())} agencies not in the register"
    assert _metric(at, "Agencies to create") == len(_recipients())
    assert _metric(at, "Actions to create") == rows
    notices = [w.value for w in at.warning if "no lead agency" in w.value]
    assert notices == [
        f"{rows - _named_rows()} action(s) would have no lead agency: {rows - _named_rows()} "
        "because the file names no lead agency for them (blank or redacted)."
    ]
    _import(at)
    assert any(f"created {len(_recipients())} agency" in s.value for s in at.success), [
        s.value for s in at.success
    ]
    page = _snapshot(database_url)
    assert page["agencies"] == len(_recipients()) and page["linked"] == _named_rows()
    assert page["updates"] == page["notes"] == rows
    assert agencies_not_in_register(engine, _plan()) == []

    # the command line, on the same database and file: nothing to create, change or note
    code, out, err = run_import(
        monkeypatch, capsys, database_url, str(PFD), "--preset", "pfd", "--json"
    )
    assert code == 0, err
    second = json.loads(out)
    assert second["created"] == {} and second["updated"] == 0 and second["unchanged"] == rows
    assert _snapshot(database_url) == page


def _plan():
    plan, _header = prepare(PFD.read_bytes(), PFD.name, preset="pfd")
    return plan


def test_page_choosing_no_agencies_says_so_then_command_links_only_the_lead_agencies(
    engine, database_url, app_env, monkeypatch, capsys
):
    _admin(engine)
    rows, named = len(_pfd_frame()), _named_rows()
    at = make_app("admin@council.example", page=PAGE)
    _upload_pfd(at)
    at.radio(key="create_agencies_choice").set_value("Create none").run()
    assert _metric(at, "Agencies to create") == 0
    expected = (
        f"{rows} action(s) {{}} no lead agency: {named} because their agency is not in the "
        "register and was not chosen to be created; "
        f"{rows - named} because the file names no lead agency for them (blank or redacted)."
    )
    assert expected.format("would have") in [w.value for w in at.warning]
    _import(at)
    assert expected.format("have") in [w.value for w in at.warning]  # said after the import too
    before = _snapshot(database_url)
    assert before["agencies"] == before["linked"] == 0 and before["notes"] == rows

    # the command line creates them: its dry run says what the real run then does
    code, out, err = run_import(
        monkeypatch, capsys, database_url, str(PFD), "--preset", "pfd", "--dry-run", "--json"
    )
    assert code == 0, err
    dry = json.loads(out)
    code, out, err = run_import(
        monkeypatch, capsys, database_url, str(PFD), "--preset", "pfd", "--json"
    )
    assert code == 0, err
    real = json.loads(out)
    assert dry["created"] == real["created"] == {"agency": len(_recipients())}
    assert dry["updated"] == real["updated"] == named
    assert dry["unchanged"] == real["unchanged"] == rows - named
    after = _snapshot(database_url)
    assert after["linked"] == named
    assert after["updates"] == before["updates"] and after["notes"] == before["notes"]
    assert after["actions"] == before["actions"]  # nothing but the lead agency (and version)
    added = {f: n - before["audit"].get(f, 0) for f, n in after["audit"].items()}
    assert {f: n for f, n in added.items() if n} == {
        "created": len(_recipients()),
        "lead_agency_id": named,
        "version": named,
    }


def test_page_creates_only_the_agencies_chosen_from_the_list(engine, database_url, app_env):
    _admin(engine)
    frame = _pfd_frame()
    at = make_app("admin@council.example", page=PAGE)
    _upload_pfd(at)
    at.radio(key="create_agencies_choice").set_value("Choose which to create").run()
    picked = at.multiselect(key="create_agencies_chosen")
    chosen = list(picked.options[:2])
    picked.set_value(chosen).run()
    assert _metric(at, "Agencies to create") == 2
    _import(at)
    keys = {normalise_alias(n) for n in chosen}
    linked_rows = sum(1 for s in frame["sent_to"] if s.strip() and normalise_alias(s) in keys)
    with engine.connect() as conn:
        names = set(conn.execute(select(db.agency.c.name)).scalars())
        linked = conn.execute(
            select(func.count())
            .select_from(db.action)
            .where(db.action.c.lead_agency_id.is_not(None))
        ).scalar()
    assert names == set(chosen) and linked == linked_rows > 0
