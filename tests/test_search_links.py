"""Search results link to their item (issue 19): a chosen result of the Themes and search page
shows links to its review on the Reviews page, with that recommendation open, and for an action
to its history (for the roles that see History); the Reviews page opens the linked review."""

from __future__ import annotations

from urllib.parse import parse_qs

import pytest
from sqlalchemy import text

from monitoring import reads
from monitoring.source import Scope, Source
from tests.conftest import ANCHOR, make_app

BOARD = "board@northbridge.example"
VIEWER = "viewer@northbridge.example"


def ok(at):
    assert not at.exception, [e.value for e in at.exception]
    return at


def links(at) -> dict[str, dict[str, str]]:
    """The page links on the page: target page -> its query parameters."""
    return {
        link.proto.page: {k: v[0] for k, v in parse_qs(link.proto.query_string).items()}
        for link in at.get("page_link")
    }


def search(email: str, words: str, row: int):
    at = ok(make_app(email, page="app_pages/themes.py"))
    at.text_input(key="search_text").set_value(words).run()
    ok(at)
    assert any(c.value == "Choose a result in the table to open it." for c in at.caption)
    hits = at.dataframe[-1].value
    # a click on the row, as the table reports it
    at.session_state[f"search_hits_{words}"] = {"selection": {"rows": [row], "columns": []}}
    at.run()
    return ok(at), hits


@pytest.mark.parametrize("words", ["school", "training"])
def test_each_result_links_to_its_item(demo_engine, app_env, words):
    at, hits = search(BOARD, words, 0)
    total = len(hits)
    assert total > 1
    for row in range(min(total, 4)):
        at.session_state[f"search_hits_{words}"] = {"selection": {"rows": [row], "columns": []}}
        at.run()
        ok(at)
        kind, number = hits.iloc[row]["kind"], hits.iloc[row]["number"]
        found = links(at)
        review_id, rec_id = (
            int(found["reviews"]["show_review"]),
            int(found["reviews"]["recommendation"]),
        )
        with demo_engine.connect() as conn:
            if "action" in found.get("history", {}):
                action_id = int(found["history"]["action"])
                got = conn.execute(
                    text("select number, recommendation_id, review_id from action where id = :i"),
                    {"i": action_id},
                ).one()
                assert (got.number, got.recommendation_id, got.review_id) == (
                    number,
                    rec_id,
                    review_id,
                )
            else:
                got = conn.execute(
                    text("select number, review_id from recommendation where id = :i"),
                    {"i": rec_id},
                ).one()
                assert (got.number, got.review_id) == (number, review_id)
        assert ("history" in found) == (str(kind).lower().startswith("action")), kind


def test_the_reviews_page_opens_the_linked_review_and_recommendation(demo_engine, app_env):
    with demo_engine.connect() as conn:
        review_id, rec_id, number = conn.execute(
            text(
                "select review_id, id, number from recommendation"
                " order by review_id desc, id desc limit 1"
            )
        ).one()
    query = {"show_review": str(review_id), "recommendation": str(rec_id)}
    at = ok(make_app(BOARD, page="app_pages/reviews.py", query_params=query))
    assert at.selectbox(key="review_detail").value == review_id
    opened = [e for e in at.expander if e.proto.expanded]
    assert len(opened) == 1 and opened[0].label.startswith(f"{number}")
    # the reader may then choose another review: the link does not hold them
    with demo_engine.connect() as conn:
        other = conn.execute(
            text("select min(id) from review where id <> :i"), {"i": review_id}
        ).scalar()
    at.selectbox(key="review_detail").set_value(other).run()
    ok(at)
    assert at.selectbox(key="review_detail").value == other
    assert not any(e.proto.expanded for e in at.expander)
    bad = ok(make_app(BOARD, page="app_pages/reviews.py", query_params={"show_review": "99999"}))
    assert any(w.value.startswith("No such review") for w in bad.warning)


def test_a_viewer_gets_no_history_link_and_no_unpublished_item(demo_engine, app_env):
    at, hits = search(VIEWER, "school", 0)
    for row in range(len(hits)):
        at.session_state["search_hits_school"] = {"selection": {"rows": [row], "columns": []}}
        at.run()
        ok(at)
        assert "history" not in links(at) and "reviews" in links(at)
    # the location read keeps to the reader's scope: a review not yet published is not theirs
    with demo_engine.begin() as conn:
        review_id = conn.execute(text("select max(id) from review")).scalar()
        conn.execute(text("update review set published_on = null where id = :i"), {"i": review_id})
        action_id = conn.execute(
            text("select min(id) from action where review_id = :i"), {"i": review_id}
        ).scalar()
    with demo_engine.connect() as conn:
        viewer = Source(today=ANCHOR, scope=Scope("viewer"))
        assert reads.item_location(conn, viewer, "action", action_id) is None
        board = reads.item_location(conn, Source(today=ANCHOR), "action", action_id)
        assert board["review_id"] == review_id and board["action_id"] == action_id
