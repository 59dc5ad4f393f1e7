"""Write services: the role matrix of DESIGN §5, version conflicts, audit rows and the rules of
each service, checked against the database with independent SQL."""

from __future__ import annotations

import hashlib
from datetime import date, timedelta

import pytest
from sqlalchemy import text

from monitoring import auth, config, db, services, worklists
from tests.conftest import ANCHOR

POLICE = "police.lead@northbridge.example"
CSC = "csc.lead@northbridge.example"
ROLE_EMAILS = {
    "admin": "admin@northbridge.example",
    "board": "board@northbridge.example",
    "assurer": "assurer@northbridge.example",
    "lead_own": POLICE,
    "lead_other": CSC,
    "viewer": "viewer@northbridge.example",
}

# DESIGN §5, written out here independently of services.PERMISSIONS. The records acted on are led
# by Northbridge Police: "lead_own" is the police lead, "lead_other" the children's social care lead.
UPDATE = {"admin", "lead_own"}
ALLOWED = {
    "change_status": UPDATE,
    "add_progress_update": UPDATE,
    "mark_completed": UPDATE,
    "attach_evidence_link": UPDATE,
    "attach_evidence_file": UPDATE,
    "request_due_date_change": UPDATE,
    "bulk_update_actions": UPDATE,
    "decide_due_date_change": {"admin", "board"},
    "assure_action": {"admin", "board", "assurer"},
    "return_action": {"admin", "board", "assurer"},
    "assure_recommendation": {"admin", "board", "assurer"},
    "override_rag": {"admin", "board"},
    "record_meeting_decision": {"admin", "board"},
    "create_user": {"admin"},
    "set_user_active": {"admin"},
    "unlock_user": {"admin"},
}


@pytest.fixture(autouse=True)
def _today(monkeypatch, tmp_path):
    monkeypatch.setenv("MONITORING_TODAY", ANCHOR.isoformat())
    monkeypatch.setenv("MONITORING_EVIDENCE_DIR", str(tmp_path / "evidence"))


def sql(engine, query, **params):
    with engine.connect() as conn:
        return conn.execute(text(query), params).scalar()


def rows(engine, query, **params):
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(text(query), params).mappings()]


def actor_for(engine, key: str) -> services.Actor:
    user = rows(engine, "select * from app_user where email = :e", e=ROLE_EMAILS[key])[0]
    return services.Actor.from_user(user)


def police_id(engine) -> int:
    return sql(engine, "select id from agency where short_name = 'POL'")


def open_police_action(engine, *, without_pending: bool = False) -> dict:
    """The first open police-led action (optionally one with no pending date change)."""
    query = (
        "select * from action where lead_agency_id = :a and status in ('not_started','in_progress')"
    )
    if without_pending:
        query += (
            " and not exists (select 1 from due_date_change d where d.action_id = action.id"
            " and d.decision = 'pending')"
        )
    return rows(engine, query + " order by id", a=police_id(engine))[0]


def completed_police_action(engine) -> dict:
    """A police action just marked completed by the admin."""
    row = open_police_action(engine)
    return services.mark_completed(
        engine, actor_for(engine, "admin"), row["id"], version=row["version"]
    )


def snapshot(engine) -> dict:
    """Everything a refused write must leave alone."""
    return {
        "counts": db.table_counts(engine),
        "data_version": db.get_data_version(engine),
        "actions": rows(
            engine,
            "select id, version, status, due_on, completed_on, rag_override, last_update_on"
            " from action order by id",
        ),
        "recommendations": rows(
            engine, "select id, version, assurance_status from recommendation order by id"
        ),
        "users": rows(
            engine, "select id, active, failed_logins, locked_until from app_user order by id"
        ),
        "changes": rows(engine, "select id, decision from due_date_change order by id"),
    }


PDF = b"%PDF-1.4\n% test evidence\n"


