"""Measures as impact evidence on Assurance (issue 21): the recommendation's detail shows its
measures (latest value, the icons' words, whether the target is met) and its feedback count,
equal to the read models; a recommendation can be assured on a measure that meets its target,
and the audit entry records which measure; History names the new records in words."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from monitoring import agencies, measures, services, worklists
from monitoring.ui import widgets
from tests.conftest import make_app

BOARD = "board@northbridge.example"
ADMIN = services.Actor("admin@northbridge.example", "admin")
PAGE = "app_pages/assurance.py"


def ok(at):
    assert not at.exception, [e.value for e in at.exception]
    return at


def met_recommendation(engine) -> tuple[int, int, int, str]:
    """(review id, recommendation id, measure id, measure name) of a demo measure meeting its
    target."""
    with engine.connect() as conn:
        met = measures.recommendations_meeting_target(conn)
        assert len(met) >= 1
        rec_id, measure_id, name = met.iloc[0]
        review_id = conn.execute(
            text("select review_id from recommendation where id = :i"), {"i": int(rec_id)}
        ).scalar()
    return int(review_id), int(rec_id), int(measure_id), str(name)


def choose(at, review_id: int, rec_id: int):
    at.selectbox(key="assurance_pick_review").set_value(review_id)
    ok(at.run())
    at.selectbox(key="assurance_pick_rec").set_value(rec_id)
    return ok(at.run())


def test_the_recommendation_shows_its_measures_and_feedback(demo_engine, app_env):
    review_id, rec_id, measure_id, name = met_recommendation(demo_engine)
    services_feedback = [
        measures.add_feedback(
            demo_engine,
            ADMIN,
            recommendation_id=rec_id,
            received_on="2026-05-01",
            source="young people",
            summary=f"**Listened to** {n}",
        )
        for n in range(2)
    ]
    assert len(services_feedback) == 2
    at = choose(ok(make_app(BOARD, page=PAGE)), review_id, rec_id)
    shown = at.dataframe[-1].value.reset_index(drop=True)
    with demo_engine.connect() as conn:
        impact = measures.recommendation_impact(conn, rec_id)
        summaries = measures.summaries(conn)
        counts = measures.feedback_counts(conn)
    assert shown.equals(impact.table)
    own = summaries[summaries["recommendation_id"] == rec_id]
    assert list(shown["Measure"]) == list(own["name"])
    assert list(shown["Variation"]) == list(own["variation_text"])
    assert list(shown["Assurance"]) == list(own["assurance_text"])
    assert list(shown["Latest value"]) == [
        measures.value_words(v, u) for v, u in zip(own["latest_value"], own["unit"], strict=True)
    ]
    assert name in set(shown.loc[shown["Target met"] == "Yes", "Measure"])
    assert impact.met == ((measure_id, name),)
    assert counts[rec_id] == impact.feedback >= 2
    assert f"Feedback from children and families: {counts[rec_id]} entries" in [
        t.value for t in at.text
    ]
    with demo_engine.connect() as conn:
        assert measures.has_measure_meeting_target(conn, rec_id)


def test_a_recommendation_without_measures_says_so(demo_engine, app_env):
    with demo_engine.connect() as conn:
        rec_id, review_id = conn.execute(
            text(
                "select id, review_id from recommendation where id not in "
                "(select recommendation_id from measure where recommendation_id is not null) "
                "order by id limit 1"
            )
        ).one()
    at = choose(ok(make_app(BOARD, page=PAGE)), review_id, rec_id)
    assert "This recommendation has no measures." in [c.value for c in at.caption]
    assert "Feedback from children and families: 0 entries" in [t.value for t in at.text]
    assert not [s for s in at.selectbox if s.label.startswith("Assured on a measure")]


def test_assuring_on_a_measure_records_the_measure(demo_engine, app_env):
    review_id, rec_id, measure_id, name = met_recommendation(demo_engine)
    at = choose(ok(make_app(BOARD, page=PAGE)), review_id, rec_id)
    offered = at.selectbox(key=f"rec_measure_{rec_id}")
    assert offered.options == ["No measure", name]
    at.selectbox(key=f"rec_status_{rec_id}").set_value("assured")
    offered.set_value(measure_id)
    at.button(key=f"rec_save_{rec_id}").click()
    ok(at.run())
    with demo_engine.connect() as conn:
        status = conn.execute(
            text("select assurance_status from recommendation where id = :i"), {"i": rec_id}
        ).scalar()
        trail = worklists.audit_trail(conn, "recommendation", rec_id)
    assert status == "assured"
    entry = trail[trail["field"] == "assured_on_measure"]
    assert list(entry["new_value"]) == [f"{name} (measure {measure_id})"]
    assert list(entry["actor"]) == [BOARD]
    shown = widgets.audit_display(trail)
    assert "Assured on the measure" in set(shown["What"])


def test_assuring_on_a_measure_is_checked(demo_engine):
    _, rec_id, measure_id, _ = met_recommendation(demo_engine)
    with demo_engine.connect() as conn:
        version, other = conn.execute(
            text(
                "select version, (select min(id) from measure where id <> :m) "
                "from recommendation where id = :i"
            ),
            {"i": rec_id, "m": measure_id},
        ).one()
        missed = conn.execute(
            text("select id from measure where recommendation_id = :i and id <> :m"),
            {"i": rec_id, "m": measure_id},
        ).all()
    assert not missed  # so ``other`` is another recommendation's measure (or a theme's)
    with pytest.raises(services.ValidationError, match="only as assured"):
        services.assure_recommendation(
            demo_engine, ADMIN, rec_id, "not_assessed", version=version, measure_id=measure_id
        )
    with pytest.raises(services.ValidationError, match=f"measure {other} is not one"):
        services.assure_recommendation(
            demo_engine, ADMIN, rec_id, "assured", version=version, measure_id=other
        )
    with demo_engine.connect() as conn:
        assert not conn.execute(
            text("select count(*) from audit_log where field = 'assured_on_measure'")
        ).scalar()
    row = services.assure_recommendation(
        demo_engine, ADMIN, rec_id, "assured", version=version, measure_id=measure_id
    )
    assert row["assurance_status"] == "assured"


def test_history_names_every_audited_record_in_words(demo_engine):
    """Every entity in the audit log after the demo and the new writes (a measure, a value, a
    feedback entry, an agency merge) has words on History."""
    with demo_engine.connect() as conn:
        rec_id = conn.execute(text("select min(id) from recommendation")).scalar()
        keep, merged = conn.execute(text("select id from agency order by id limit 2")).scalars()
    measure_id = measures.add_measure(
        demo_engine,
        ADMIN,
        name="Audits graded good",
        unit="percent",
        better="up",
        frequency="monthly",
        source="audit",
        agency_id=1,
        recommendation_id=rec_id,
    )
    measures.add_observation(demo_engine, ADMIN, measure_id, period_end="2026-05-31", value=50)
    agencies.merge_agencies(demo_engine, ADMIN, keep, [merged])
    measures.add_feedback(
        demo_engine,
        ADMIN,
        recommendation_id=rec_id,
        received_on="2026-05-01",
        source="families",
        summary="Felt heard",
    )
    with demo_engine.connect() as conn:
        entities = {e for (e,) in conn.execute(text("select distinct entity from audit_log"))}
    assert {"measure", "measure_observation", "feedback", "agency"} <= entities
    assert entities <= set(widgets.ENTITY_LABELS), entities - set(widgets.ENTITY_LABELS)
    for code in ("measure", "measure_observation", "feedback", "agency_alias", "agency"):
        assert "_" not in widgets.ENTITY_LABELS[code]


def test_the_review_detail_lists_each_recommendations_measures(demo_engine, app_env):
    review_id, _, _, _ = met_recommendation(demo_engine)
    at = ok(make_app(BOARD, page="app_pages/reviews.py"))
    at.selectbox(key="review_detail").set_value(review_id)
    ok(at.run())
    with demo_engine.connect() as conn:
        table = measures.summaries(conn)
    own = table[table["review_id"] == review_id]
    assert len(own) >= 2
    shown = [t.value for t in at.text if t.value.startswith("Measures (latest value;")]
    expected = []
    for rec_id in dict.fromkeys(own["recommendation_id"]):
        words = measures.display_table(own[own["recommendation_id"] == rec_id])
        expected.append(
            "Measures (latest value; variation; assurance):\n"
            + "\n".join(
                f"{name}: {value}; {variation}; {assurance}"
                for name, value, variation, assurance in zip(
                    words["Measure"],
                    words["Latest value"],
                    words["Variation"],
                    words["Assurance"],
                    strict=True,
                )
            )
        )
    assert sorted(shown) == sorted(expected)
