"""Changes since the last meeting, two faults a fresh user found (on both backends):

1. With no earlier meeting the changes list ran from 1900 and listed every action overdue today
   as "newly overdue" (522 lines on the real PFD data set), burying the real changes. Now there
   are no "newly overdue" rows without a baseline meeting; the real changes and the import's
   baseline line stay, the headline count equals the list, and the words say so.
2. A meeting covers its whole day, so a change saved on its day after it was recorded counts as
   before it and is in no later list. The rule stays; the Meetings page, the Meeting pack page
   and the pack now say how many such changes there were.
"""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta

import pytest
from pptx import Presentation
from sqlalchemy import text

from monitoring import changes, config, importer, reads, services
from monitoring.exports import deck, layout
from monitoring.exports import pack as pack_module
from monitoring.queries import Filters
from monitoring.source import FULL_SCOPE, Scope, Source
from tests.conftest import ANCHOR, REALDATA, make_app, scalar

PFD = REALDATA / "pfd" / "pfd_recipient_statuses.csv"
ADMIN = services.Actor.system("test")
BOARD = services.Actor(email="board@northbridge.example", role="board")
LEAD_EMAIL = "police.lead@northbridge.example"
OPEN = "a.status in ('not_started', 'in_progress')"


def ok(at):
    assert not at.exception, [e.value for e in at.exception]
    return at


# --- 1. no earlier meeting: no "newly overdue" ---------------------------------------------------


@pytest.mark.usefixtures("shared_data")
def test_no_meeting_after_an_import_lists_real_changes_without_newly_overdue(
    engine, app_env, monkeypatch
):
    today = date(2026, 12, 1)
    monkeypatch.setenv("MONITORING_TODAY", today.isoformat())
    importer.import_path(PFD, engine, preset="pfd", as_of=date(2026, 1, 31))
    overdue_id = scalar(
        engine,
        f"select a.id from action a where {OPEN} and a.status = 'not_started'"
        " and a.due_on < :t order by a.id limit 1",
        t=today.isoformat(),
    )
    assert overdue_id is not None
    services.save_action_update(engine, ADMIN, overdue_id, version=None, status="in_progress")

    with engine.connect() as conn:
        found = changes.changes_between(conn, pack_module.EARLIEST, today)
        pack = pack_module.build_pack(conn, None, annual=False)
        head = pack_module.headline(conn, None)
        listed = pack_module.pack_list(conn, None, "changes")
    # hundreds of actions are overdue today (they were each "newly overdue since 1900")
    assert pack.baseline is None
    assert pack.figures.overdue > 100
    assert found["kind"].value_counts().to_dict() == {"baseline": 1, "status_change": 1}
    change = found[found["kind"] == "status_change"].iloc[0]
    assert int(change["action_id"]) == overdue_id and change["at"] == today
    assert change["detail"] == "Status changed from Not started to In progress."
    # the pack, its page's headline and the list its tile opens say the same
    assert pack.changes.equals(found)
    assert head.changes == len(pack.changes) == len(listed) == 2
    # the words where the list is shown
    assert pack.changes_note == changes.NO_BASELINE_NOTE
    intro = layout.changes_section(pack).intro
    assert intro == f"2 changes. {changes.NO_BASELINE_NOTE}"
    # the Meeting pack page (it needs a meeting: one today, so the next has no earlier one):
    # the same count on its tile, the same words in its caption
    services.create_user(engine, ADMIN, "board@pfd.example", "Board Member", "board")
    services.create_meeting(engine, BOARD, today, "First board meeting with the monitor")
    at = ok(make_app("board@pfd.example", page="app_pages/meeting_pack.py"))
    assert {m.label: m.value for m in at.metric}["Changes since the baseline"] == "2"
    assert f"Figures as at 1 Dec 2026. {changes.NO_BASELINE_NOTE}" in [c.value for c in at.caption]


