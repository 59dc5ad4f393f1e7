"""AppTest of the update pages: an agency lead updates an action and another session's overview
changes; a conflicting save shows the other change and keeps the user's text; assurance, target
dates, history and users pages write through the services."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text

from monitoring import demo, services
from monitoring.ui import widgets
from tests.conftest import ANCHOR, make_app

POLICE = "police.lead@northbridge.example"
OPEN = "status in ('not_started','in_progress')"


def sql(engine, query, **params):
    with engine.connect() as conn:
        return conn.execute(text(query), params).scalar()


def actor(engine, email) -> services.Actor:
    with engine.connect() as conn:
        row = conn.execute(text("select * from app_user where email = :e"), {"e": email})
        return services.Actor.from_user(dict(row.mappings().first()))


def overview_figures(engine) -> tuple[str, str]:
    """Open and overdue action counts by SQL, as the overview shows them."""
    return (
        str(sql(engine, f"select count(*) from action where {OPEN}")),
        str(
            sql(
                engine,
                f"select count(*) from action where {OPEN} and due_on < :t",
                t=ANCHOR.isoformat(),
            )
        ),
    )


def tiles(at) -> tuple[str, str]:
    metrics = {m.label: m.value for m in at.metric}
    return metrics["Open actions"], metrics["Overdue actions"]


def choose(at, key: str, record_id: int):
    """Choose the row of record ``record_id`` in the work queue ``key`` (monitoring.ui.queue), as a
    click in the table does, and rerun."""
    table = next(d for d in at.dataframe if d.key == f"{key}_table_")
    ids = [int(i) for i in table.value["id"]]
    at.session_state[f"{key}_table_"] = {"selection": {"rows": [ids.index(record_id)]}}
    return at.run()


def most_overdue_police_action(engine) -> int:
    return sql(
        engine,
        f"select a.id from action a join agency g on g.id = a.lead_agency_id where {OPEN}"
        " and g.short_name = 'POL' and due_on < :t order by due_on, a.id limit 1",
        t=ANCHOR.isoformat(),
    )


def notes(engine, action_id) -> list[str]:
    with engine.connect() as conn:
        return list(
            conn.execute(
                text("select progress_note from action_update where action_id = :a order by id"),
                {"a": action_id},
            ).scalars()
        )


def test_lead_update_changes_the_overview_in_another_session(demo_engine, app_env):
    board = make_app("board@northbridge.example")
    before = overview_figures(demo_engine)
    assert tiles(board) == before

    lead = make_app(None)  # the agency lead signs in with the local form
    lead.text_input[0].input(POLICE)
    lead.text_input[1].input(demo.DEMO_PASSWORDS[POLICE][3])
    next(b for b in lead.button if b.label == "Sign in").click()
    lead.run()
    lead.switch_page("app_pages/my_actions.py")
    lead.run()
    assert not lead.exception
    assert lead.title[0].value == "My actions"
    action_id = most_overdue_police_action(demo_engine)
    lead.selectbox(key=f"status_{action_id}_0").set_value("completed")
    lead.text_area(key=f"note_{action_id}_0").input("Audit complete; report to the board.")
    lead.button(key=f"save_{action_id}_0").click()
    lead.run()
    assert not lead.exception
    assert "update saved" in lead.success[0].value
    # no file came with the save (a file over the upload limit never reaches the page): said so
    assert "no evidence file attached" in lead.success[0].value
    assert sql(demo_engine, "select status from action where id = :a", a=action_id) == "completed"
    assert notes(demo_engine, action_id)[-1] == "Audit complete; report to the board."
    # no longer open, and still in the lead's queue: waiting for the board's assurance
    queue = next(d for d in lead.dataframe if d.key == "my_actions_table_").value
    done = queue[queue["id"] == action_id]
    assert done["status"].tolist() == [widgets.code_word("status", "completed")]
    completed = sql(
        demo_engine,
        "select count(*) from action a join agency g on g.id = a.lead_agency_id"
        " where g.short_name = 'POL' and a.status = 'completed'",
    )
    # the open actions first, then those awaiting assurance
    assert (queue["status"] == done["status"].iloc[0]).tolist()[-completed:] == [True] * completed
    assert {m.label: m.value for m in lead.metric}["Awaiting assurance"] == str(completed)

    board.run()
    after = overview_figures(demo_engine)
    assert tiles(board) == after
    assert int(after[0]) == int(before[0]) - 1
    assert int(after[1]) == int(before[1]) - 1


def test_conflicting_save_shows_other_change_and_keeps_text(demo_engine, app_env):
    action_id = most_overdue_police_action(demo_engine)
    first = make_app(POLICE, page="app_pages/my_actions.py")
    second = make_app(POLICE, page="app_pages/my_actions.py")

    first.text_area(key=f"note_{action_id}_0").input("First person's note.")
    first.button(key=f"save_{action_id}_0").click()
    first.run()
    assert "update saved" in first.success[0].value

    second.text_area(key=f"note_{action_id}_0").input("Second person's careful note.")
    second.button(key=f"save_{action_id}_0").click()
    second.run()
    assert not second.exception
    assert "Someone else saved this action" in second.warning[0].value
    assert second.text_area(key=f"note_{action_id}_0").value == "Second person's careful note."
    shown = [str(v) for frame in second.dataframe for v in frame.value.to_numpy().ravel()]
    assert "First person's note." in shown
    assert notes(demo_engine, action_id)[-1] == "First person's note."
    assert "Second person's careful note." not in notes(demo_engine, action_id)

    second.button(key=f"save_{action_id}_0").click()  # saved again, having seen the change
    second.run()
    assert "update saved" in second.success[0].value
    assert notes(demo_engine, action_id)[-2:] == [
        "First person's note.",
        "Second person's careful note.",
    ]
    assert second.text_area(key=f"note_{action_id}_1").value == ""


def test_assurance_page_assures_returns_and_decides_dates(demo_engine, app_env):
    lead = actor(demo_engine, POLICE)
    with demo_engine.connect() as conn:
        ids = list(
            conn.execute(
                text(
                    f"select a.id from action a join agency g on g.id = a.lead_agency_id"
                    f" where {OPEN} and g.short_name = 'POL' order by a.id limit 3"
                )
            ).scalars()
        )
    done, returned, moved = ids
    for action_id in (done, returned):
        version = sql(demo_engine, "select version from action where id = :a", a=action_id)
        services.mark_completed(demo_engine, lead, action_id, version=version)
    version = sql(demo_engine, "select version from action where id = :a", a=moved)
    new_due = ANCHOR + timedelta(days=100)
    change = services.request_due_date_change(
        demo_engine, lead, moved, new_due, "Waiting for new system", version=version
    )

    assurer = make_app("assurer@northbridge.example", page="app_pages/assurance.py")
    assert not assurer.exception
    assert not any(t.label.startswith("Target-date changes") for t in assurer.tabs)
    choose(assurer, "assurance", returned)
    assurer.button(key=f"return_{returned}").click()
    assurer.run()
    assert "reason" in assurer.error[0].value  # a return needs a reason; nothing changed
    assert sql(demo_engine, "select status from action where id = :a", a=returned) == "completed"
    assurer.text_area(key=f"assure_note_{returned}").input("Send the audit results.")
    assurer.button(key=f"return_{returned}").click()
    assurer.run()
    assert sql(demo_engine, "select status from action where id = :a", a=returned) == "in_progress"
    choose(assurer, "assurance", done)
    assurer.button(key=f"assure_{done}").click()
    assurer.run()
    assert not assurer.exception
    assert sql(demo_engine, "select status from action where id = :a", a=done) == "assured"
    assert (
        sql(
            demo_engine,
            "select actor from audit_log where entity = 'action' and entity_id = :a"
            " and field = 'status' order by id desc limit 1",
            a=done,
        )
        == "assurer@northbridge.example"
    )

    board = make_app("board@northbridge.example", page="app_pages/assurance.py")
    assert any(t.label.startswith("Target-date changes (1)") for t in board.tabs)
    choose(board, "date_changes", change["id"])
    board.button(key=f"approve_{change['id']}").click()
    board.run()
    assert not board.exception
    assert sql(demo_engine, "select due_on from action where id = :a", a=moved) == (
        new_due.isoformat()
    )
    assert sql(
        demo_engine, "select decided_by from due_date_change where id = :c", c=change["id"]
    ) == ("board@northbridge.example")


def test_history_page_shows_the_audit_trail(demo_engine, app_env):
    action_id = most_overdue_police_action(demo_engine)
    version = sql(demo_engine, "select version from action where id = :a", a=action_id)
    services.add_progress_update(
        demo_engine, actor(demo_engine, POLICE), action_id, "Noted for history", version=version
    )
    at = make_app(POLICE, page="app_pages/history.py")
    assert not at.exception
    # the table lists every action, most recently changed first: the one just updated leads
    table = next(d for d in at.dataframe if d.key == "history_table_").value
    assert len(table) == sql(demo_engine, "select count(*) from action")
    assert int(table["id"].iloc[0]) == action_id
    assert at.session_state["history_table_"]["selection"]["rows"] == [0]
    choose(at, "history", action_id)
    trail = next(d.value for d in at.dataframe if "Now" in d.value.columns)
    expected = sql(
        demo_engine,
        "select count(*) from audit_log where entity = 'action' and entity_id = :a"
        " and field <> 'version'",  # the record version is the conflict check's, not shown
        a=action_id,
    )
    assert len(trail) == expected > 0
    assert "Noted for history" in set(trail["Now"])
    # an agency lead reads no e-mail addresses (docs/data-protection.md): the author's name
    assert set(trail["Who"]) == {"Pat Police-Lead"}


def test_users_page_adds_and_disables(demo_engine, app_env):
    at = make_app("admin@northbridge.example", page="app_pages/users.py")
    assert len(at.dataframe[0].value) == sql(demo_engine, "select count(*) from app_user")
    at.text_input[0].input("new.board@northbridge.example")
    at.text_input[1].input("Nia New")
    at.selectbox[0].set_value("board")
    at.text_input[2].input("a-long-enough-password")
    next(b for b in at.button if b.label == "Add account").click()
    at.run()
    assert not at.exception
    assert "added" in at.success[0].value
    assert sql(
        demo_engine, "select role from app_user where email = 'new.board@northbridge.example'"
    ) == ("board")
    at.selectbox(key="user_pick").set_value("new.board@northbridge.example")
    next(b for b in at.button if b.label == "Disable").click()
    at.run()
    assert not sql(
        demo_engine, "select active from app_user where email = 'new.board@northbridge.example'"
    )


def test_a_target_date_says_originally_only_when_it_moved():
    from monitoring.ui import widgets

    assert widgets.originally("2026-07-09", "2026-07-09") == ""
    assert widgets.originally("2026-10-28", "2026-02-09") == " (originally 9 Feb 2026)"
    assert widgets.originally(None, "2026-02-09") == " (originally 9 Feb 2026)"
    assert widgets.originally("2026-07-09", None) == ""


def test_the_audit_trail_shown_leaves_out_the_record_version():
    import pandas as pd

    from monitoring.ui import widgets

    trail = pd.DataFrame(
        [
            ("2026-06-01T10:00:00+00:00", "Lead", "action", "version", "1", "2"),
            ("2026-06-01T10:00:00+00:00", "Lead", "action", "status", "in_progress", "completed"),
        ],
        columns=["at", "actor", "entity", "field", "old_value", "new_value"],
    )
    shown = widgets.audit_display(trail)
    assert len(shown) == 1
    assert shown.iloc[0]["Now"] == widgets.code_word("status", "completed")
    assert "Record version" not in shown["What"].tolist()
