"""History with a bad ``?action=`` (issue 19): the "No such action" warning, and no other
action's history under it (before, the table's first action was shown as if it were the one
linked); a button takes the reader to the table of actions."""

import pytest
from sqlalchemy import text

from tests.conftest import make_app

BOARD = "board@northbridge.example"


def ok(at):
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.mark.parametrize("raw", ["9999999", "abc", "0"])
def test_a_bad_action_link_shows_no_action(demo_engine, app_env, raw):
    at = ok(make_app(BOARD, page="app_pages/history.py", query_params={"action": raw}))
    assert any(w.value.startswith("No such action.") for w in at.warning)
    assert not any(h.value.startswith("History of") for h in at.subheader)
    assert not at.dataframe  # neither the table's first action nor its audit trail
    at.button[0].click().run()
    ok(at)
    assert "action" not in at.query_params
    assert not at.warning
    assert at.dataframe  # the table of actions to choose from


def test_a_good_action_link_shows_that_action(demo_engine, app_env):
    with demo_engine.connect() as conn:
        action_id, number = conn.execute(
            text("select id, number from action order by id desc limit 1")
        ).one()
    at = ok(make_app(BOARD, page="app_pages/history.py", query_params={"action": str(action_id)}))
    assert not at.warning
    assert any(h.value == "History of the action" for h in at.subheader)
    assert any(f"action {number}" in t.value for t in at.text)
