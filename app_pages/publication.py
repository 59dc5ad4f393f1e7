"""Publication (administrators): publish a review in the public register, or withdraw it
(case 13). The register (``python -m monitoring publish``) holds only reviews published here."""

import streamlit as st

from monitoring import services
from monitoring.exports import public
from monitoring.ui import data, updates, widgets

actor, engine = updates.admin_page(
    __file__,
    "Publication",
    "The public register (python -m monitoring publish) holds only the reviews published here; "
    "an import never publishes. Withdrawing a review takes it out of the next register.",
)
reviews = data.read(public.review_publication)
if reviews.empty:
    st.caption("No reviews yet.")
else:
    # a review never published has no date (NaN through pandas, which is truthy): the label is
    # decided on the date as shown, never on the raw value
    titles = {int(r.id): f"{r.ref}: {r.title}" for r in reviews.itertuples()}
    names = {
        int(r.id): titles[int(r.id)]
        + (
            f" (published {day})"
            if (day := widgets.uk_date(r.published_on))
            else " (not published)"
        )
        for r in reviews.itertuples()
    }
    review_id = st.selectbox("Review", list(names), format_func=names.get, key="publish_pick")
    on = st.date_input("Publication date", value=None, format="DD/MM/YYYY", key="publish_on")
    left, right = st.columns(2)
    if left.button("Publish", type="primary", disabled=on is None):
        updates.run_service(
            lambda: services.set_review_publication(engine, actor, review_id, on),
            f"{titles[review_id]} published on {widgets.uk_date(on)}.",
        )
    if right.button("Withdraw from the register"):
        updates.run_service(
            lambda: services.set_review_publication(engine, actor, review_id, None),
            f"{titles[review_id]} withdrawn from the public register.",
        )