def test_with_a_baseline_meeting_newly_overdue_is_still_listed(demo_engine, monkeypatch):
    monkeypatch.setenv("MONITORING_TODAY", ANCHOR.isoformat())
    since = ANCHOR - timedelta(days=30)
    with demo_engine.connect() as conn:
        found = changes.changes_between(conn, since, ANCHOR)
        expected = scalar(
            demo_engine,
            f"select count(*) from action a where {OPEN} and a.due_on >= :s and a.due_on < :t",
            s=since.isoformat(),
            t=ANCHOR.isoformat(),
        )
    assert expected > 0
    assert (found["kind"] == "newly_overdue").sum() == expected


# --- 2. changes saved on a meeting's day after it was recorded -----------------------------------


def _lead_and_action(engine) -> tuple[services.Actor, int]:
    """The police lead and an open action of theirs in a published review."""
    lead = engine.connect().execute(
        text("select id, agency_id from app_user where email = :e"), {"e": LEAD_EMAIL}
    )
    user_id, agency_id = lead.one()
    action_id = scalar(
        engine,
        "select a.id from action a join review r on r.id = a.review_id"
        f" where {OPEN} and a.status = 'not_started' and a.lead_agency_id = :g"
        " and r.published_on is not null and r.published_on <= :t order by a.id limit 1",
        g=agency_id,
        t=ANCHOR.isoformat(),
    )
    assert action_id is not None
    actor = services.Actor(
        email=LEAD_EMAIL, role="agency_lead", agency_id=agency_id, user_id=user_id
    )
    return actor, action_id


def _counts(engine, agency_id: int) -> dict[str, int]:
    other = scalar(engine, "select min(id) from agency where id <> :g", g=agency_id)
    readers = {
        "board": Source(today=ANCHOR, scope=FULL_SCOPE),
        "viewer": Source(today=ANCHOR, scope=Scope("viewer")),
        "other agency filter": Source(today=ANCHOR, filters=Filters(agency_ids=(other,))),
    }
    with engine.connect() as conn:
        out = {"all": changes.saved_after_meeting(conn, ANCHOR)}
        for name, src in readers.items():
            out[name] = reads.saved_after_meeting(conn, src, ANCHOR)
    return out


@pytest.mark.parametrize("saved", ["after", "before"])
def test_a_save_on_the_meeting_day_after_it_was_recorded_is_counted_and_shown(
    demo_engine, app_env, monkeypatch, saved
):
    lead, action_id = _lead_and_action(demo_engine)
    with demo_engine.connect() as conn:
        assert changes.saved_after_meeting(conn, ANCHOR) == 0  # no meeting on ANCHOR yet
    real_now = datetime.now(UTC)
    if saved == "before":
        services.save_action_update(
            demo_engine,
            lead,
            action_id,
            version=None,
            status="in_progress",
            now=real_now - timedelta(minutes=5),
        )
    services.create_meeting(demo_engine, BOARD, ANCHOR, "Partnership board (June 2026)")
    if saved == "after":
        services.save_action_update(
            demo_engine,
            lead,
            action_id,
            version=None,
            status="in_progress",
            now=real_now + timedelta(minutes=5),
        )
    assert config.today() == ANCHOR  # the save is dated on the meeting's day
    assert (
        scalar(
            demo_engine,
            "select count(*) from action_update where action_id = :a and effective_on = :d"
            " and status = 'in_progress'",
            a=action_id,
            d=ANCHOR.isoformat(),
        )
        == 1
    )
    expected = 1 if saved == "after" else 0
    counts = _counts(demo_engine, lead.agency_id)
    assert counts == {
        "all": expected,
        "board": expected,
        "viewer": expected,  # a published review's action
        "other agency filter": 0,
    }
    # the rule is unchanged: the save belongs to the meeting, not to the changes after it
    with demo_engine.connect() as conn:
        on_the_day = changes.changes_between(conn, ANCHOR - timedelta(days=1), ANCHOR)
        after = changes.changes_between(conn, ANCHOR, ANCHOR + timedelta(days=1))
    assert action_id in set(on_the_day["action_id"].dropna().astype(int))
    assert action_id not in set(after["action_id"].dropna().astype(int))

    warning = (
        "1 change was saved on 30 Jun 2026 after that meeting was recorded; a meeting covers its "
        "whole day, so it counts as before it and is in its figures."
    )
    assert changes.saved_after_warning(expected, ANCHOR) == (warning if expected else None)

    # the next day: the Meetings page's changes after that meeting, and the next meeting's pack
    monkeypatch.setenv("MONITORING_TODAY", (ANCHOR + timedelta(days=1)).isoformat())
    at = ok(make_app(BOARD.email, page="app_pages/meetings.py"))
    assert changes.MEETING_DAY_NOTE in [c.value for c in at.caption]
    assert at.selectbox(key="changes_since").value == ANCHOR
    shown = [w.value for w in at.warning]
    assert shown == ([warning] if expected else [])

    at = ok(make_app(BOARD.email, page="app_pages/meeting_pack.py"))
    assert [w.value for w in at.warning] == ([warning] if expected else [])
    with demo_engine.connect() as conn:
        pack = pack_module.build_pack(conn, None, annual=False)
    assert pack.baseline is not None and pack.baseline.held_on == ANCHOR
    assert pack.saved_after_baseline == expected
    assert pack.changes_note == (warning if expected else "")
    assert layout.changes_section(pack).intro.endswith(warning if expected else "(June 2026)).")
    # the slides: the changes slide's introduction wraps inside its box
    out = io.BytesIO()
    deck.write_pptx(pack, {}, out)
    boxes = [
        shape.text_frame
        for slide in Presentation(io.BytesIO(out.getvalue())).slides
        for shape in slide.shapes
        if shape.has_text_frame and shape.text_frame.text == layout.changes_section(pack).intro
    ]
    assert len(boxes) == 1 and boxes[0].word_wrap is True


