"""Repeat learning by a stated rule that still means something at 770 reviews (issue 19: on the
real PFD data "found in more than one review" flagged every one of its 17 categories).

Rule (:func:`monitoring.rules.is_repeat_learning`): a theme found in at least 2 reviews and in at
least 10% of the reviews shown (the whole-number share the page prints). Checked against
independent SQL on the real PFD file and on the demo, on the read model, the Themes page and the
user guide.
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import text

from monitoring import importer, reads, rules, services
from monitoring.source import source
from tests.conftest import ANCHOR, REALDATA, ROOT, make_app

PFD = REALDATA / "pfd" / "pfd_recipient_statuses.csv"
BOARD = "board@northbridge.example"
PER_THEME = """select t.name, count(distinct r.review_id) from theme t
    join recommendation_theme rt on rt.theme_id = t.id
    join recommendation r on r.id = rt.recommendation_id group by t.name"""


def by_sql(engine) -> tuple[dict[str, int], int]:
    """Reviews per theme and reviews in all, by SQL."""
    with engine.connect() as conn:
        per_theme = dict(conn.execute(text(PER_THEME)).all())
        total = conn.execute(text("select count(distinct review_id) from recommendation")).scalar()
    return per_theme, int(total)


def expected_flags(per_theme: dict[str, int], total: int) -> set[str]:
    """Independent arithmetic: at least 2 reviews, and the share rounded half up at least 10%
    (a share just under a whole number stays under: 99.5% of 10 is rounded, 9.74% is 10%)."""
    return {
        name for name, n in per_theme.items() if n >= 2 and (200 * n + total) // (2 * total) >= 10
    }


@pytest.mark.parametrize(
    ("theme_reviews", "all_reviews", "flagged"),
    [
        (1, 1, False),  # one review is never repeat learning
        (1, 4, False),
        (2, 4, True),  # a handful of reviews: more than one review is repeat learning
        (2, 20, True),  # 10% exactly
        (2, 21, True),  # 9.5% is shown as 10%
        (2, 22, False),  # 9.1% is shown as 9%
        (75, 770, True),  # 9.74% shown as 10%
        (65, 770, False),  # 8%
        (0, 0, False),
    ],
)
def test_the_rule_at_its_edges(theme_reviews, all_reviews, flagged):
    assert rules.is_repeat_learning(theme_reviews, all_reviews) is flagged


def test_the_user_guide_states_the_rule():
    guide = " ".join((ROOT / "docs" / "user-guide.md").read_text(encoding="utf-8").split())
    assert rules.repeat_learning_rule() == (
        "a theme is repeat learning when it is found in at least 2 reviews and in at least 10% "
        "of the reviews shown"
    )
    assert rules.repeat_learning_rule() in guide


@pytest.mark.usefixtures("shared_data")
def test_on_the_real_pfd_data_fewer_than_all_categories_are_flagged(engine, app_env):
    importer.import_path(PFD, engine, preset="pfd")
    services.create_user(
        engine, services.Actor.system("test"), BOARD, "Board Member", "board", password=None
    )
    per_theme, total = by_sql(engine)
    expected = expected_flags(per_theme, total)
    assert total == 770 and len(per_theme) == 17
    # the old rule flagged every category; this one flags the ones that keep coming back
    assert all(n > 1 for n in per_theme.values())
    assert 0 < len(expected) < len(per_theme)
    with engine.connect() as conn:
        themes = reads.themes(conn, source(date(2026, 3, 1)))
    assert set(themes.loc[themes["repeat"], "theme"]) == expected
    shares = dict(zip(themes["theme"], themes["share_of_reviews"], strict=True))
    for name, n in per_theme.items():
        assert shares[name] == rules.percentage(n, total)

    at = make_app(BOARD, page="app_pages/themes.py").run()
    assert not at.exception
    caption = " ".join(c.value for c in at.caption)
    assert rules.repeat_learning_rule() in caption
    assert f"{len(expected)} themes of {len(per_theme)} flagged" in caption
    warning = at.warning[0].value
    for name in per_theme:
        assert (name in warning) is (name in expected), name
    table = at.dataframe[0].value
    flagged_rows = table[table["repeat"] == "Yes: repeat learning"]
    assert set(flagged_rows["theme"]) == expected


def test_on_the_demo_a_theme_in_more_than_one_review_is_repeat_learning(demo_engine, app_env):
    per_theme, total = by_sql(demo_engine)
    expected = expected_flags(per_theme, total)
    # a handful of reviews: the share never decides, more than one review does
    assert expected == {name for name, n in per_theme.items() if n > 1}
    assert 0 < len(expected) < len(per_theme)
    with demo_engine.connect() as conn:
        themes = reads.themes(conn, source(ANCHOR))
    assert set(themes.loc[themes["repeat"], "theme"]) == expected
    at = make_app(BOARD, page="app_pages/themes.py").run()
    assert not at.exception
    assert rules.repeat_learning_rule() in " ".join(c.value for c in at.caption)
