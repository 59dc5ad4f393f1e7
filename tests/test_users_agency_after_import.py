"""Agencies an import created have no short name (pandas 3 reads the NULL as NaN): choosing an
agency by id, short name or name still works everywhere an agency is matched by name (the
``user add`` and ``workbook make`` commands' ``--agency``, the Manage agencies page's fields), and a
weak password is refused with a message, never a traceback (a fresh user's finding)."""

from __future__ import annotations

import csv

import pytest
from sqlalchemy import select

from monitoring import cli, db, worklists
from monitoring.importer.agencies import AgencyNotFound, find_agency
from tests.conftest import make_app, scalar
from tests.test_import_cli import run_import

PFD_HEADER = [
    "ref", "date_added", "date_of_report", "coroner_area", "category", "sent_to",
    "all_recipients", "no. recipients", "no. replies", "response status", "status",
]  # fmt: skip
RECIPIENTS = ["Coventry City Council", "Kent and Medway NHS Trust"]


@pytest.fixture
def imported(demo_engine, database_url, monkeypatch, capsys, tmp_path):
    """The demo data, then a PFD-style file whose two recipients become agencies (no short
    name); returns ``{recipient: agency id}``."""
    path = tmp_path / "pfd_style.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        out = csv.writer(f)
        out.writerow(PFD_HEADER)
        for name in RECIPIENTS:
            out.writerow(
                ["2026-0100", "02/02/2026", "01/02/2026", "Coventry", "Other", name,
                 " | ".join(RECIPIENTS), "2", "0", "pending", "pending"]
            )  # fmt: skip
    code, _out, err = run_import(monkeypatch, capsys, database_url, str(path), "--preset", "pfd")
    assert code == 0, err
    with demo_engine.connect() as conn:
        made = dict(
            conn.execute(
                select(db.agency.c.name, db.agency.c.id).where(db.agency.c.name.in_(RECIPIENTS))
            ).all()
        )
        shorts = conn.execute(
            select(db.agency.c.short_name).where(db.agency.c.name.in_(RECIPIENTS))
        ).scalars()
        assert set(shorts) == {None}
    assert set(made) == set(RECIPIENTS)
    db.dispose_engines()
    return made


def _add(email: str, agency: str, password: str, monkeypatch) -> int:
    monkeypatch.setenv("NEW_PASSWORD", password)
    return cli.main(
        [
            "user", "add", email, "--name", "New Lead", "--role", "agency_lead",
            "--agency", agency, "--password-env", "NEW_PASSWORD",
        ]
    )  # fmt: skip


def test_agency_choices_give_an_empty_short_name_not_nan(imported, demo_engine):
    with demo_engine.connect() as conn:
        frame = worklists.agency_choices(conn)
    shorts = frame.set_index("name")["short_name"]
    assert [shorts[n] for n in RECIPIENTS] == ["", ""]
    assert shorts["Northbridge Police"] == "POL"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("POL", "Northbridge Police"),
        ("pol", "Northbridge Police"),
        ("northbridge police", "Northbridge Police"),
        ("Coventry City Council", "Coventry City Council"),
        ("  coventry   city council ", "Coventry City Council"),
        ("id", "Kent and Medway NHS Trust"),
    ],
)
def test_user_add_finds_the_agency_by_short_name_name_or_id(
    imported, demo_engine, app_env, monkeypatch, capsys, given, expected
):
    if given == "id":
        given = str(imported["Kent and Medway NHS Trust"])
    code = _add("new.lead@northbridge.example", given, "copper kettle meadow lantern", monkeypatch)
    assert code == 0, capsys.readouterr().err
    agency_id = scalar(
        demo_engine, "select agency_id from app_user where email = 'new.lead@northbridge.example'"
    )
    assert scalar(demo_engine, "select name from agency where id = :i", i=agency_id) == expected


def test_user_add_refuses_a_weak_password_with_a_message(
    imported, demo_engine, app_env, monkeypatch, capsys
):
    before = scalar(demo_engine, "select count(*) from app_user")
    code = _add("new.lead@northbridge.example", "POL", "password1234", monkeypatch)
    last = capsys.readouterr().err.strip().splitlines()[-1]  # (Streamlit may log above it)
    assert code == 1
    assert last.startswith("error: password: refused")
    assert scalar(demo_engine, "select count(*) from app_user") == before


def test_user_add_names_every_agency_when_none_matches(
    imported, demo_engine, app_env, monkeypatch, capsys
):
    code = _add(
        "new.lead@northbridge.example", "Nowhere", "copper kettle meadow lantern", monkeypatch
    )
    err = capsys.readouterr().err
    assert code == 1
    assert "no agency 'Nowhere'" in err
    assert "POL (Northbridge Police)" in err
    assert f"{imported['Coventry City Council']} (Coventry City Council)" in err
    assert "nan" not in err


def test_find_agency_reads_the_table_not_a_frame(imported, demo_engine):
    with demo_engine.connect() as conn:
        assert find_agency(conn, "Kent and Medway NHS Trust") == imported[RECIPIENTS[1]]
        with pytest.raises(AgencyNotFound, match="no agency 'Kent'"):
            find_agency(conn, "Kent")


def test_workbook_make_finds_an_imported_agency_by_name(
    imported, demo_engine, app_env, monkeypatch, tmp_path
):
    monkeypatch.setenv("MONITORING_WORKBOOK_SECRET", "test-signing-key-0123456789abcdef-0123456789")
    out = tmp_path / "coventry.xlsx"
    argv = ["workbook", "make", "--agency", "coventry city council", "--out", str(out)]
    assert cli.main(argv) == 0
    assert out.stat().st_size > 0


def test_manage_agencies_page_leaves_a_missing_short_name_empty(imported, demo_engine, app_env):
    at = make_app("admin@northbridge.example", page="app_pages/agency_admin.py")
    at.selectbox(key="edit_agency").set_value(imported["Coventry City Council"]).run()
    assert not at.exception, [e.value for e in at.exception]
    fields = {t.label: t.value for t in at.text_input}
    assert fields["Name"] == "Coventry City Council"
    assert fields["Short name"] == "" and fields["Sector"] == ""
    assert fields["Board member e-mail"] == ""