def prepare_and_call(name: str, engine, actor: services.Actor, n: int):
    """Set up a fresh target (as admin, before the snapshot) and return the call to make."""
    admin = actor_for(engine, "admin")
    if name in ("change_status", "add_progress_update", "mark_completed", "override_rag"):
        row = open_police_action(engine)
        new = "in_progress" if row["status"] == "not_started" else "not_started"
        calls = {
            "change_status": lambda: services.change_status(
                engine, actor, row["id"], new, version=row["version"], note="moved"
            ),
            "add_progress_update": lambda: services.add_progress_update(
                engine, actor, row["id"], "A progress note", version=row["version"]
            ),
            "mark_completed": lambda: services.mark_completed(
                engine, actor, row["id"], version=row["version"]
            ),
            "override_rag": lambda: services.override_rag(
                engine, actor, row["id"], "amber", "Board judgement", version=row["version"]
            ),
        }
        return calls[name]
    if name.startswith("attach_evidence"):
        row = open_police_action(engine)
        if name.endswith("link"):
            return lambda: services.attach_evidence(
                engine, actor, row["id"], version=row["version"], url="https://intranet.example/x"
            )
        return lambda: services.attach_evidence(
            engine, actor, row["id"], version=row["version"], file_name="plan.pdf", content=PDF
        )
    if name == "request_due_date_change":
        row = open_police_action(engine, without_pending=True)
        return lambda: services.request_due_date_change(
            engine,
            actor,
            row["id"],
            ANCHOR + timedelta(days=90 + n),
            "Staffing",
            version=row["version"],
        )
    if name == "bulk_update_actions":
        row = open_police_action(engine)
        return lambda: services.bulk_update_actions(
            engine, actor, [{"id": row["id"], "version": row["version"], "note": "bulk note"}]
        )
    if name == "decide_due_date_change":
        row = open_police_action(engine, without_pending=True)
        change = services.request_due_date_change(
            engine,
            admin,
            row["id"],
            ANCHOR + timedelta(days=60 + n),
            "Delay",
            version=row["version"],
        )
        return lambda: services.decide_due_date_change(engine, actor, change["id"], True)
    if name in ("assure_action", "return_action"):
        row = completed_police_action(engine)
        if name == "assure_action":
            return lambda: services.assure_action(engine, actor, row["id"], version=row["version"])
        return lambda: services.return_action(
            engine, actor, row["id"], "No evidence of audit", version=row["version"]
        )
    if name == "assure_recommendation":
        rec = rows(
            engine,
            "select * from recommendation where id = (select recommendation_id from action"
            " where lead_agency_id = :a order by id limit 1)",
            a=police_id(engine),
        )[0]
        new = (
            "ready_for_assessment"
            if rec["assurance_status"] != "ready_for_assessment"
            else "assured"
        )
        return lambda: services.assure_recommendation(
            engine, actor, rec["id"], new, version=rec["version"]
        )
    if name == "record_meeting_decision":
        row = open_police_action(engine)
        return lambda: services.record_meeting_decision(
            engine, actor, "action", row["id"], "Escalate to the police board member"
        )
    if name == "create_user":
        return lambda: services.create_user(
            engine, actor, f"new{n}@northbridge.example", "New Person", "viewer"
        )
    if name in ("set_user_active", "unlock_user"):
        user = services.create_user(
            engine, admin, f"target{n}@northbridge.example", "Target", "viewer"
        )
        for _ in range(5):  # five failed sign-ins lock it
            with pytest.raises(auth.LoginError):
                auth.authenticate(engine, user["email"], "wrong password")
        if name == "set_user_active":
            return lambda: services.set_user_active(engine, actor, user["id"], False)
        return lambda: services.unlock_user(engine, actor, user["email"])
    raise AssertionError(name)