def test_a_later_day_or_another_meeting_is_not_counted(demo_engine, monkeypatch):
    monkeypatch.setenv("MONITORING_TODAY", ANCHOR.isoformat())
    lead, action_id = _lead_and_action(demo_engine)
    services.create_meeting(demo_engine, BOARD, ANCHOR, "Partnership board")
    monkeypatch.setenv("MONITORING_TODAY", (ANCHOR + timedelta(days=1)).isoformat())
    services.save_action_update(
        demo_engine,
        lead,
        action_id,
        version=None,
        status="in_progress",
        now=datetime.now(UTC) + timedelta(minutes=5),
    )
    with demo_engine.connect() as conn:
        # saved the day after the meeting: a change after it, listed, no warning
        assert changes.saved_after_meeting(conn, ANCHOR) == 0
        after = changes.changes_between(conn, ANCHOR, ANCHOR + timedelta(days=1))
        assert action_id in set(after["action_id"].dropna().astype(int))
        # no meeting recorded on that day
        assert changes.saved_after_meeting(conn, ANCHOR + timedelta(days=1)) == 0


def test_a_viewer_counts_only_published_reviews(demo_engine, monkeypatch):
    monkeypatch.setenv("MONITORING_TODAY", ANCHOR.isoformat())
    unpublished = scalar(
        demo_engine,
        f"select a.id from action a where {OPEN} and a.status = 'not_started' order by a.id limit 1",
    )
    review_id = scalar(demo_engine, "select review_id from action where id = :a", a=unpublished)
    services.set_review_publication(demo_engine, ADMIN, review_id, None)  # withdrawn
    assert unpublished is not None
    services.create_meeting(demo_engine, BOARD, ANCHOR, "Partnership board")
    services.save_action_update(
        demo_engine,
        ADMIN,
        unpublished,
        version=None,
        status="in_progress",
        now=datetime.now(UTC) + timedelta(minutes=5),
    )
    with demo_engine.connect() as conn:
        board = reads.saved_after_meeting(conn, Source(today=ANCHOR), ANCHOR)
        viewer = reads.saved_after_meeting(
            conn, Source(today=ANCHOR, scope=Scope("viewer")), ANCHOR
        )
        listed = reads.changes_between(
            conn, Source(today=ANCHOR, scope=Scope("viewer")), ANCHOR - timedelta(days=1), ANCHOR
        )
    assert (board, viewer) == (1, 0)
    assert unpublished not in set(listed["action_id"].dropna().astype(int))
