"""Measures: did practice change? Every impact measure with its latest value, the Making Data Count
variation and assurance icons (each with its words beside it) and a small XmR chart, worst first.

With the sidebar's "As at" date set, each chart shows only the values recorded by then. Agency
leads (for their agency's measures) and administrators record a value, import values from a file,
and record feedback from children, young people and families. Names, definitions and feedback
came from people: they are shown as text, never as markdown.
"""

import html

import streamlit as st

from monitoring import measure_charts, measures, queries, services
from monitoring.ui import data, filters, session, widgets
from monitoring.ui.text import cell_text, md

user = session.guard(__file__)
current = filters.current()
as_at = current.as_at

st.title("Measures: did practice change?")
if as_at:
    widgets.as_at_caption(as_at)
    st.caption("Each chart shows only the values recorded by the end of that day.")
else:
    widgets.today_caption(data.today())
if message := st.session_state.pop("measures_saved", None):
    st.success(md(message))

scope = data.scope()  # what this reader may read (monitoring.source.Scope)
views = data.read(measures.measure_views, as_at, current, scope=scope)
table = data.read(measures.summaries, as_at, current, scope=scope)
counts = data.read(measures.overview_counts, as_at, current, scope=scope)
tiles = st.columns(4)
widgets.tile(tiles[0], "Measures", counts.total)
widgets.tile(tiles[1], "Improving", counts.improving, help="Special cause, improving.")
widgets.tile(tiles[2], "Concerning", counts.concerning, help="Special cause, concerning.")
widgets.tile(tiles[3], "No significant change", counts.no_change)

if table.empty:
    st.info("No measures match the filters yet.")
else:
    st.subheader("Every measure, worst first")
    st.dataframe(measures.display_table(table), hide_index=True, width="stretch")
    st.caption(
        "How to read the icons and charts: see 'Reading a measure's chart' in the user guide. "
        "Limits are the mean ± 2.66 × the average moving range; a change recorded for a "
        "measure starts new limits."
    )

MAX_CHARTS = 30  # a chart costs about 50 ms to build; filter the sidebar to chart others
if len(views) > MAX_CHARTS:
    st.caption(
        f"Charts for the {MAX_CHARTS} measures at the top of the table (of {len(views)}); "
        "use the sidebar filters to chart others."
    )
for view in views[:MAX_CHARTS]:
    measure = view.measure
    with st.container(border=True):
        left, right = st.columns([2, 3])
        with left:
            st.html(f"<h3 style='margin:0'>{html.escape(measure['name'])}</h3>")
            where = measure["review_ref"] or measure["theme"] or ""
            if measure["recommendation_number"] is not None:
                where += f" recommendation {measure['recommendation_number']}"
            st.text(f"{where.strip()} · owned by {measure['agency'] or '—'}")
            if len(view.frame):
                last = view.frame.iloc[-1]
                st.text(
                    "Latest: "
                    + measures.value_words(float(last["value"]), measure["unit"])
                    + " for "
                    + measures.period_words(last["period_end"], measure["frequency"])
                    + f" ({len(view.frame)} values)"
                )
            else:
                st.text("No values recorded yet.")
            st.html(measure_charts.icons_html(view.variation, view.assurance))
            definition = measure["numerator"] or ""
            if measure["denominator"]:
                definition += f" ÷ {measure['denominator']}"
            if definition:
                st.text(f"Definition: {definition}")
            if measure["change_from"]:
                st.text(
                    f"Change recorded from {widgets.uk_date(measure['change_from'])}: "
                    f"{measure['change_note'] or 'limits recalculated'}"
                )
        with right:
            if len(view.frame):
                figure = measure_charts.xmr_figure(measure, view.frame, view.chart, small=True)
                st.plotly_chart(figure, width="stretch", key=f"measure_chart_{measure['id']}")

st.subheader("Voice of the child and family")
feedback = data.read(measures.feedback_entries, None, as_at, current, scope=scope)
if feedback.empty:
    st.info("No feedback recorded.")
