"""Plotly figure builders: DataFrame in, Figure out, one shared template.

Colours are colour-blind safe and every RAG colour is paired with its word in labels, legends and
hover text (WCAG 1.4.1). Each figure has a title and axis titles.
"""

from __future__ import annotations

import math
import re
import textwrap

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from monitoring import rules, vocabulary

# Okabe-Ito palette (colour-blind safe) for non-RAG series.
PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"]

TEMPLATE = go.layout.Template(
    layout=go.Layout(
        font={"family": "Arial, Helvetica, sans-serif", "size": 14, "color": "#1b1f24"},
        title={"font": {"size": 17}, "x": 0, "xanchor": "left"},
        colorway=PALETTE,
        paper_bgcolor="#ffffff",
        plot_bgcolor="#ffffff",
        xaxis={"gridcolor": "#d9dde3", "zerolinecolor": "#9aa3ad", "automargin": True},
        yaxis={"gridcolor": "#d9dde3", "zerolinecolor": "#9aa3ad", "automargin": True},
        legend={"title": {"text": ""}},
        margin={"l": 10, "r": 10, "t": 60, "b": 10},
    )
)
pio.templates["monitoring"] = TEMPLATE


def chart_text(value) -> str:
    """A value from a person or a file (review ref or title, agency, theme or measure name) as
    Plotly text that is shown exactly as written: Plotly reads ``<b>``, ``<i>``, ``<br>``,
    ``<a href>``, ``<span style>`` and entities in titles, tick labels, legend names, bar text and
    hover text, so ``&``, ``<`` and ``>`` become ``&amp;``, ``&lt;``, ``&gt;`` (the only entities
    plotly.js turns back into characters besides numeric ones: ``&quot;`` would be shown as
    written). None is an empty string."""
    if value is None:
        return ""
    return str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


TITLE_SIZE = 17
"""Pixels: the chart title's font size (the template's)."""
SUBTITLE_SIZE = 13
"""Pixels: a chart subtitle's font size."""
LINE_SPACING = 1.3
"""Plotly's line height, in ems, between the lines of a title or subtitle (plotly.js
``LINE_SPACING``)."""
SUBTITLE_GAP_EM = 1.6
"""Ems of the subtitle's font between the title's last line and the subtitle (plotly.js
``SUBTITLE_PADDING_EM``)."""
TITLE_PAD = 10
"""Pixels above the title's first line and below the subtitle's last, before the plot."""
MULTILINE_RAISE_EM = 0.7
"""Ems of the title's font that plotly.js raises a title of two or more lines pinned to the top
(it drops the top anchor's 0.7 em shift): the padding adds them back, so the first line is not
cut off at the figure's top edge."""


AXIS_SPACE = 60
"""Pixels under a horizontal chart's plot for its tick labels and axis title."""
LEGEND_ROW = 22
"""Pixels: the height of one row of a legend."""


def text_lines(text: str | None) -> int:
    """How many lines Plotly draws for ``text`` (one more than its ``<br>`` tags; none for an
    empty text)."""
    if not text:
        return 0
    return len(re.findall(r"<br\s*/?>", text, flags=re.IGNORECASE)) + 1


def title_pad(title: str | None) -> float:
    """Pixels: the title's padding above it (:data:`TITLE_PAD`, and :data:`MULTILINE_RAISE_EM`
    for a title of two or more lines)."""
    return TITLE_PAD + (MULTILINE_RAISE_EM * TITLE_SIZE if text_lines(title) > 1 else 0)


def title_margin(title: str | None, subtitle: str | None = None) -> int:
    """Pixels: the top margin that holds every line of ``title`` and ``subtitle`` above the plot,
    with the title pinned to the top of the figure (:func:`_pin_title`): the padding, the title's
    lines, the gap, the subtitle's lines, the padding. So a title or subtitle never lies over a
    bar, however many lines it has."""
    height = title_pad(title) + text_lines(title) * TITLE_SIZE * LINE_SPACING
    if subtitle:
        height += (
            SUBTITLE_GAP_EM * SUBTITLE_SIZE + text_lines(subtitle) * SUBTITLE_SIZE * LINE_SPACING
        )
    return int(math.ceil(height + TITLE_PAD))


