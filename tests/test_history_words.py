"""History reads as the rest of the app does: an update is dated by the day it counts from (the
import's as-of date, the date Reviews and My actions show) with the day recorded beside it where
that differs, on the page, the trail and its export; and the audit trail is in words: stored ids
as names, internal counters hidden, no snake_case, on the demo and after the real PFD import."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import text

from monitoring import agencies, importer, services, tabular, vocabulary, worklists
from monitoring.source import Scope, Source
from monitoring.ui import widgets
from tests.conftest import ANCHOR, REALDATA, make_app

PFD = REALDATA / "pfd" / "pfd_recipient_statuses.csv"
AS_OF = date(2026, 2, 1)
BOARD = "board.member@example.org"
ADMIN = services.Actor(email="admin@example.org", role="admin")
SNAKE = re.compile(r"[a-z0-9]_[a-z]")


def ok(at):
    assert not at.exception, [e.value for e in at.exception]
    return at


def records(engine, sql, **values):
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(text(sql), values).mappings()]


@pytest.fixture
def pfd_as_of(engine):
    """The real PFD file imported as at 1 Feb 2026 (``--as-of``), agencies created."""
    importer.import_path(PFD, engine, preset="pfd", create_agencies=True, as_of=AS_OF)
    services.create_user(engine, ADMIN, BOARD, "Board Member", "board")
    return engine


def test_history_dates_an_update_by_the_day_it_counts_from(pfd_as_of, app_env):
    update = records(
        pfd_as_of,
        "select u.action_id, u.created_at, u.effective_on, a.last_update_on from action_update u"
        " join action a on a.id = u.action_id order by u.id limit 1",
    )[0]
    assert update["effective_on"] == AS_OF.isoformat()
    recorded = vocabulary.uk_date(update["created_at"])
    assert recorded != "1 Feb 2026"  # recorded today, not on the as-of date
    expected = f"1 Feb 2026 (recorded {recorded})"
    # the date the other pages show ("Last update") is the effective one
    assert vocabulary.uk_date(update["last_update_on"]) == "1 Feb 2026"
    assert vocabulary.effective_words(update["effective_on"], update["created_at"]) == expected
    # same day, or no effective date: the day recorded alone
    assert vocabulary.effective_words("2026-12-01", "2026-12-01T10:00:00+00:00") == "1 Dec 2026"
    assert vocabulary.effective_words(None, "2026-12-01T10:00:00+00:00") == "1 Dec 2026"

    at = ok(
        make_app(
            BOARD, page="app_pages/history.py", query_params={"action": str(update["action_id"])}
        )
    )
    frames = [d.value for d in at.dataframe]
    updates = next(f for f in frames if "progress_note" in f.columns)
    assert list(updates["created_at"]) == [expected]

    # the trail, as shown and as exported, dates each change the same way
    with pfd_as_of.connect() as conn:
        trail = worklists.audit_trail(conn, "action", update["action_id"], Source(today=ANCHOR))
    shown = widgets.audit_display(trail)
    wanted = [
        vocabulary.effective_words(e, a, with_time=True)
        for e, a, f in zip(trail["effective_on"], trail["at"], trail["field"], strict=True)
        if f not in vocabulary.HIDDEN_AUDIT_FIELDS
    ]
    assert list(shown["When (UK time)"]) == wanted
    assert any("(recorded " in w for w in wanted)
    page_trail = next(f for f in frames if "When (UK time)" in f.columns)
    assert list(page_trail["When (UK time)"]) == wanted
    exported = tabular.to_csv_bytes(shown).decode("utf-8-sig")
    assert wanted[0] in exported


def _assert_in_words(engine, entity: str, ids) -> int:
    """Every audit row of these records, as History shows it, reads as words; the rows checked."""
    shown_rows = 0
    with engine.connect() as conn:
        for record_id in ids:
            trail = worklists.audit_trail(conn, entity, record_id, Source(today=ANCHOR))
            shown = widgets.audit_display(trail)
            kept = trail[~trail["field"].isin(vocabulary.HIDDEN_AUDIT_FIELDS)]
            for field, row in zip(kept["field"], shown.to_dict("records"), strict=True):
                assert not SNAKE.search(row["What"]), row
                assert not SNAKE.search(row["Record"]), row
                if worklists._id_field_table(str(kept["entity"].iloc[0]), field) or (
                    field in vocabulary.ID_FIELDS
                ):
                    for value in (row["Was"], row["Now"]):
                        assert not str(value).strip().isdigit(), row
            assert "Target-date changes approved" not in set(shown["What"])
            assert "Record version" not in set(shown["What"])
            shown_rows += len(shown)
    return shown_rows


def _every_field_has_a_word(engine) -> set[str]:
    fields = {r["field"] for r in records(engine, "select distinct field from audit_log")}
    unworded = fields - set(vocabulary.FIELD_LABELS) - vocabulary.HIDDEN_AUDIT_FIELDS
    assert not unworded
    return fields


def test_the_demo_trail_after_edits_reads_as_words(demo_engine):
    pol, csc = (
        records(demo_engine, "select id from agency where short_name = :s", s=s)[0]["id"]
        for s in ("POL", "CSC")
    )
    act = records(
        demo_engine,
        "select id, version, due_on from action where status in ('not_started','in_progress')"
        " and lead_agency_id = :p and due_on is not null order by id limit 1",
        p=csc,
    )[0]
    services.change_status(
        demo_engine, ADMIN, act["id"], "in_progress", version=act["version"], note="Started"
    )
    version = records(demo_engine, "select version from action where id = :i", i=act["id"])[0]
    change = services.request_due_date_change(
        demo_engine,
        ADMIN,
        act["id"],
        "2027-03-31",
        "Waiting for the new service",
        version=version["version"],
    )
    services.decide_due_date_change(demo_engine, ADMIN, change["id"], True, note="Agreed")
    # the merge moves the action's lead agency: the trail names the agencies
    agencies.merge_agencies(demo_engine, ADMIN, pol, [csc])
    _every_field_has_a_word(demo_engine)
    with demo_engine.connect() as conn:
        trail = worklists.audit_trail(conn, "action", act["id"], Source(today=ANCHOR))
    shown = widgets.audit_display(trail)
    lead = shown[shown["What"] == "Lead agency"]
    names = {r["id"]: r["name"] for r in records(demo_engine, "select id, name from agency")}
    assert list(zip(lead["Was"], lead["Now"], strict=True)) == [(names[csc], names[pol])]
    assert set(trail["field"]) >= {"due_on", "due_date_changes", "lead_agency_id"}
    ids = [
        r["id"]
        for r in records(
            demo_engine, "select distinct entity_id as id from audit_log where entity = 'action'"
        )
    ]
    assert _assert_in_words(demo_engine, "action", ids) > 0


def test_the_pfd_trail_reads_as_words(pfd_as_of):
    met = records(
        pfd_as_of,
        "select id, name from agency where name in ('Metropolitan Police Service',"
        " 'London Metropolitan Police') order by name desc",
    )
    keep, gone = met[0], met[1]
    agencies.merge_agencies(pfd_as_of, ADMIN, keep["id"], [gone["id"]])
    _every_field_has_a_word(pfd_as_of)
    moved = records(
        pfd_as_of,
        "select entity_id, old_value, new_value from audit_log where field = 'lead_agency_id'",
    )
    assert moved and all(m["new_value"] == str(keep["id"]) for m in moved)
    with pfd_as_of.connect() as conn:
        trail = worklists.audit_trail(conn, "action", moved[0]["entity_id"], Source(today=ANCHOR))
        viewer = worklists.audit_trail(
            conn, "action", moved[0]["entity_id"], Source(today=ANCHOR, scope=Scope("viewer"))
        )
    for frame in (trail, viewer):
        shown = widgets.audit_display(frame)
        lead = shown[shown["What"] == "Lead agency"]
        assert list(zip(lead["Was"], lead["Now"], strict=True)) == [(gone["name"], keep["name"])]
    actions = [r["id"] for r in records(pfd_as_of, "select id from action order by id limit 60")]
    recs = [
        r["id"] for r in records(pfd_as_of, "select id from recommendation order by id limit 30")
    ]
    assert _assert_in_words(pfd_as_of, "action", actions + [m["entity_id"] for m in moved]) > 0
    assert _assert_in_words(pfd_as_of, "recommendation", recs) > 0


def test_an_id_no_longer_held_reads_as_words(demo_engine):
    with demo_engine.begin() as conn:
        conn.execute(
            text(
                "insert into audit_log (at, actor, entity, entity_id, field, old_value,"
                " new_value, effective_on) values ('2026-06-01T10:00:00+00:00', 'a@b.c',"
                " 'action', 1, 'lead_agency_id', '99999', null, '2026-06-01')"
            )
        )
    with demo_engine.connect() as conn:
        shown = widgets.audit_display(worklists.audit_trail(conn, "action", 1))
    row = shown[shown["What"] == "Lead agency"].iloc[0]
    assert (row["Was"], row["Now"]) == ("Agency (no longer held)", "—")
