"""Impact measures (monitoring.measures): writes through the write core, as-at reads, the demo's
charts against an independent calculation, import, feedback, and the pack's page of measures."""

from __future__ import annotations

import io
import statistics
from datetime import date, timedelta

import openpyxl
import pytest

from monitoring import db, measures, services, spc
from tests.conftest import ANCHOR, rows, scalar

ADMIN = services.Actor("admin@northbridge.example", "admin", user_id=1)
POLICE_LEAD = services.Actor("police.lead@northbridge.example", "agency_lead", agency_id=1)
CSC_LEAD = services.Actor("csc.lead@northbridge.example", "agency_lead", agency_id=2)
BOARD = services.Actor("board@northbridge.example", "board")

DEVICES, MISSING, AUDITS, STRATEGY = 2, 3, 4, 1
"""Demo measure ids (monitoring.measures_demo): deterioration, common cause, change, improvement."""


def summaries(engine, as_at=None):
    with engine.connect() as conn:
        return measures.summaries(conn, as_at).set_index("measure_id")


def independent(values):
    mean = statistics.fmean(values)
    mr = statistics.fmean(abs(b - a) for a, b in zip(values, values[1:], strict=False))
    return mean, mean - 2.66 * mr, mean + 2.66 * mr


# --- the demo ---------------------------------------------------------------------------------


def test_demo_measures_have_18_to_24_monthly_values(demo_engine):
    counts = rows(
        demo_engine,
        "select m.id, count(distinct o.period_end) from measure m join measure_observation o "
        "on o.measure_id = m.id where m.frequency = 'monthly' group by m.id",
    )
    assert len(counts) >= 3
    assert all(18 <= n <= 24 for _, n in counts)
    assert scalar(demo_engine, "select count(*) from feedback") >= 3


def test_demo_limits_equal_an_independent_calculation(demo_engine):
    table = summaries(demo_engine)
    for measure_id in (DEVICES, STRATEGY):  # no change recorded: one set of limits
        values = [
            v
            for (v,) in rows(
                demo_engine,
                "select value from measure_observation where measure_id = :m order by period_end",
                m=measure_id,
            )
        ]
        mean, lower, upper = independent(values)
        assert table.loc[measure_id, "mean"] == pytest.approx(mean, abs=1e-3)
        assert table.loc[measure_id, "lower_limit"] == pytest.approx(lower, abs=1e-3)
        assert table.loc[measure_id, "upper_limit"] == pytest.approx(upper, abs=1e-3)
    # a recorded change: the latest limits come from the periods since the change only
    change_from = scalar(demo_engine, "select change_from from measure where id = :m", m=AUDITS)
    after = [
        v
        for (v,) in rows(
            demo_engine,
            "select value from measure_observation where measure_id = :m and period_end >= :c "
            "order by period_end",
            m=AUDITS,
            c=change_from,
        )
    ]
    mean, lower, upper = independent(after)
    assert table.loc[AUDITS, "mean"] == pytest.approx(mean, abs=1e-3)
    assert table.loc[AUDITS, "upper_limit"] == pytest.approx(upper, abs=1e-3)


def test_demo_shows_improvement_deterioration_and_noise(demo_engine):
    table = summaries(demo_engine)
    assert table.loc[STRATEGY, "variation"] == "improving_high"
    assert table.loc[STRATEGY, "summary"] == (
        "improving, special cause; target not consistently met"
    )
    assert table.loc[DEVICES, "variation"] == "concerning_low"
    assert table.loc[DEVICES, "assurance"] == "fail"
    assert table.loc[MISSING, "variation"] == "common_cause"
    assert table.loc[AUDITS, "assurance"] == "pass"
    # worst first: the concerning measure leads, the improving one comes last
    assert list(table.index)[0] == DEVICES
    assert list(table.index)[-1] == STRATEGY
    with demo_engine.connect() as conn:
        counts = measures.overview_counts(conn)
    assert (counts.improving, counts.concerning) == (1, 1)
    assert counts.no_change == scalar(demo_engine, "select count(*) from measure") - 2


def test_assured_on_a_measure(demo_engine):
    with demo_engine.connect() as conn:
        met = measures.recommendations_meeting_target(conn)
        assert list(met["measure_id"]) == [AUDITS]
        rec = int(met["recommendation_id"].iloc[0])
        assert measures.has_measure_meeting_target(conn, rec)
        assert not measures.has_measure_meeting_target(conn, 2)  # devices: target not met
        counts = measures.feedback_counts(conn)
    assert counts == dict(
        rows(demo_engine, "select recommendation_id, count(*) from feedback group by 1")
    )


# --- as at ------------------------------------------------------------------------------------