def _pin_title(fig: go.Figure, title: str, subtitle: str | None = None) -> None:
    """Put the title (and subtitle) at the top of the figure, growing downwards, and make the top
    margin :func:`title_margin` (Plotly's default centres the title in the margin, so a second line
    or a subtitle ran over the first bar)."""
    settings = {
        "text": title,
        "font": {"size": TITLE_SIZE},
        "yref": "container",
        "y": 1,
        "yanchor": "top",
        "pad": {"t": title_pad(title)},
        "automargin": False,
    }
    if subtitle:
        settings["subtitle"] = {"text": subtitle, "font": {"size": SUBTITLE_SIZE}}
    fig.update_layout(title=settings, margin={"t": title_margin(title, subtitle)})


def wrap_title(text: str, width: int = 40) -> str:
    """``text`` with each of its lines (split at ``<br>``) wrapped at ``width`` characters and
    joined with ``<br>``: Plotly never wraps a title, so a long line ran off a phone's chart."""
    lines = re.split(r"<br\s*/?>", text, flags=re.IGNORECASE)
    return "<br>".join(
        wrapped for line in lines for wrapped in (textwrap.wrap(line, width) or [""])
    )


def _layout(
    fig: go.Figure, title: str, x_title: str, y_title: str, height: int | None = None
) -> go.Figure:
    fig.update_layout(template="monitoring", height=height)
    _pin_title(fig, title)
    fig.update_xaxes(title_text=x_title)
    fig.update_yaxes(title_text=y_title)
    return fig


def _whole_number_axis(fig: go.Figure, largest: float, axis: str = "x") -> None:
    """Counts are whole numbers: no 0.5 ticks (a tick per unit up to 10, else Plotly's own)."""
    settings = {"rangemode": "tozero", "tickformat": ",d"}
    if largest <= 10:
        settings.update(tick0=0, dtick=1)
    (fig.update_xaxes if axis == "x" else fig.update_yaxes)(**settings)


PAGE_CONFIG = {"displayModeBar": False, "displaylogo": False}
"""Plotly's config for charts on pages: no mode bar (at 390 px it covered the title; a click on
a bar selects it without one, and the meeting pack has the images)."""

MAX_REVIEWS_CHARTED = 20
"""The RAG-by-review chart shows at most this many reviews (a bar per review stops being readable,
and its cost grows with every review: BENCHMARKS.md)."""


MAX_AGENCIES_CHARTED = 15
"""Charts of lead agencies show at most this many, then one "all others" bar (the real PFD data
names 609 agencies: a bar each made a page over 8,000 px long)."""

OTHERS_COLOUR = "#595959"
"""The "all others" bar: dark grey, so it reads as a total rather than one more agency."""


LABEL_CHARS = 30
"""Longest bar label drawn whole: a longer name is cut with an ellipsis (shown whole on hover), so
that on a phone (390 px) the bars keep their width."""


def short_label(name: str, limit: int = LABEL_CHARS) -> str:
    """``name`` cut to ``limit`` characters with an ellipsis when longer."""
    name = str(name)
    return name if len(name) <= limit else name[: limit - 1].rstrip() + "…"


def others_label(count: int, noun: str) -> str:
    """The label of the bar that sums the rest: "All other 594 agencies"."""
    return f"All other {count:,} {noun}"


def top_and_others(
    frame: pd.DataFrame, label: str, values: list[str], limit: int, noun: str
) -> tuple[pd.DataFrame, int]:
    """The first ``limit`` rows of ``frame`` (already worst first) and, when there are more, one
    row more whose ``label`` is :func:`others_label` and whose ``values`` columns are the sums of
    the rest.

    :returns: ``(rows to draw, number of rows summed into the last one)`` (0: no such row).
    """
    if len(frame) <= limit:
        return frame, 0
    rest = frame.iloc[limit:]
    others = {column: rest[column].sum() for column in values}
    others[label] = others_label(len(rest), noun)
    drawn = pd.concat([frame.iloc[:limit], pd.DataFrame([others])], ignore_index=True)
    return drawn, len(rest)


def worst_reviews(frame: pd.DataFrame, limit: int = MAX_REVIEWS_CHARTED) -> pd.DataFrame:
    """The rows of ``frame`` for the ``limit`` reviews with the most red, then amber, actions
    (ties by ref), in their original order.

    :param frame: ``ref, rag, actions`` as from :func:`monitoring.queries.rag_by_review`.
    """
    counts = frame.pivot_table(
        index="ref", columns="rag", values="actions", aggfunc="sum", fill_value=0
    )
    for code in ("red", "amber"):
        if code not in counts.columns:
            counts[code] = 0
    ranked = counts.assign(_ref=counts.index).sort_values(
        ["red", "amber", "_ref"], ascending=[False, False, True]
    )
    return frame[frame["ref"].isin(set(ranked.index[:limit]))]


