"""Issue 19's invariants over the demo and the meeting pack, each checked against independent SQL:

- a recommendation that is not being implemented (not accepted, closed as unacceptable or
  superseded, or every action closed as not implemented or superseded) is never counted as
  assured nor listed as ready for assurance: on the Overview's figures, the review register,
  the pack's figures, its "proposed for closure or assurance" list and its decisions;
- escalation is computed when read by the ladder rule (90 or more days overdue reaches the
  board), whatever the ``escalation`` table holds: the PDF once said "no action has been
  escalated" while 5 actions were 99-421 days overdue.

The edge cases of both rules, Python against SQL, are in ``tests/test_rule_twins.py``.
"""

from __future__ import annotations

import io
from datetime import date, timedelta

from pypdf import PdfReader
from sqlalchemy import text

from monitoring import exports, queries, reads, rollups, rules, services
from monitoring.source import source
from tests.conftest import ANCHOR
from tests.test_asat import STATE, params

ADMIN = services.Actor("admin@northbridge.example", "admin")
OPEN = "status in ('not_started','in_progress')"
NOT_DELIVERED = """
    r.response_status = 'not_accepted'
    or r.assurance_status in ('closed_unacceptable', 'superseded')
    or (exists (select 1 from action a where a.recommendation_id = r.id)
        and not exists (select 1 from action a where a.recommendation_id = r.id
                        and a.status not in ('not_implemented', 'superseded')))
"""


def rows(engine, query, **kw):
    with engine.connect() as conn:
        return conn.execute(text(query), kw).all()


def assured_ids(engine) -> set[int]:
    return {
        r[0]
        for r in rows(
            engine,
            f"select r.id from recommendation r where r.assurance_status = 'assured'"
            f" and not ({NOT_DELIVERED})",
        )
    }


def ready_items(engine) -> set[tuple[str, str]]:
    return {
        (ref, f"Recommendation {number}")
        for ref, number in rows(
            engine,
            "select v.ref, r.number from recommendation r join review v on v.id = r.review_id"
            f" where r.assurance_status = 'ready_for_assessment' and not ({NOT_DELIVERED})",
        )
    }


def not_delivered_items(engine) -> set[tuple[str, str]]:
    return {
        (ref, f"Recommendation {number}")
        for ref, number in rows(
            engine,
            "select v.ref, r.number from recommendation r join review v on v.id = r.review_id"
            f" where {NOT_DELIVERED}",
        )
    }


def live_pack(engine):
    with engine.connect() as conn:
        return exports.build_pack(conn, None)


def check_invariant(engine) -> None:
    """Every figure and list of assured and ready recommendations equals the independent SQL."""
    pack = live_pack(engine)
    with engine.connect() as conn:
        figures = reads.overview(conn, source(ANCHOR))
    assured = len(assured_ids(engine))
    assert pack.figures.assured == figures.assured == assured
    per_review = dict(
        rows(
            engine,
            "select v.id, sum(case when r.assurance_status = 'assured' and not"
            f" ({NOT_DELIVERED}) then 1 else 0 end) from review v"
            " join recommendation r on r.review_id = v.id group by v.id",
        )
    )
    register = pack.reviews.set_index("review_id")
    for review_id, n in per_review.items():
        whole = int(register.loc[review_id, "recommendations"])
        got = register.loc[review_id, "pct_assured"]
        assert got == rules.percentage(int(n), whole), review_id
    listed = pack.for_assurance[pack.for_assurance["kind"] == "Recommendation ready for assurance"]
    ready = set(zip(listed["review_ref"], listed["item"], strict=True))
    assert ready == ready_items(engine)
    decided = pack.decisions[pack.decisions["decision"] == "Assure or return a recommendation"]
    assert set(zip(decided["review_ref"], decided["item"], strict=True)) == ready
    assert not ready & not_delivered_items(engine)