@pytest.mark.parametrize("name", sorted(ALLOWED))
def test_role_matrix(demo_engine, name):
    """Every write service as every role: allowed exactly per DESIGN §5, otherwise refused with
    nothing written (tables, data_version, versions unchanged)."""
    for n, role in enumerate(ROLE_EMAILS):
        actor = actor_for(demo_engine, role)
        call = prepare_and_call(name, demo_engine, actor, n)
        before = snapshot(demo_engine)
        if role in ALLOWED[name]:
            result = call()
            if name == "bulk_update_actions":
                assert all(r["ok"] for r in result), result
            after = snapshot(demo_engine)
            assert after["data_version"] > before["data_version"], (name, role)
            added = after["counts"]["audit_log"] - before["counts"]["audit_log"]
            assert added > 0, (name, role)
            new_rows = rows(
                demo_engine,
                "select * from audit_log order by id desc limit :n",
                n=added,
            )
            assert {r["actor"] for r in new_rows} == {actor.email}, (name, role)
            assert any(r["new_value"] is not None for r in new_rows)
        else:
            if name == "bulk_update_actions":  # refusals are reported per row, not raised
                result = call()
                assert (
                    not result[0]["ok"]
                    and "may not" in result[0]["message"]
                    or ("own agency" in result[0]["message"])
                ), result
            else:
                with pytest.raises(services.PermissionDenied):
                    call()
            assert snapshot(demo_engine) == before, (name, role)


def test_version_conflict_carries_the_other_change(demo_engine):
    lead = actor_for(demo_engine, "lead_own")
    admin = actor_for(demo_engine, "admin")
    row = open_police_action(demo_engine)
    first_read = second_read = row["version"]
    services.add_progress_update(
        demo_engine, lead, row["id"], "Training delivered to 40 staff", version=first_read
    )
    before = snapshot(demo_engine)
    with pytest.raises(services.VersionConflict) as caught:
        services.change_status(
            demo_engine, admin, row["id"], "completed", version=second_read, note="Admin's note"
        )
    conflict = caught.value
    assert conflict.current["version"] == first_read + 1
    notes = [c["new_value"] for c in conflict.changes if c["field"] == "progress_note"]
    assert notes == ["Training delivered to 40 staff"]
    assert {c["actor"] for c in conflict.changes} == {POLICE}
    assert snapshot(demo_engine) == before  # the second save wrote nothing
    stored = rows(
        demo_engine,
        "select progress_note from action_update where action_id = :a order by id desc limit 1",
        a=row["id"],
    )
    assert stored[0]["progress_note"] == "Training delivered to 40 staff"
    assert sql(demo_engine, "select status from action where id = :a", a=row["id"]) == row["status"]


def test_status_change_writes_audit_update_and_dates(demo_engine):
    lead = actor_for(demo_engine, "lead_own")
    row = open_police_action(demo_engine)
    target = "in_progress" if row["status"] == "not_started" else "not_started"
    saved = services.change_status(
        demo_engine, lead, row["id"], target, version=row["version"], note="Started the audit"
    )
    assert saved["version"] == row["version"] + 1
    assert saved["last_update_on"] == ANCHOR.isoformat()
    audit = rows(
        demo_engine,
        "select field, old_value, new_value, actor from audit_log where entity = 'action'"
        " and entity_id = :a",
        a=row["id"],
    )
    by_field = {a["field"]: a for a in audit}
    assert (by_field["status"]["old_value"], by_field["status"]["new_value"]) == (
        row["status"],
        target,
    )
    assert by_field["progress_note"]["new_value"] == "Started the audit"
    assert by_field["version"]["new_value"] == str(row["version"] + 1)
    assert {a["actor"] for a in audit} == {POLICE}
    update = rows(
        demo_engine,
        "select * from action_update where action_id = :a order by id desc limit 1",
        a=row["id"],
    )[0]
    assert (update["status"], update["progress_note"]) == (target, "Started the audit")
    assert update["author_id"] == lead.user_id


