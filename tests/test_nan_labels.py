"""A missing text value read through pandas 3 is NaN, which ``value or "..."`` keeps and an f-string
writes as "nan": the Reviews page heads a recommendation without a title with its number alone
(the same fault as the fresh user's ``user add --agency`` crash and "(published )" label)."""

from __future__ import annotations

from monitoring.ui.text import cell_text
from tests.conftest import make_app, records

BOARD = "board@northbridge.example"


def test_cell_text_reads_missing_values_as_empty():
    assert [cell_text(v) for v in (None, float("nan"), "", "POL", 3)] == ["", "", "", "POL", "3"]


def test_a_recommendation_without_a_title_is_headed_by_its_number(demo_engine, app_env):
    rec = records(
        demo_engine,
        "select r.id, r.number, r.review_id from recommendation r order by r.review_id, r.id",
    )[0]
    with demo_engine.begin() as conn:
        conn.exec_driver_sql(f"update recommendation set title = NULL where id = {rec['id']}")
    at = make_app(BOARD, page="app_pages/reviews.py")
    at.selectbox(key="review_detail").set_value(rec["review_id"]).run()
    assert not at.exception, [e.value for e in at.exception]
    labels = [e.label for e in at.expander]
    assert any(label.startswith(f"{rec['number']}\\. — ") for label in labels), labels
    assert not [label for label in labels if "nan" in label.split("—")[0]]