else:
    st.dataframe(
        feedback[["received_on", "review_ref", "recommendation", "source", "summary"]],
        hide_index=True,
        width="stretch",
        column_config={
            "received_on": st.column_config.DateColumn("Received", format="D MMM YYYY"),
            "review_ref": "Review",
            "recommendation": "Recommendation",
            "source": "From",
            "summary": st.column_config.TextColumn("What they said (anonymised)", width="large"),
        },
    )

if user["role"] not in ("admin", "agency_lead"):
    st.stop()

actor = session.current_actor()
editable = data.read(measures.editable_measures, user["role"], user.get("agency_id"))
labels = {
    int(r.id): f"{r.name} ({cell_text(r.review_ref) or 'theme'})" for r in editable.itertuples()
}  # a theme's measure has no review: NaN through pandas, which `or` would keep


def saved(message: str) -> None:
    st.session_state["measures_saved"] = message
    st.rerun()


def attempt(write, *args, done, **values) -> None:
    """``write(engine, actor, *args, **values)`` (a service of :mod:`monitoring.measures`): its
    refusal is shown as text; on success the page reloads saying ``done`` (text, or a function
    of what was written)."""
    try:
        written = write(data.engine(), actor, *args, **values)
    except services.ServiceError as exc:
        st.error(md(exc))
    else:
        saved(done(written) if callable(done) else done)


st.subheader("Record a value")
if not labels:
    st.info("Your agency owns no measures yet.")
else:
    with st.form("record_value", clear_on_submit=False):
        measure_id = st.selectbox("Measure", list(labels), format_func=labels.get)
        period_end = st.date_input(
            "Period ending", value=None, max_value=data.today(), format="DD/MM/YYYY"
        )
        value = st.number_input("Value", value=None, min_value=0.0, step=1.0)
        num_col, den_col = st.columns(2)
        numerator = num_col.number_input(
            "Numerator (for a percentage)", value=None, min_value=0.0, step=1.0
        )
        denominator = den_col.number_input(
            "Denominator (for a percentage)", value=None, min_value=0.0, step=1.0
        )
        correction = st.checkbox("This corrects a value already recorded for that period")
        submitted = st.form_submit_button("Save the value", type="primary")
    if submitted:
        record = measures.correct_observation if correction else measures.add_observation
        extra = {"version": None} if correction else {}
        attempt(
            record,
            measure_id,
            period_end=period_end,
            value=value,
            numerator=numerator,
            denominator=denominator,
            **extra,
            done=lambda written: (
                f"Saved {written['value']:g} for the period ending "
                f"{widgets.uk_date(written['period_end'])}."
            ),
        )

    with st.expander("Import values from a file (.csv or .xlsx)"):
        st.caption(
            "A header row, then one row per period: period (a date, or a month such as "
            "March 2026), value, and for a percentage optionally numerator and denominator. "
            "A period already recorded is corrected. On any problem nothing is saved."
        )
        import_measure = st.selectbox(
            "Measure", list(labels), format_func=labels.get, key="import_measure"
        )
        upload = st.file_uploader("Values file", type=["csv", "xlsx"], key="import_values")
        if upload is not None and st.button("Import the values"):
            try:
                written = measures.import_observations(
                    data.engine(), actor, import_measure, upload.getvalue(), upload.name
                )
            except measures.ObservationImportError as exc:
                st.error("Nothing was saved. Please correct the file:")
                st.dataframe({"Problem": exc.problems}, hide_index=True, width="stretch")
            except services.ServiceError as exc:
                st.error(md(exc))
            else:
                saved(f"Imported {len(written)} values.")