def others_rag_words(frame: pd.DataFrame, reviews: int) -> str:
    """The lines that state the reviews a RAG chart leaves out, in words: "The other 754 reviews
    (not drawn):<br>Red 3, Amber 12, Green 400, Blue 900 actions".

    :param frame: ``rag, actions`` rows of the reviews not drawn.
    """
    labels = rules.rag_labels()
    totals = frame.groupby("rag")["actions"].sum() if not frame.empty else pd.Series(dtype=int)
    parts = [f"{labels[c]} {int(totals[c]):,}" for c in rules.RAG_CODES if totals.get(c, 0)]
    noun = "review" if reviews == 1 else "reviews"
    return f"The other {reviews:,} {noun} (not drawn):<br>" + (
        ", ".join(parts) + " actions" if parts else "no actions"
    )


def rag_by_review_chart(
    frame: pd.DataFrame,
    title: str = "Actions by RAG rating for each review",
    *,
    max_reviews: int = MAX_REVIEWS_CHARTED,
) -> go.Figure:
    """Horizontal stacked bars: one bar per review, one segment per RAG rating; each bar carries
    its review's id as ``customdata`` (a click on it opens that review's actions:
    :func:`selected_id`).

    :param frame: ``review_id, ref, title, rag, actions`` as from :func:`monitoring.queries.rag_by_review`.
    :param max_reviews: beyond this many reviews only those with the most red, then amber,
        actions are drawn (:func:`worst_reviews`); the title says so and the subtitle states the
        other reviews' actions by RAG in words (:func:`others_rag_words`) rather than drawing
        them as one bar that would dwarf the rest.
    """
    reviews = frame["ref"].nunique() if not frame.empty else 0
    subtitle = None
    if reviews > max_reviews:
        shown = worst_reviews(frame, max_reviews)
        subtitle = wrap_title(
            others_rag_words(frame[~frame.index.isin(shown.index)], reviews - max_reviews), 50
        )
        frame = shown
        # more lines: one line is cut off in a half-width column and on a phone (390 px)
        title = wrap_title(
            f"{title}:<br>the {max_reviews} of {reviews:,} with the most red, then amber, actions"
        )
    labels = rules.rag_labels()
    fig = go.Figure()
    refs = list(dict.fromkeys(frame["ref"])) if not frame.empty else []
    ids = (
        frame.drop_duplicates("ref").set_index("ref")["review_id"].reindex(refs).tolist()
        if "review_id" in frame
        else [None] * len(refs)
    )
    ids = [None if pd.isna(i) else int(i) for i in ids]
    for code in rules.RAG_CODES:
        part = frame[frame["rag"] == code] if not frame.empty else frame
        if part.empty:
            continue
        counts = part.set_index("ref")["actions"].reindex(refs).fillna(0).astype(int)
        fig.add_bar(
            y=[chart_text(ref) for ref in refs],
            x=counts.tolist(),
            customdata=ids,
            name=f"{labels[code]} – {rules.RAG_MEANINGS[code]}",
            orientation="h",
            marker={"color": rules.RAG_COLOURS[code], "line": {"color": "#ffffff", "width": 1}},
            text=[f"{labels[code]} {n}" if n else "" for n in counts],
            textposition="inside",
            insidetextfont={"color": "#ffffff"},
            hovertemplate="%{y}<br>" + labels[code] + ": %{x} actions<extra></extra>",
        )
    fig.update_layout(barmode="stack", legend={"orientation": "h", "y": -0.2})
    fig.update_yaxes(autorange="reversed")
    _layout(fig, title, "Number of actions", "Review", height=max(260, 70 * len(refs) + 140))
    if subtitle:  # its own space in the top margin, above the first bar
        _pin_title(fig, title, subtitle)
    # the legend at the figure's foot, in a bottom margin that holds the axis and a legend row
    # per rating (a phone stacks them), so it never lies over the axis title or a bar
    bottom = AXIS_SPACE + LEGEND_ROW * len(fig.data) + TITLE_PAD
    fig.update_layout(
        height=max(260, 70 * len(refs) + fig.layout.margin.t + bottom),
        margin={"b": bottom},
        legend={"yref": "container", "y": 0, "yanchor": "bottom"},
    )
    return fig