def test_completed_is_not_assured_until_assured(demo_engine):
    lead = actor_for(demo_engine, "lead_own")
    row = open_police_action(demo_engine)
    with pytest.raises(services.ValidationError, match="status"):
        services.change_status(demo_engine, lead, row["id"], "assured", version=row["version"])
    done = services.mark_completed(demo_engine, lead, row["id"], version=row["version"])
    assert (done["status"], done["completed_on"]) == ("completed", ANCHOR.isoformat())
    assert row["id"] in set(worklists_queue(demo_engine))
    assurer = actor_for(demo_engine, "assurer")
    returned = services.return_action(
        demo_engine, assurer, row["id"], "Send the audit report", version=done["version"]
    )
    assert (returned["status"], returned["completed_on"]) == ("in_progress", None)
    with pytest.raises(services.ValidationError, match="reason"):
        services.return_action(demo_engine, assurer, row["id"], "  ", version=returned["version"])
    with pytest.raises(services.ValidationError, match="only a completed action"):
        services.assure_action(demo_engine, assurer, row["id"], version=returned["version"])
    done = services.mark_completed(demo_engine, lead, row["id"], version=returned["version"])
    services.attach_evidence(
        demo_engine, lead, row["id"], version=done["version"], url="https://intranet.example/r"
    )
    assured = services.assure_action(demo_engine, assurer, row["id"], version=done["version"] + 1)
    assert assured["status"] == "assured"
    assert sql(
        demo_engine, "select verified_by from evidence where action_id = :a", a=row["id"]
    ) == ("assurer@northbridge.example")
    statuses = [
        r["status"]
        for r in rows(
            demo_engine,
            "select status from action_update where action_id = :a order by id",
            a=row["id"],
        )
    ][-5:]
    assert statuses == ["completed", "in_progress", "completed", "completed", "assured"]


def worklists_queue(engine) -> list[int]:
    with engine.connect() as conn:
        return [int(i) for i in worklists.assurance_queue(conn)["id"]]


def test_date_change_needs_reason_and_approval(demo_engine):
    lead = actor_for(demo_engine, "lead_own")
    board = actor_for(demo_engine, "board")
    row = open_police_action(demo_engine, without_pending=True)
    new_due = ANCHOR + timedelta(days=120)
    with pytest.raises(services.ValidationError, match="^reason"):
        services.request_due_date_change(
            demo_engine, lead, row["id"], new_due, "", version=row["version"]
        )
    with pytest.raises(services.ValidationError, match="new target date"):
        services.request_due_date_change(
            demo_engine, lead, row["id"], "31/12/2026", "Staffing", version=row["version"]
        )
    change = services.request_due_date_change(
        demo_engine, lead, row["id"], new_due, "Staffing", version=row["version"]
    )
    assert sql(demo_engine, "select due_on from action where id = :a", a=row["id"]) == row["due_on"]
    decided = services.decide_due_date_change(demo_engine, board, change["id"], True)
    assert decided["decision"] == "approved" and decided["decided_at"]
    after = rows(demo_engine, "select * from action where id = :a", a=row["id"])[0]
    assert after["due_on"] == new_due.isoformat()
    assert after["original_due_on"] == row["original_due_on"]
    assert after["due_date_changes"] == row["due_date_changes"] + 1
    with pytest.raises(services.VersionConflict, match="already approved"):
        services.decide_due_date_change(demo_engine, board, change["id"], False)
    second = services.request_due_date_change(
        demo_engine, lead, row["id"], new_due + timedelta(days=30), "More", version=after["version"]
    )
    services.decide_due_date_change(demo_engine, board, second["id"], False, note="No")
    assert sql(demo_engine, "select due_on from action where id = :a", a=row["id"]) == (
        new_due.isoformat()
    )
    assert sql(
        demo_engine, "select decision from due_date_change where id = :c", c=second["id"]
    ) == ("rejected")


