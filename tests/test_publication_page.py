"""The Publication page's review picker says which reviews are published and when: "(not
published)" for a review never published (its missing date came through pandas as NaN and read
"(published )", a fresh user's finding)."""

from __future__ import annotations

from datetime import date

from monitoring import services
from monitoring.ui.text import md
from tests.conftest import make_app, records

ADMIN = "admin@northbridge.example"


def test_picker_labels_published_and_unpublished_reviews(demo_engine, app_env):
    reviews = records(demo_engine, "select id, ref, title from review order by ref")
    admin = services.Actor.from_user(
        records(demo_engine, "select * from app_user where email = :e", e=ADMIN)[0]
    )
    published, unpublished = reviews[0], reviews[1:]
    services.set_review_publication(demo_engine, admin, published["id"], date(2026, 6, 1))
    for review in unpublished:
        services.set_review_publication(demo_engine, admin, review["id"], None)
    at = make_app(ADMIN, page="app_pages/publication.py")
    assert not at.exception, [e.value for e in at.exception]
    options = at.selectbox(key="publish_pick").options
    assert options == [
        f"{published['ref']}: {published['title']} (published 1 Jun 2026)",
        *(f"{r['ref']}: {r['title']} (not published)" for r in unpublished),
    ]
    assert not any("(published )" in o for o in options)
    # The success message names the review without its state.
    at.selectbox(key="publish_pick").set_value(unpublished[0]["id"])
    at.date_input(key="publish_on").set_value(date(2026, 6, 2))
    at.run()
    next(b for b in at.button if b.label == "Publish").click()
    at.run()
    assert not at.exception
    title = f"{unpublished[0]['ref']}: {unpublished[0]['title']}"
    assert [s.value for s in at.success] == [md(f"{title} published on 2 Jun 2026.")]
    label = f"{title} (published 2 Jun 2026)"
    assert label in at.selectbox(key="publish_pick").options