def supersede_delivered_actions(engine, recommendation_id: int) -> None:
    """Close every action of the recommendation not yet withdrawn as superseded (as an admin)."""
    for action_id, version in rows(
        engine,
        "select id, version from action where recommendation_id = :r"
        " and status not in ('not_implemented', 'superseded') order by id",
        r=recommendation_id,
    ):
        services.save_action_update(
            engine,
            ADMIN,
            action_id,
            version=version,
            status="superseded",
            reason="Replaced by the new partnership protocol",
        )


def test_a_withdrawn_recommendation_is_never_assured_nor_ready(demo_engine, monkeypatch):
    monkeypatch.setenv("MONITORING_TODAY", ANCHOR.isoformat())
    check_invariant(demo_engine)
    # the demo holds assured and ready recommendations with one action not implemented: they
    # still count (not every action is withdrawn)
    mixed = rows(
        demo_engine,
        "select r.id, r.assurance_status from recommendation r where r.assurance_status in"
        " ('assured', 'ready_for_assessment') and exists (select 1 from action a where"
        " a.recommendation_id = r.id and a.status = 'not_implemented') order by r.id",
    )
    statuses = dict(mixed)
    assert {"assured", "ready_for_assessment"} <= set(statuses.values())
    assured_rec = next(i for i, s in statuses.items() if s == "assured")
    ready_rec = next(i for i, s in statuses.items() if s == "ready_for_assessment")
    before = live_pack(demo_engine)
    ((ready_ref, ready_number),) = rows(
        demo_engine,
        "select v.ref, r.number from recommendation r join review v on v.id = r.review_id"
        " where r.id = :r",
        r=ready_rec,
    )
    ready_item = (ready_ref, f"Recommendation {ready_number}")
    listed = before.for_assurance[before.for_assurance["kind"].str.startswith("Recommendation")]
    assert ready_item in set(zip(listed["review_ref"], listed["item"], strict=True))

    # every remaining action superseded: the recommendation is withdrawn, so its stored
    # "assured" / "ready for assessment" no longer counts
    supersede_delivered_actions(demo_engine, assured_rec)
    supersede_delivered_actions(demo_engine, ready_rec)
    check_invariant(demo_engine)
    after = live_pack(demo_engine)
    assert after.figures.assured == before.figures.assured - 1
    listed = after.for_assurance[after.for_assurance["kind"].str.startswith("Recommendation")]
    assert ready_item not in set(zip(listed["review_ref"], listed["item"], strict=True))
    assert (
        len(listed)
        == len(before.for_assurance[before.for_assurance["kind"].str.startswith("Recommendation")])
        - 1
    )

    # a not-accepted response withdraws an assured recommendation too
    other = min(assured_ids(demo_engine))
    with demo_engine.begin() as conn:
        conn.execute(
            text("update recommendation set response_status = 'not_accepted' where id = :r"),
            {"r": other},
        )
    with demo_engine.begin() as conn:
        rollups.refresh(conn, ANCHOR)
    check_invariant(demo_engine)
    assert live_pack(demo_engine).figures.assured == after.figures.assured - 1


def escalated_by_rule(engine, day, *, as_at: bool) -> set[int]:
    """Independent SQL: open actions 90 or more days overdue on ``day`` (as they stood then)."""
    cut = (day - timedelta(days=90)).isoformat()
    if as_at:
        return {
            r[0]
            for r in rows(
                engine,
                STATE + f"select id from s where {OPEN} and due_on <= :cut",
                cut=cut,
                **params(day),
            )
        }
    return {
        r[0]
        for r in rows(engine, f"select id from action where {OPEN} and due_on <= :cut", cut=cut)
    }