def test_evidence_file_stored_with_sha256_and_limits(demo_engine):
    lead = actor_for(demo_engine, "lead_own")
    row = open_police_action(demo_engine)
    content = b"%PDF-1.7\n" + b"x" * 1000
    evidence = services.attach_evidence(
        demo_engine,
        lead,
        row["id"],
        version=row["version"],
        file_name="../Audit report.pdf",
        content=content,
    )
    stored = config.evidence_dir() / evidence["file_path"]
    assert stored.read_bytes() == content
    assert evidence["sha256"] == hashlib.sha256(content).hexdigest()
    assert stored.resolve().is_relative_to(config.evidence_dir().resolve())
    before = snapshot(demo_engine)
    version = row["version"] + 1
    bad = [
        ("macro.docm", b"PK\x03\x04", "not an allowed type"),
        ("fake.pdf", b"MZ\x90\x00", "not a real .pdf"),
        ("huge.csv", b"a," * (services.MAX_EVIDENCE_BYTES // 2 + 1), "limit is 10 MB"),
        ("empty.txt", b"", "empty"),
    ]
    for name, data, message in bad:
        with pytest.raises(services.ValidationError, match=message):
            services.attach_evidence(
                demo_engine, lead, row["id"], version=version, file_name=name, content=data
            )
    with pytest.raises(services.ValidationError, match="evidence link"):
        services.attach_evidence(demo_engine, lead, row["id"], version=version, url="ftp://x")
    assert snapshot(demo_engine) == before
    assert len(list(config.evidence_dir().rglob("*.*"))) == 1


def test_override_rag_needs_reason_and_can_be_cleared(demo_engine):
    board = actor_for(demo_engine, "board")
    row = open_police_action(demo_engine)
    with pytest.raises(services.ValidationError, match="reason"):
        services.override_rag(demo_engine, board, row["id"], "green", "", version=row["version"])
    with pytest.raises(services.ValidationError, match="RAG"):
        services.override_rag(demo_engine, board, row["id"], "purple", "x", version=row["version"])
    set_ = services.override_rag(
        demo_engine, board, row["id"], "green", "Plan agreed", version=row["version"]
    )
    assert (set_["rag_override"], set_["rag_override_reason"]) == ("green", "Plan agreed")
    cleared = services.override_rag(
        demo_engine, board, row["id"], None, None, version=set_["version"]
    )
    assert (cleared["rag_override"], cleared["rag_override_reason"]) == (None, None)


def test_meeting_decision_and_recommendation_assurance(demo_engine):
    board = actor_for(demo_engine, "board")
    row = open_police_action(demo_engine)
    decision = services.record_meeting_decision(
        demo_engine, board, "action", row["id"], "Agency to report back in March"
    )
    assert sql(
        demo_engine, "select decision from meeting_decision where id = :d", d=decision["id"]
    ) == ("Agency to report back in March")
    with pytest.raises(services.ValidationError, match="entity"):
        services.record_meeting_decision(demo_engine, board, "nonsense", 1, "x")
    with pytest.raises(services.NotFound):
        services.record_meeting_decision(demo_engine, board, "action", 999_999, "x")
    rec = rows(
        demo_engine, "select * from recommendation where id = :r", r=row["recommendation_id"]
    )[0]
    saved = services.assure_recommendation(
        demo_engine, board, rec["id"], "closed_unacceptable", version=rec["version"], note="Weak"
    )
    assert saved["assurance_status"] == "closed_unacceptable"
    with pytest.raises(services.VersionConflict) as caught:
        services.assure_recommendation(
            demo_engine, board, rec["id"], "assured", version=rec["version"]
        )
    assert any(c["new_value"] == "closed_unacceptable" for c in caught.value.changes)
    with demo_engine.connect() as conn:
        trail = worklists.audit_trail(conn, "action", row["id"])
    assert "Agency to report back in March" in set(trail["new_value"])


def test_bulk_changes_match_on_id_and_report_each_row(demo_engine):
    police = actor_for(demo_engine, "lead_own")
    with demo_engine.connect() as conn:
        mine = worklists.my_actions(conn, ANCHOR, police.agency_id)
        other = worklists.my_actions(conn, ANCHOR, actor_for(demo_engine, "lead_other").agency_id)
    original = worklists.bulk_table(pd_concat(mine.head(3), other.head(1)))
    edited = original.iloc[::-1].reset_index(drop=True).copy()  # a different row order
    first, second, foreign = (int(original.loc[i, "id"]) for i in (0, 1, 3))
    edited.loc[edited["id"] == first, "status"] = "completed"
    edited.loc[edited["id"] == second, "note"] = "  Policy signed off  "
    edited.loc[edited["id"] == foreign, "note"] = "Not mine"
    changes = worklists.bulk_changes(original, edited)
    assert {c["id"]: (c["status"], c["note"]) for c in changes} == {
        first: ("completed", None),
        second: (None, "Policy signed off"),
        foreign: (None, "Not mine"),
    }
    results = {r["id"]: r for r in services.bulk_update_actions(demo_engine, police, changes)}
    assert results[first]["ok"] and results[second]["ok"]
    assert not results[foreign]["ok"] and "own agency" in results[foreign]["message"]
    assert sql(demo_engine, "select status from action where id = :a", a=first) == "completed"
    assert (
        sql(
            demo_engine,
            "select count(*) from action_update where action_id = :a and progress_note = :n",
            a=second,
            n="Policy signed off",
        )
        == 1
    )
    assert (
        sql(demo_engine, "select count(*) from action_update where progress_note = 'Not mine'") == 0
    )


def pd_concat(*frames):
    import pandas as pd

    return pd.concat(frames, ignore_index=True)


def test_my_actions_are_own_open_actions_overdue_first(demo_engine):
    police = actor_for(demo_engine, "lead_own")
    with demo_engine.connect() as conn:
        frame = worklists.my_actions(conn, ANCHOR, police.agency_id)
    expected = sql(
        demo_engine,
        "select count(*) from action where lead_agency_id = :a"
        " and status in ('not_started','in_progress')",
        a=police.agency_id,
    )
    assert len(frame) == expected
    overdue = sql(
        demo_engine,
        "select count(*) from action where lead_agency_id = :a"
        " and status in ('not_started','in_progress') and due_on < :t",
        a=police.agency_id,
        t=ANCHOR.isoformat(),
    )
    assert int((frame["days_overdue"] > 0).sum()) == overdue > 0
    assert list(frame["days_overdue"].head(overdue)) == sorted(
        frame["days_overdue"].head(overdue), reverse=True
    )
    first = frame.iloc[0]
    assert first["days_overdue"] == (ANCHOR - date.fromisoformat(first["due_on"])).days


def test_user_services_validate(demo_engine):
    admin = actor_for(demo_engine, "admin")
    with pytest.raises(services.ValidationError, match="e-mail"):
        services.create_user(demo_engine, admin, "not-an-email", "X", "viewer")
    with pytest.raises(services.ValidationError, match="already has an account"):
        services.create_user(demo_engine, admin, POLICE.upper(), "X", "viewer")
    with pytest.raises(services.ValidationError, match="agency"):
        services.create_user(demo_engine, admin, "a@b.example", "X", "agency_lead")
    with pytest.raises(services.ValidationError, match="password"):
        services.create_user(demo_engine, admin, "a@b.example", "X", "viewer", password="short")
    with pytest.raises(services.ValidationError, match="own account"):
        services.set_user_active(demo_engine, admin, admin.email, False)
    user = services.create_user(
        demo_engine,
        admin,
        "Lead@Health.example",
        "Hana Health",
        "agency_lead",
        agency_id=police_id(demo_engine),
        password="a-long-password",
    )
    assert user["email"] == "lead@health.example" and "password_hash" not in user
    audit = rows(
        demo_engine,
        "select field, new_value from audit_log where entity = 'app_user' and entity_id = :u",
        u=user["id"],
    )
    assert {"email", "role", "password"} <= {a["field"] for a in audit}
    assert all("argon2" not in (a["new_value"] or "") for a in audit)