with st.expander("Add a measure"):
    options = data.read(queries.filter_options)
    recs = data.read(measures.feedback_recommendations, "admin", None)
    rec_labels = dict(zip(recs["id"].astype(int), recs["label"], strict=True))
    theme_labels = dict(options["themes"])
    agency_labels = dict(options["agencies"])
    with st.form("add_measure"):
        name = st.text_input("Name", max_chars=300)
        rec_choice = st.selectbox(
            "Recommendation", [None, *rec_labels], format_func=lambda i: rec_labels.get(i, "—")
        )
        theme_choice = st.selectbox(
            "Or a theme", [None, *theme_labels], format_func=lambda i: theme_labels.get(i, "—")
        )
        numerator_words = st.text_input("What is counted (numerator)")
        denominator_words = st.text_input("Out of what (denominator, for a percentage)")
        unit_col, better_col, freq_col = st.columns(3)
        unit = unit_col.selectbox(
            "Unit", list(measures.UNIT_LABELS), format_func=measures.UNIT_LABELS.get
        )
        better = better_col.selectbox(
            "Better", list(measures.BETTER_LABELS), format_func=measures.BETTER_LABELS.get
        )
        frequency = freq_col.selectbox(
            "Reported", list(measures.FREQUENCY_LABELS), format_func=measures.FREQUENCY_LABELS.get
        )
        source = st.selectbox(
            "Source", list(measures.SOURCE_LABELS), format_func=measures.SOURCE_LABELS.get
        )
        base_col, from_col, to_col = st.columns(3)
        baseline_value = base_col.number_input("Baseline value", value=None)
        baseline_from = from_col.date_input("Baseline from", value=None, format="DD/MM/YYYY")
        baseline_to = to_col.date_input("Baseline to", value=None, format="DD/MM/YYYY")
        target_col, by_col = st.columns(2)
        target_value = target_col.number_input("Target value", value=None)
        target_on = by_col.date_input("Target date", value=None, format="DD/MM/YYYY")
        if user["role"] == "admin":
            owner = st.selectbox(
                "Owning agency", list(agency_labels), format_func=agency_labels.get
            )
        else:
            owner = user.get("agency_id")
        added = st.form_submit_button("Add the measure")
    if added:
        attempt(
            measures.add_measure,
            name=name,
            recommendation_id=rec_choice,
            theme_id=theme_choice,
            numerator=numerator_words,
            denominator=denominator_words,
            unit=unit,
            better=better,
            frequency=frequency,
            source=source,
            baseline_value=baseline_value,
            baseline_from=baseline_from,
            baseline_to=baseline_to,
            target_value=target_value,
            target_on=target_on,
            agency_id=owner,
            done="Measure added.",
        )

if labels:
    with st.expander("Record a change in practice (limits are recalculated from it)"):
        versions = dict(zip(editable["id"].astype(int), editable["version"], strict=True))
        with st.form("record_change"):
            change_measure = st.selectbox(
                "Measure", list(labels), format_func=labels.get, key="change_measure"
            )
            change_from = st.date_input("From the period ending", value=None, format="DD/MM/YYYY")
            change_note = st.text_input("What changed", max_chars=2000)
            changed = st.form_submit_button("Record the change")
        if changed:
            attempt(
                measures.edit_measure,
                change_measure,
                version=int(versions[change_measure]),
                change_from=change_from,
                change_note=change_note,
                done="Change recorded: the chart's limits are recalculated from that period.",
            )

st.subheader("Record feedback from children, young people or families")
recommendations = data.read(measures.feedback_recommendations, user["role"], user.get("agency_id"))
if recommendations.empty:
    st.info("Your agency leads no recommendation's actions or measures yet.")
else:
    choices = dict(zip(recommendations["id"].astype(int), recommendations["label"], strict=True))
    with st.form("record_feedback", clear_on_submit=False):
        rec_id = st.selectbox("Recommendation", list(choices), format_func=choices.get)
        received_on = st.date_input(
            "Received on", value=None, max_value=data.today(), format="DD/MM/YYYY"
        )
        source = st.text_input("From (e.g. young people's participation group)", max_chars=200)
        summary = st.text_area(
            "What they said (anonymised: no names or details that identify anyone)",
            max_chars=4000,
        )
        sent = st.form_submit_button("Save the feedback")
    if sent:
        attempt(
            measures.add_feedback,
            rec_id,
            received_on=received_on,
            source=source,
            summary=summary,
            done="Feedback saved.",
        )