def test_as_at_shows_only_values_recorded_by_then(demo_engine):
    as_at = ANCHOR - timedelta(days=100)
    recorded = rows(
        demo_engine,
        "select distinct period_end from measure_observation where measure_id = :m "
        "and recorded_at < :end order by period_end",
        m=DEVICES,
        end=(as_at + timedelta(days=1)).isoformat(),
    )
    with demo_engine.connect() as conn:
        frame = measures.observations(conn, (DEVICES,), as_at)
        views = {v.measure["id"]: v for v in measures.measure_views(conn, as_at)}
    assert [p for (p,) in recorded] == list(frame["period_end"])
    assert len(frame) < scalar(
        demo_engine, "select count(*) from measure_observation where measure_id = :m", m=DEVICES
    )
    # the chart drawn as at that date has exactly those points
    assert len(views[DEVICES].chart.points) == len(frame)
    assert all(p <= as_at.isoformat() for p in frame["period_end"])


def test_as_at_a_correction_shows_what_was_known_then(demo_engine):
    first, second = rows(
        demo_engine,
        "select period_end, value, recorded_at from measure_observation where measure_id = :m "
        "and period_end in (select period_end from measure_observation where version = 2) "
        "order by version",
        m=MISSING,
    )
    before = date.fromisoformat(second[2][:10]) - timedelta(days=1)
    with demo_engine.connect() as conn:
        then = measures.observations(conn, (MISSING,), before).set_index("period_end")
        now = measures.observations(conn, (MISSING,)).set_index("period_end")
    assert then.loc[first[0], "value"] == first[1] == 19
    assert now.loc[first[0], "value"] == second[1] == 15
    assert now.loc[first[0], "version"] == 2


def test_a_measure_created_later_is_left_out_as_at(demo_engine):
    new_id = measures.add_measure(
        demo_engine, ADMIN, name="New measure", recommendation_id=1, agency_id=2, unit="count"
    )
    past = summaries(demo_engine, ANCHOR - timedelta(days=1))
    assert new_id not in past.index
    assert new_id in summaries(demo_engine).index


# --- writes: permission, validation, versions, audit ------------------------------------------


def observation_count(engine, measure_id):
    return scalar(
        engine, "select count(*) from measure_observation where measure_id = :m", m=measure_id
    )


def test_a_lead_records_values_only_for_their_agencys_measures(demo_engine):
    day = ANCHOR.replace(day=1) - timedelta(days=1)  # already has a value: use a new period
    new_period = "2020-01-31"
    written = measures.add_observation(
        demo_engine, POLICE_LEAD, DEVICES, period_end=new_period, numerator=30, denominator=40
    )
    assert written["value"] == 75.0 and written["version"] == 1
    assert written["recorded_by"] == POLICE_LEAD.email
    before = observation_count(demo_engine, STRATEGY)  # owned by children's social care
    for actor in (POLICE_LEAD, BOARD):
        with pytest.raises(services.PermissionDenied):
            measures.add_observation(demo_engine, actor, STRATEGY, period_end=new_period, value=50)
    assert observation_count(demo_engine, STRATEGY) == before
    measures.add_observation(demo_engine, CSC_LEAD, STRATEGY, period_end=new_period, value=50)
    measures.add_observation(demo_engine, ADMIN, STRATEGY, period_end="2020-02-29", value=51)
    assert observation_count(demo_engine, STRATEGY) == before + 2
    # the period already has a value: a correction is needed, not a second value
    with pytest.raises(services.ValidationError, match="already has a value"):
        measures.add_observation(demo_engine, ADMIN, DEVICES, period_end=day, value=50)
    audit = rows(
        demo_engine,
        "select actor, field, new_value from audit_log where entity = 'measure_observation' "
        "and entity_id = :i order by id",
        i=written["id"],
    )
    assert ("police.lead@northbridge.example", "value", "75.0") in audit


def test_a_correction_is_a_new_version_and_checks_the_version(demo_engine):
    period = "2020-03-31"
    first = measures.add_observation(demo_engine, ADMIN, MISSING, period_end=period, value=12)
    second = measures.correct_observation(
        demo_engine, POLICE_LEAD, MISSING, period_end=period, version=1, value=13
    )
    assert second["version"] == 2 and second["id"] != first["id"]
    with pytest.raises(services.VersionConflict):
        measures.correct_observation(
            demo_engine, ADMIN, MISSING, period_end=period, version=1, value=14
        )
    assert rows(
        demo_engine,
        "select version, value from measure_observation where measure_id = :m "
        "and period_end = :p order by version",
        m=MISSING,
        p=period,
    ) == [(1, 12.0), (2, 13.0)]
    with pytest.raises(services.NotFound):
        measures.correct_observation(
            demo_engine, ADMIN, MISSING, period_end="2019-01-31", version=None, value=1
        )


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"value": 101}, "at most 100"),
        ({"value": -1}, "0 or more"),
        ({"value": "lots"}, "expected a number"),
        ({"numerator": 5}, "give both"),
        ({"numerator": 5, "denominator": 0}, "above 0"),
        ({"numerator": 6, "denominator": 5}, "between 0 and the denominator"),
        ({"value": 80, "numerator": 1, "denominator": 2}, "does not match"),
        ({}, "value: required"),
    ],
)
def test_bad_values_are_refused_with_the_field_named(demo_engine, values, message):
    before = observation_count(demo_engine, DEVICES)
    with pytest.raises(services.ValidationError, match=message):
        measures.add_observation(demo_engine, ADMIN, DEVICES, period_end="2020-01-31", **values)
    assert observation_count(demo_engine, DEVICES) == before


