"""The Measures page (AppTest): renders for every role that sees it, honours "As at", equals the
pack's page of measures as at a meeting, lets a lead record values only for their agency's
measures, and shows people's text as text."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import text
from streamlit.testing.v1 import AppTest

from monitoring import measures, services
from monitoring.ui.navigation import spec_for
from tests.conftest import ROOT, make_app, scalar

USERS = {
    "admin": "admin@northbridge.example",
    "board": "board@northbridge.example",
    "assurer": "assurer@northbridge.example",
    "agency_lead": "police.lead@northbridge.example",
    "viewer": "viewer@northbridge.example",
}
PAGE = "app_pages/measures.py"


def ok(at):
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.mark.parametrize("role", list(USERS))
def test_renders_for_each_role(role, demo_engine, app_env):
    if role not in spec_for("measures.py").roles:
        # not registered for the role: the page file run directly refuses it
        at = AppTest.from_file(str(ROOT / PAGE), default_timeout=60)
        at.user = {"email": USERS[role], "is_logged_in": True}
        ok(at.run())
        assert [t.value for t in at.title] == ["Not available"]
        assert not at.dataframe
        return
    at = ok(make_app(USERS[role], page=PAGE))
    assert at.title[0].value == "Measures: did practice change?"
    table = at.dataframe[0].value
    assert len(table) == scalar(demo_engine, "select count(*) from measure")
    writes = role in ("admin", "agency_lead")
    assert ("Save the value" in [b.label for b in at.button]) == writes


def test_as_at_equals_the_pack_as_at_the_meeting(demo_engine, app_env):
    held_on = date.fromisoformat(scalar(demo_engine, "select max(held_on) from meeting"))
    at = ok(make_app(USERS["board"], page=PAGE, query_params={"as_at": held_on.isoformat()}))
    shown = at.dataframe[0].value.reset_index(drop=True)
    with demo_engine.connect() as conn:
        pack = measures.display_table(measures.pack_measures(conn, held_on))
    assert shown.equals(pack)
    # each chart as at that date holds only the values recorded by the end of that day
    recorded = scalar(
        demo_engine,
        "select count(distinct measure_id || '/' || period_end) from measure_observation "
        "where recorded_at < :end and period_end <= :day",
        end=(held_on + timedelta(days=1)).isoformat(),
        day=held_on.isoformat(),
    )
    assert shown["Values"].sum() == recorded
    assert recorded < scalar(
        demo_engine,
        "select count(distinct measure_id || '/' || period_end) from measure_observation",
    )


def test_a_lead_records_a_value_for_their_agencys_measure(demo_engine, app_env):
    at = ok(make_app(USERS["agency_lead"], page=PAGE))
    box = at.selectbox[0]
    with demo_engine.connect() as conn:
        police = conn.execute(
            text(
                "select m.name, v.ref from measure m join recommendation r "
                "on r.id = m.recommendation_id join review v on v.id = r.review_id "
                "where m.agency_id = 1"
            )
        ).all()
    assert len(police) >= 2
    assert sorted(box.options) == sorted(f"{n} ({ref})" for n, ref in police)
    before = scalar(demo_engine, "select count(*) from measure_observation")
    box.set_value(3)  # the police's count of young people missing twice
    at.date_input[0].set_value(date(2020, 1, 31))
    at.number_input[0].set_value(3.0)
    next(b for b in at.button if b.label == "Save the value").click()
    ok(at.run())
    assert scalar(demo_engine, "select count(*) from measure_observation") == before + 1
    row = (
        demo_engine.connect()
        .execute(
            text(
                "select m.agency_id, o.recorded_by from measure_observation o join measure m "
                "on m.id = o.measure_id where o.period_end = '2020-01-31'"
            )
        )
        .one()
    )
    assert tuple(row) == (1, USERS["agency_lead"])
    assert (
        scalar(
            demo_engine,
            "select measure_id from measure_observation where period_end = '2020-01-31'",
        )
        == 3
    )
    assert any("Saved" in s.value for s in at.success)


def test_people_text_is_shown_as_text(demo_engine, app_env):
    name = "**Bold** <b>claim</b> [link](https://example.com)"
    measures.add_measure(
        demo_engine,
        services.Actor.system(),
        name=name,
        recommendation_id=1,
        agency_id=2,
        numerator="_under_ <i>x</i>",
        unit="count",
    )
    at = ok(make_app(USERS["board"], page=PAGE))
    assert name in at.dataframe[0].value["Measure"].tolist()
    assert any("_under_ <i>x</i>" in t.value for t in at.text)
    for block in at.markdown:
        assert "Bold" not in block.value and "_under_" not in block.value


def test_overview_line_counts_measures(demo_engine, app_env):
    at = ok(make_app(USERS["board"], page="app_pages/overview.py"))
    with demo_engine.connect() as conn:
        counts = measures.overview_counts(conn)
    line = next(c.value for c in at.caption if c.value.startswith("Impact measures"))
    assert line == (
        f"Impact measures: {counts.improving} improving, {counts.concerning} concerning, "
        f"{counts.no_change} no significant change (see Measures)."
    )
    assert counts.total == scalar(demo_engine, "select count(*) from measure")
    # A viewer reads published material only: no measures, not even their counts.
    viewer = ok(make_app(USERS["viewer"], page="app_pages/overview.py"))
    assert not [c for c in viewer.caption if c.value.startswith("Impact measures")]


def test_a_lead_adds_a_measure_owned_by_their_agency(demo_engine, app_env):
    at = ok(make_app(USERS["agency_lead"], page=PAGE))
    before = scalar(demo_engine, "select count(*) from measure")
    name_box = next(t for t in at.text_input if t.label == "Name")
    name_box.input("Return home interviews within 72 hours")
    next(s for s in at.selectbox if s.label == "Or a theme").set_value(1)
    next(b for b in at.button if b.label == "Add the measure").click()
    ok(at.run())
    assert scalar(demo_engine, "select count(*) from measure") == before + 1
    assert (
        scalar(
            demo_engine,
            "select agency_id from measure where name = 'Return home interviews within 72 hours'",
        )
        == 1
    )
    assert any("Measure added" in s.value for s in at.success)


def test_a_change_recorded_starts_new_limits(demo_engine, app_env):
    at = ok(make_app(USERS["admin"], page=PAGE))
    box = next(s for s in at.selectbox if s.key == "change_measure")
    box.set_value(2)
    next(d for d in at.date_input if d.label == "From the period ending").set_value(
        date(2026, 1, 31)
    )
    next(t for t in at.text_input if t.label == "What changed").input("Triage tool introduced")
    next(b for b in at.button if b.label == "Record the change").click()
    ok(at.run())
    assert scalar(demo_engine, "select change_from from measure where id = 2") == "2026-01-31"
    with demo_engine.connect() as conn:
        view = next(v for v in measures.measure_views(conn) if v.measure["id"] == 2)
    assert len(view.chart.parts) == 2
    assert scalar(demo_engine, "select version from measure where id = 2") == 2
