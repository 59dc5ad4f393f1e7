"""Words, not codes (issue 19): no page a role may open shows a stored status code (action status,
response, assurance, review status), "None", "nan" or "NaT" in a table cell, a tile or a
caption, with the drill-downs opened (every review, every agency, a search, History)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import text

from monitoring import db
from monitoring.ui.navigation import PAGES
from tests.conftest import make_app

USERS = {
    "admin": "admin@northbridge.example",
    "board": "board@northbridge.example",
    "agency_lead": "police.lead@northbridge.example",
    "viewer": "viewer@northbridge.example",
}
CODES = {
    *db.ACTION_STATUSES,
    *db.RESPONSE_STATUSES,
    *db.ASSURANCE_STATUSES,
    *db.REVIEW_STATUSES,
}
PLACEHOLDERS = {"None", "nan", "NaN", "NaT", "<NA>"}
UNDERSCORED = re.compile(r"\b(?:" + "|".join(sorted(c for c in CODES if "_" in c)) + r")\b")


def problems(at) -> list[str]:
    """Raw codes and placeholders in the page's cells, tiles and texts."""
    found = []
    for frame in at.dataframe:
        value = frame.value
        # a data editor holds the codes it saves; its select columns show them through words
        # (format_func), so only its placeholders are checked
        editor = frame.editing_mode != "read_only"
        for column in value.columns:
            for cell in value[column]:
                if isinstance(cell, str) and (
                    cell in PLACEHOLDERS or (cell in CODES and not editor)
                ):
                    found.append(f"table cell {column!r}: {cell!r}")
    for metric in at.metric:
        if str(metric.value) in PLACEHOLDERS:
            found.append(f"tile {metric.label!r}: {metric.value!r}")
    for kind in ("markdown", "caption", "info", "success", "warning", "subheader", "title"):
        for element in getattr(at, kind):
            words = str(element.value)
            if UNDERSCORED.search(words) or re.search(r"\bNone\b|\bnan\b", words):
                found.append(f"{kind}: {words[:80]!r}")
    for element in at.expander:
        if UNDERSCORED.search(element.label) or re.search(r"\bNone\b|\bnan\b", element.label):
            found.append(f"expander: {element.label[:80]!r}")
    return found


def runs(role: str, page: str, engine):
    """The page, and each drill-down of it, as AppTest runs."""
    email = USERS[role]
    if page == "history.py":
        with engine.connect() as conn:
            action_id = conn.execute(
                text("select action_id from action_update order by id desc limit 1")
            ).scalar()
        yield make_app(email, page=f"app_pages/{page}", query_params={"action": str(action_id)})
        return
    at = make_app(email, page=f"app_pages/{page}")
    yield at
    if page == "reviews.py":
        with engine.connect() as conn:
            ids = conn.execute(text("select id from review order by id")).scalars().all()
        for review_id in ids:
            at.selectbox(key="review_detail").set_value(review_id).run()
            yield at
    if page == "themes.py":
        at.text_input(key="search_text").set_value("child").run()
        yield at
    if page == "actions.py":
        for view in ("overdue", "due_soon", "no_due_date", "stale"):
            at.radio(key="action_view").set_value(view).run()
            yield at


@pytest.mark.parametrize("role", list(USERS))
def test_no_codes_none_or_nan_on_any_page(role, demo_engine, app_env):
    found = {}
    for spec in PAGES:
        if role not in spec.roles:
            continue
        for at in runs(role, spec.file, demo_engine):
            assert not at.exception, (spec.file, [e.value for e in at.exception])
            bad = problems(at)
            if bad:
                found.setdefault(spec.file, []).extend(bad)
    assert not found, found