def test_escalation_is_computed_when_read_not_from_the_reminders_table(demo_engine, monkeypatch):
    monkeypatch.setenv("MONITORING_TODAY", ANCHOR.isoformat())
    assert rows(demo_engine, "select count(*) from escalation")[0][0] == 0  # remind never ran
    # the latest meeting, in the past: its pack reads the records as they stood on its date
    held_on = date.fromisoformat(
        max(r[0] for r in rows(demo_engine, "select held_on from meeting"))
    )
    expected_past = escalated_by_rule(demo_engine, held_on, as_at=True)
    expected_now = escalated_by_rule(demo_engine, ANCHOR, as_at=False)
    assert expected_now, "the demo has actions 90 or more days overdue"
    with demo_engine.connect() as conn:
        past = exports.build_pack(conn, held_on)
        now = exports.build_pack(conn, None)
    assert set(past.escalations["action_id"]) == expected_past
    assert set(now.escalations["action_id"]) == expected_now
    assert (now.escalations["days_overdue"] >= 90).all()
    assert (now.escalations["level"] == 3).all()
    assert list(now.escalations["days_overdue"]) == sorted(
        now.escalations["days_overdue"], reverse=True
    )
    decisions = now.decisions[now.decisions["decision"].str.startswith("Escalated")]
    assert len(decisions) == len(expected_now)
    # the overdue list and the escalations agree: every action 90+ days overdue is escalated
    with demo_engine.connect() as conn:
        overdue = queries.action_list(conn, ANCHOR, view="overdue")
    assert set(overdue[overdue["days_overdue"] >= 90]["action_id"]) == expected_now

    files = exports.write_files(now, ["pdf"])
    words = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(files["pdf"])).pages)
    assert "No action has been escalated" not in words
    assert "Listed for the board (escalation level 3)" in words

    # a recorded notice does not make an action escalated, nor its absence keep one off the list
    not_yet = rows(
        demo_engine,
        f"select id, due_on from action where {OPEN} and due_on > :cut order by due_on limit 1",
        cut=(ANCHOR - timedelta(days=90)).isoformat(),
    )
    assert not_yet, "the demo has open actions less than 90 days overdue"
    action_id, due_on = not_yet[0]
    services.record_escalations(
        demo_engine,
        ADMIN,
        [
            {
                "action_id": action_id,
                "level": 3,
                "level_name": "listed for the board",
                "days_overdue": 90,
                "due_on": due_on,
            }
        ],
        today=ANCHOR,
    )
    assert set(live_pack(demo_engine).escalations["action_id"]) == expected_now


def test_the_annual_report_never_lists_an_assured_recommendation_as_not_implemented(
    demo_engine, monkeypatch
):
    """The issue's pack listed a recommendation as not implemented that also counted as assured:
    the annual report lists each recommendation not being implemented (the rule), and one still
    being implemented with an action closed as not implemented only "in part"."""
    monkeypatch.setenv("MONITORING_TODAY", ANCHOR.isoformat())
    superseded = rows(
        demo_engine,
        "select min(id) from recommendation where assurance_status = 'not_assessed'",
    )[0][0]
    with demo_engine.begin() as conn:
        conn.execute(
            text("update recommendation set assurance_status = 'superseded' where id = :r"),
            {"r": superseded},
        )
    pack = live_pack(demo_engine)
    listed = {
        (r.ref, f"Recommendation {n.number}"): n.reason
        for r in pack.annual
        for n in r.not_implemented.itertuples()
    }
    whole = not_delivered_items(demo_engine)
    assured = {
        (ref, f"Recommendation {number}")
        for ref, number in rows(
            demo_engine,
            "select v.ref, r.number from recommendation r join review v on v.id = r.review_id"
            " where r.assurance_status = 'assured'",
        )
    }
    assert whole and whole <= set(listed)
    in_part = {k for k, reason in listed.items() if reason.startswith("In part")}
    assert in_part, "the demo has assured recommendations with an action not implemented"
    assert in_part == set(listed) - whole
    assert not (set(listed) - in_part) & assured
    (ref_number,) = [
        (ref, f"Recommendation {number}")
        for ref, number in rows(
            demo_engine,
            "select v.ref, r.number from recommendation r join review v on v.id = r.review_id"
            " where r.id = :r",
            r=superseded,
        )
    ]
    assert listed[ref_number] == "Recommendation superseded"