def selected_id(event) -> int | None:
    """The record id of the bar a reader clicked, from the selection event that
    ``st.plotly_chart(..., on_select=...)`` returns (or keeps in session state): the first
    selected point's ``customdata`` (a review's or an agency's id; see :func:`rag_by_review_chart`
    and :func:`overdue_by_agency_chart`). None when nothing is selected or the bar names no
    record (e.g. an "all others" bar, or actions with no lead agency).
    """
    try:
        points = event["selection"]["points"]
    except (KeyError, TypeError):
        return None
    for point in points or ():
        value = point.get("customdata") if isinstance(point, dict) else None
        if isinstance(value, list | tuple):
            value = value[0] if value else None
        if value is None or isinstance(value, bool):
            continue
        try:
            number = int(value)
        except (TypeError, ValueError):
            continue
        if number > 0:
            return number
    return None


def overdue_by_agency_chart(
    frame: pd.DataFrame,
    title: str = "Overdue actions by lead agency",
    *,
    max_agencies: int = MAX_AGENCIES_CHARTED,
) -> go.Figure:
    """Horizontal bars of overdue actions per lead agency, most overdue at the top.

    :param frame: ``agency_id, agency, overdue`` as from :func:`monitoring.queries.overdue_by_agency`
        (most first).
    :param max_agencies: beyond this many agencies the rest are summed into one "all others" bar
        (:func:`top_and_others`), drawn last in grey, and the title says so.
    """
    total = len(frame)
    frame, others = top_and_others(frame, "agency", ["overdue"], max_agencies, "agencies")
    if others:
        title = f"{title}:<br>the {max_agencies} of {total:,} with the most, and all others"
    red = rules.rag_labels()["red"]
    colours = [rules.RAG_COLOURS["red"]] * (len(frame) - (1 if others else 0))
    fig = go.Figure(
        go.Bar(
            y=[chart_text(short_label(name)) for name in frame["agency"]],
            hovertext=[chart_text(name) for name in frame["agency"]],  # the whole name
            x=frame["overdue"].astype(int).tolist(),
            # the agency's id, for a click to open its overdue actions (:func:`selected_id`);
            # none for the "all others" bar and for actions with no lead agency
            customdata=[
                None if pd.isna(i) else int(i) for i in frame.get("agency_id", [None] * len(frame))
            ],
            orientation="h",
            marker={"color": colours + ([OTHERS_COLOUR] if others else [])},
            text=[f"{n} overdue" for n in frame["overdue"].astype(int)],
            textposition="auto",
            name=f"{red} – overdue",
            hovertemplate="%{hovertext}<br>%{x} overdue actions<extra></extra>",
        )
    )
    fig.update_yaxes(autorange="reversed")
    _whole_number_axis(fig, float(frame["overdue"].max()) if len(frame) else 0)
    return _layout(
        fig, title, "Overdue actions", "Lead agency", height=max(260, 34 * len(frame) + 140)
    )


