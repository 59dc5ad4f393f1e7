"""Plotly figure builders: DataFrame in, Figure out, one shared template.

Colours are colour-blind safe and every RAG colour is paired with its word in labels, legends and
hover text (WCAG 1.4.1). Each figure has a title and axis titles.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from monitoring import rules

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


def _layout(
    fig: go.Figure, title: str, x_title: str, y_title: str, height: int | None = None
) -> go.Figure:
    fig.update_layout(template="monitoring", title={"text": title}, height=height)
    fig.update_xaxes(title_text=x_title)
    fig.update_yaxes(title_text=y_title)
    return fig


def rag_by_review_chart(
    frame: pd.DataFrame, title: str = "Actions by RAG rating for each review"
) -> go.Figure:
    """Horizontal stacked bars: one bar per review, one segment per RAG rating.

    :param frame: ``review_id, ref, title, rag, actions`` as from :func:`monitoring.queries.rag_by_review`.
    """
    labels = rules.rag_labels()
    fig = go.Figure()
    refs = list(dict.fromkeys(frame["ref"])) if not frame.empty else []
    for code in rules.RAG_CODES:
        part = frame[frame["rag"] == code] if not frame.empty else frame
        if part.empty:
            continue
        counts = part.set_index("ref")["actions"].reindex(refs).fillna(0).astype(int)
        fig.add_bar(
            y=refs,
            x=counts.tolist(),
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
    return _layout(fig, title, "Number of actions", "Review", height=max(260, 70 * len(refs) + 140))


def overdue_by_agency_chart(
    frame: pd.DataFrame, title: str = "Overdue actions by lead agency"
) -> go.Figure:
    """Horizontal bars of overdue actions per lead agency, most overdue at the top.

    :param frame: ``agency_id, agency, overdue`` as from :func:`monitoring.queries.overdue_by_agency`.
    """
    red = rules.rag_labels()["red"]
    fig = go.Figure(
        go.Bar(
            y=frame["agency"].tolist(),
            x=frame["overdue"].tolist(),
            orientation="h",
            marker={"color": rules.RAG_COLOURS["red"]},
            text=[f"{n} overdue" for n in frame["overdue"]],
            textposition="auto",
            name=f"{red} – overdue",
            hovertemplate="%{y}<br>%{x} overdue actions<extra></extra>",
        )
    )
    fig.update_yaxes(autorange="reversed")
    return _layout(
        fig, title, "Overdue actions", "Lead agency", height=max(260, 34 * len(frame) + 140)
    )