def test_a_count_is_whole_and_a_future_period_is_refused(demo_engine):
    with pytest.raises(services.ValidationError, match="whole number"):
        measures.add_observation(demo_engine, ADMIN, MISSING, period_end="2020-01-31", value=2.5)
    future = date.today() + timedelta(days=40)
    with pytest.raises(services.ValidationError, match="in the future"):
        measures.add_observation(demo_engine, ADMIN, MISSING, period_end=future, value=2)


def test_add_and_edit_a_measure(demo_engine):
    with pytest.raises(services.PermissionDenied):
        measures.add_measure(
            demo_engine, POLICE_LEAD, name="Not ours", recommendation_id=1, agency_id=2
        )
    with pytest.raises(services.ValidationError, match="recommendation or a theme"):
        measures.add_measure(demo_engine, ADMIN, name="Nowhere", agency_id=1)
    with pytest.raises(services.ValidationError, match="unit"):
        measures.add_measure(
            demo_engine, ADMIN, name="x", recommendation_id=1, agency_id=1, unit="furlongs"
        )
    new_id = measures.add_measure(
        demo_engine,
        POLICE_LEAD,
        name="Strategy meetings attended by police",
        theme_id=1,
        agency_id=1,
        unit="percent",
        better="up",
        target_value=90,
    )
    row = measures.edit_measure(demo_engine, POLICE_LEAD, new_id, version=1, target_value=95)
    assert row["version"] == 2 and row["target_value"] == 95
    with pytest.raises(services.VersionConflict):
        measures.edit_measure(demo_engine, POLICE_LEAD, new_id, version=1, target_value=96)
    with pytest.raises(services.PermissionDenied):  # cannot hand it to another agency
        measures.edit_measure(demo_engine, POLICE_LEAD, new_id, version=2, agency_id=2)
    with pytest.raises(services.PermissionDenied):
        measures.edit_measure(demo_engine, CSC_LEAD, new_id, version=2, target_value=1)
    assert rows(
        demo_engine,
        "select field, old_value, new_value from audit_log where entity = 'measure' "
        "and entity_id = :i and field = 'target_value'",
        i=new_id,
    ) == [("target_value", None, "90.0"), ("target_value", "90.0", "95.0")]


def test_feedback_by_leads_of_the_recommendation_only(demo_engine):
    # recommendation 2 (digital investigation) is led by the police only
    fid = measures.add_feedback(
        demo_engine,
        POLICE_LEAD,
        2,
        received_on="2026-05-01",
        source="Young people's group",
        summary="They said it was quicker.",
    )
    with pytest.raises(services.PermissionDenied, match="recommendations your agency"):
        measures.add_feedback(
            demo_engine, CSC_LEAD, 2, received_on="2026-05-01", source="x", summary="y"
        )
    with pytest.raises(services.PermissionDenied):
        measures.add_feedback(
            demo_engine, BOARD, 2, received_on="2026-05-01", source="x", summary="y"
        )
    with pytest.raises(services.ValidationError, match="summary: required"):
        measures.add_feedback(
            demo_engine, ADMIN, 2, received_on="2026-05-01", source="x", summary=" "
        )
    with demo_engine.connect() as conn:
        entries = measures.feedback_entries(conn, 2)
    assert list(entries["id"]) == [fid]
    assert entries["summary"].iloc[0] == "They said it was quicker."


# --- import -----------------------------------------------------------------------------------


def test_import_csv_writes_values_and_corrections(demo_engine):
    existing = scalar(
        demo_engine,
        "select max(period_end) from measure_observation where measure_id = :m",
        m=DEVICES,
    )
    data = (
        "Period,Value,Numerator,Denominator\n"
        "31/01/2020,75,30,40\n"
        "February 2020,,20,40\n"
        f"{existing},50,,\n"
    ).encode()
    before = observation_count(demo_engine, DEVICES)
    written = measures.import_observations(demo_engine, POLICE_LEAD, DEVICES, data, "v.csv")
    assert [(w["period_end"], w["value"], w["version"]) for w in written] == [
        ("2020-01-31", 75.0, 1),
        ("2020-02-29", 50.0, 1),
        (existing, 50.0, 2),
    ]
    assert observation_count(demo_engine, DEVICES) == before + 3