def agency_scorecard_chart(
    frame: pd.DataFrame,
    title: str = "Overdue actions by lead agency, worst first",
    *,
    max_agencies: int = MAX_AGENCIES_CHARTED,
) -> go.Figure:
    """Stacked horizontal bars per lead agency: overdue by more than 90 days and overdue by 90 days
    or fewer, in the scorecard's order (worst at the top).

    :param frame: the scorecard (:func:`monitoring.queries.agency_scorecard`); uses ``agency,
        overdue, overdue_90, open``.
    :param max_agencies: beyond this many agencies the rest are summed into one "all others" bar
        (:func:`top_and_others`), drawn last, and the title says so.
    """
    total = len(frame)
    frame, others = top_and_others(
        frame, "agency", ["overdue", "overdue_90"], max_agencies, "agencies"
    )
    if others:
        title = f"{title}:<br>the {max_agencies} of {total:,}, and all others together"
    red = rules.rag_labels()["red"]
    agencies = [chart_text(agency) for agency in frame["agency"]]
    # each bar's agency id, for a click to open its actions (:func:`selected_id`)
    ids = [None if pd.isna(i) else int(i) for i in frame.get("agency_id", [None] * len(frame))]
    long = frame["overdue_90"].astype(int).tolist()
    short = (frame["overdue"] - frame["overdue_90"]).astype(int).tolist()
    fig = go.Figure()
    fig.add_bar(
        y=agencies,
        x=long,
        customdata=ids,
        orientation="h",
        name=f"{red}: overdue more than 90 days",
        marker={"color": rules.RAG_COLOURS["red"], "line": {"color": "#ffffff", "width": 1}},
        text=[f"{n} over 90 days" if n else "" for n in long],
        textposition="inside",
        insidetextfont={"color": "#ffffff"},
        hovertemplate="%{y}<br>" + red + ": %{x} actions overdue more than 90 days<extra></extra>",
    )
    fig.add_bar(
        y=agencies,
        x=short,
        customdata=ids,
        orientation="h",
        name=f"{red}: overdue 90 days or fewer",
        marker={
            "color": "#E8A0A8",
            "pattern": {"shape": "/", "fgcolor": rules.RAG_COLOURS["red"]},
            "line": {"color": rules.RAG_COLOURS["red"], "width": 1},
        },
        text=[f"{n} up to 90 days" if n else "" for n in short],
        textposition="inside",
        insidetextfont={"color": "#1b1f24"},
        hovertemplate="%{y}<br>" + red + ": %{x} actions overdue 90 days or fewer<extra></extra>",
    )
    fig.update_layout(barmode="stack", legend={"orientation": "h", "y": -0.35})
    fig.update_yaxes(autorange="reversed")
    _whole_number_axis(fig, max((a + b for a, b in zip(long, short, strict=True)), default=0))
    return _layout(
        fig, title, "Overdue actions", "Lead agency", height=max(300, 36 * len(agencies) + 190)
    )


def least_progressed_reviews(
    register: pd.DataFrame, limit: int = MAX_REVIEWS_CHARTED
) -> pd.DataFrame:
    """The ``limit`` rows of the review register that are worst off: most overdue actions, then
    the lowest share of recommendations implemented (none counts as 0%), then by ref; in the
    register's own order.

    :param register: ``ref, overdue, pct_implemented`` as from
        :func:`monitoring.queries.review_register`.
    """
    ranked = register.assign(
        _implemented=register["pct_implemented"].astype("Float64").fillna(0.0)
    ).sort_values(["overdue", "_implemented", "ref"], ascending=[False, True, True])
    return register[register.index.isin(ranked.index[:limit])]


def _pooled_progress(register: pd.DataFrame) -> dict:
    """One register row for many reviews together: their recommendations, overdue actions, and
    the shares implemented and assured of all their recommendations (None when they have none).
    """
    recs = register["recommendations"].fillna(0).astype(float)
    total = float(recs.sum())

    def pooled(column: str) -> float | None:
        if not total:
            return None
        return float((register[column].astype("Float64").fillna(0.0) * recs).sum()) / total

    return {
        "ref": others_label(len(register), "reviews"),
        "recommendations": int(total),
        "overdue": int(register["overdue"].fillna(0).sum()),
        "pct_implemented": pooled("pct_implemented"),
        "pct_assured": pooled("pct_assured"),
    }


def review_progress_chart(
    frame: pd.DataFrame,
    title: str = "Recommendations implemented and assured, by review",
    *,
    max_reviews: int = MAX_REVIEWS_CHARTED,
) -> go.Figure:
    """Grouped horizontal bars per review: % of recommendations implemented and % assured.

    :param frame: the review register (:func:`monitoring.queries.review_register`); uses ``ref,
        pct_implemented, pct_assured`` (None shown as 0 with the text "no recommendations"), and
        ``overdue`` when there are more than ``max_reviews`` reviews.
    :param max_reviews: beyond this many reviews only the worst off are drawn
        (:func:`least_progressed_reviews`) and the title says so.
    """
    if len(frame) > max_reviews:
        total = len(frame)
        shown = least_progressed_reviews(frame, max_reviews)
        rest = frame[~frame.index.isin(shown.index)]
        frame = pd.concat([shown, pd.DataFrame([_pooled_progress(rest)])], ignore_index=True)
        title = (
            f"{title}:<br>the {max_reviews} of {total:,} with the most overdue actions, then the "
            "least implemented, and all others"
        )
    refs = [chart_text(ref) for ref in frame["ref"]]
    fig = go.Figure()
    for column, name, colour, pattern in (
        ("pct_implemented", "Implemented (all actions closed)", PALETTE[0], ""),
        ("pct_assured", "Assured (evidence seen by the board)", PALETTE[2], "x"),
    ):
        values = [None if pd.isna(v) else float(v) for v in frame[column]]
        fig.add_bar(
            y=refs,
            x=[v or 0 for v in values],
            # each bar's review id, for a click to open its detail (:func:`selected_id`)
            customdata=[
                None if pd.isna(i) else int(i) for i in frame.get("review_id", [None] * len(refs))
            ],
            orientation="h",
            name=name,
            marker={"color": colour, "pattern": {"shape": pattern}},
            text=["no recommendations" if v is None else vocabulary.percent(v) for v in values],
            textposition="outside",
            hovertemplate="%{y}<br>" + name + ": %{x:.0f}%<extra></extra>",
        )
    fig.update_layout(barmode="group", legend={"orientation": "h", "y": -0.2})
    fig.update_xaxes(range=[0, 110], ticksuffix="%")
    fig.update_yaxes(autorange="reversed")
    return _layout(
        fig, title, "Share of recommendations (%)", "Review", height=max(280, 50 * len(refs) + 160)
    )


TREND_SERIES = (
    # column, legend name, colour, line dash, marker symbol (shape and dash, not only colour)
    ("open", "Open actions", PALETTE[0], "solid", "circle"),
    ("overdue", f"Overdue actions ({rules.DEFAULT_RAG_LABELS['red']})", "#B2182B", "dash", "x"),
    ("completed", "Completed or assured actions", PALETTE[2], "dot", "square"),
)


def trend_chart(frame: pd.DataFrame, title: str = "Actions over time") -> go.Figure:
    """Lines of open, overdue and completed actions at each monthly point.

    :param frame: ``as_at`` (date), ``open``, ``overdue``, ``completed`` for one series (one review
        or the totals) as from :func:`monitoring.asat.trend`; a missing value ("not recorded")
        leaves a gap in the lines.
    """
    fig = go.Figure()
    for column, name, colour, dash, symbol in TREND_SERIES:
        if column == "overdue":
            name = f"Overdue actions ({rules.rag_labels()['red']})"
        fig.add_scatter(
            x=list(frame["as_at"]),
            # a point before anything was recorded is a gap, never 0 (issue 17)
            y=[None if pd.isna(v) else int(v) for v in frame[column]],
            mode="lines+markers",
            name=name,
            line={"color": colour, "dash": dash, "width": 3},
            marker={"symbol": symbol, "size": 8},
            hovertemplate="%{x|%d %b %Y}<br>" + name + ": %{y}<extra></extra>",
        )
    fig.update_layout(legend={"orientation": "h", "y": -0.25}, hovermode="x unified")
    fig.update_xaxes(tickformat="%b %Y")
    return _layout(fig, title, "Month end", "Number of actions", height=420)


def theme_chart(
    frame: pd.DataFrame, title: str = "Recommendations by theme across reviews"
) -> go.Figure:
    """Horizontal bars of recommendations per theme; repeat-learning themes
    (:func:`monitoring.rules.is_repeat_learning`) are drawn in a different colour and pattern,
    and say so in the label and hover.

    :param frame: ``theme, recommendations, reviews, repeat`` as from
        :func:`monitoring.queries.theme_summary`.
    """
    fig = go.Figure()
    for repeat, name, colour, pattern in (
        (True, "Repeat learning", PALETTE[1], "/"),
        (False, "Not flagged as repeat learning", PALETTE[0], ""),
    ):
        part = frame[frame["repeat"] == repeat]
        if part.empty:
            continue
        fig.add_bar(
            y=[chart_text(theme) for theme in part["theme"]],
            x=part["recommendations"].astype(int).tolist(),
            orientation="h",
            name=name,
            marker={"color": colour, "pattern": {"shape": pattern}},
            text=[
                f"{n} in {vocabulary.count_words(int(r), 'review')}"
                + (" (repeat)" if repeat else "")
                for n, r in zip(part["recommendations"], part["reviews"], strict=True)
            ],
            textposition="auto",
            hovertemplate="%{y}<br>%{x} recommendations<br>" + name + "<extra></extra>",
        )
    fig.update_layout(legend={"orientation": "h", "y": -0.2})
    fig.update_yaxes(
        autorange="reversed",
        categoryorder="array",
        categoryarray=[chart_text(theme) for theme in frame["theme"]],
    )
    return _layout(fig, title, "Recommendations", "Theme", height=max(280, 34 * len(frame) + 160))