def test_import_with_problems_names_rows_and_columns_and_writes_nothing(demo_engine):
    data = (
        b"Month,Result,Numerator,Denominator\n"
        b"2020-01-31,75,30,40\n"
        b"not a date,70,,\n"
        b"2020-03-31,170,,\n"
        b"2020-01-31,60,,\n"
        b"2020-04-30,60,7,\n"
    )
    before = observation_count(demo_engine, DEVICES)
    with pytest.raises(measures.ObservationImportError) as caught:
        measures.import_observations(demo_engine, ADMIN, DEVICES, data, "v.csv")
    problems = caught.value.problems
    assert problems[0].startswith("row 3, column A (period): 'not a date' is not a date")
    assert problems[1] == "row 4, column B (value): a percentage is at most 100, got 170."
    assert problems[2].startswith("row 5, column A (period): 2020-01-31 is also on row 2")
    assert problems[3].startswith("row 6, column C (numerator): give both")
    assert len(problems) == 4
    assert observation_count(demo_engine, DEVICES) == before


def test_import_xlsx_and_missing_columns(demo_engine):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Period end", "Value"])
    sheet.append([date(2020, 1, 31), 12])
    sheet.append([date(2020, 2, 29), 9])
    buffer = io.BytesIO()
    book.save(buffer)
    written = measures.import_observations(
        demo_engine, POLICE_LEAD, MISSING, buffer.getvalue(), "v.xlsx"
    )
    assert [w["value"] for w in written] == [12.0, 9.0]
    with pytest.raises(measures.ObservationImportError, match="no value column"):
        measures.import_observations(demo_engine, ADMIN, MISSING, b"Period,Amount\n", "v.csv")
    with pytest.raises(services.PermissionDenied):
        measures.import_observations(demo_engine, CSC_LEAD, MISSING, buffer.getvalue(), "v.xlsx")


# --- the pack ---------------------------------------------------------------------------------


def test_pack_measures_are_the_summaries_as_at_the_meeting(demo_engine, monkeypatch):
    monkeypatch.setenv("MONITORING_TODAY", ANCHOR.isoformat())
    held_on = date.fromisoformat(scalar(demo_engine, "select max(held_on) from meeting"))
    with demo_engine.connect() as conn:
        pack = measures.pack_measures(conn, held_on)
        page = measures.summaries(conn, held_on)
        now = measures.summaries(conn).set_index("measure_id")
        # a meeting today (or later) reads the records now, like the page with no "As at"
        assert measures.pack_measures(conn, ANCHOR).equals(measures.summaries(conn))
        assert measures.pack_measures(conn, None).equals(measures.summaries(conn))
    assert pack.equals(page)
    later = now.loc[pack["measure_id"], "points"].to_numpy()
    assert (pack["points"].to_numpy() <= later).all()
    assert (pack["points"].to_numpy() < later).any()


def test_the_tables_are_copied_and_reset_with_the_rest(demo_engine):
    # copy and the demo loader walk db.metadata: the new tables are part of it
    assert {"measure", "measure_observation", "feedback"} <= set(db.metadata.tables)
    assert db.table_counts(demo_engine)["measure"] == len(
        rows(demo_engine, "select id from measure")
    )


def test_chart_reads_the_same_values_as_spc(demo_engine):
    with demo_engine.connect() as conn:
        view = next(v for v in measures.measure_views(conn) if v.measure["id"] == DEVICES)
    direct = spc.xmr(list(view.frame["value"]))
    assert direct == view.chart


def test_filters_by_owning_agency_review_and_theme(demo_engine):
    from monitoring.queries import Filters

    with demo_engine.connect() as conn:
        police = measures.summaries(conn, None, Filters(agency_ids=(1,)))
        kieran = measures.summaries(conn, None, Filters(review_ids=(1,)))
        themed = measures.summaries(conn, None, Filters(theme_ids=(1,)))  # technology-assisted
    assert set(police["measure_id"]) == {
        i for (i,) in rows(demo_engine, "select id from measure where agency_id = 1")
    }
    assert set(kieran["review_id"]) == {1} and len(kieran) == len(
        rows(
            demo_engine,
            "select m.id from measure m join recommendation r on r.id = m.recommendation_id "
            "where r.review_id = 1",
        )
    )
    assert set(themed["recommendation_id"]) == {
        r
        for (r,) in rows(
            demo_engine,
            "select distinct m.recommendation_id from measure m join recommendation_theme t "
            "on t.recommendation_id = m.recommendation_id where t.theme_id = 1",
        )
    }
