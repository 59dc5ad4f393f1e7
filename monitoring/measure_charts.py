"""Charts for impact measures: the XmR chart (Plotly) and the Making Data Count icons (SVG drawn
here: no external font, image or script).

Colours follow Making Data Count's meaning (blue improving, orange concerning, grey common cause,
purple neither) in colour-blind-safe shades, and are never alone: special-cause points also get a
symbol (▲ higher, ▼ lower) and a word in the legend and hover text, and each icon carries its text
alternative (:mod:`monitoring.spc`).
"""

from __future__ import annotations

import base64
import html
from collections.abc import Mapping
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from monitoring import charts, spc

IMPROVING = "#0072B2"
CONCERNING = "#D55E00"
COMMON = "#5f6b7a"
NEUTRAL = "#6a3d9a"
TARGET = "#b8860b"
LIMIT = "#8a94a3"

UNIT_AXIS = {"percent": "Percentage (%)", "count": "Count", "days": "Days"}


def _kind_style(kind: str) -> tuple[str, str, str]:
    """(colour, marker symbol, word) for a point kind (:func:`monitoring.spc.point_kind`)."""
    if kind == "common_cause":
        return COMMON, "circle", "Common cause"
    family, _, side = kind.partition("_")
    symbol = "triangle-up" if side == "high" else "triangle-down"
    colour = {"improving": IMPROVING, "concerning": CONCERNING}.get(family, NEUTRAL)
    word = {
        "improving": "Improving (special cause)",
        "concerning": "Concerning (special cause)",
    }.get(family, "Special cause (neither better nor worse)")
    return colour, symbol, f"{word}, {'higher' if side == 'high' else 'lower'}"


RULE_WORDS = {
    "outside": "outside the process limits",
    "shift": f"a shift ({spc.SHIFT_RUN}+ points one side of the mean)",
    "trend": f"a trend ({spc.TREND_RUN}+ points rising or falling)",
    "two_of_three": "two of three points close to a limit",
}


def xmr_figure(
    measure: Mapping[str, Any],
    frame: pd.DataFrame,
    chart: spc.Chart,
    *,
    small: bool = False,
    title: str | None = None,
) -> go.Figure:
    """An XmR chart of one measure: values by period, the mean and process limits of each part
    (recalculated from a recorded change), the target line, the baseline period shaded, and
    special-cause points marked by colour, symbol and word.

    :param measure: a ``measure`` row (``name``, ``unit``, ``better``, ``target_value``,
        ``baseline_from``, ``baseline_to``, ``change_from``).
    :param frame: its observations in force (``period_end``, ``value``), oldest first.
    :param chart: :func:`monitoring.measures.chart_for` of them.
    :param small: a compact chart for the list of measures (no legend, shorter).
    :param title: the chart's title in our own words (Plotly markup allowed); default the
        measure's name, escaped (:func:`monitoring.charts.chart_text`): it came from a person.
    """
    unit = measure.get("unit") or "count"
    better = measure.get("better")
    periods = list(pd.to_datetime(frame["period_end"], format="ISO8601")) if len(frame) else []
    values = [float(v) for v in frame["value"]] if len(frame) else []
    fig = go.Figure()
    fig.add_scatter(
        x=periods,
        y=values,
        mode="lines",
        line={"color": COMMON, "width": 2},
        name="Value",
        hoverinfo="skip",
        showlegend=False,
    )
    groups: dict[str, list[int]] = {}
    for point in chart.points:
        groups.setdefault(spc.point_kind(point, better), []).append(point.index)
    for kind in sorted(groups, key=lambda k: k != "common_cause"):
        colour, symbol, word = _kind_style(kind)
        idx = groups[kind]
        reasons = [
            "; ".join(RULE_WORDS[r] for r in chart.points[i].rules) or "within the limits"
            for i in idx
        ]
        fig.add_scatter(
            x=[periods[i] for i in idx],
            y=[values[i] for i in idx],
            mode="markers",
            marker={"color": colour, "symbol": symbol, "size": 9 if small else 11},
            name=word,
            customdata=reasons,
            hovertemplate="%{x|%b %Y}: %{y}<br>" + word + ": %{customdata}<extra></extra>",
        )
    for number, part in enumerate(chart.parts):
        xs = [periods[part.start], periods[part.stop - 1]]
        first = number == 0
        for y, name, dash in (
            (part.mean, "Mean", "solid"),
            (part.upper, "Process limits", "dash"),
            (part.lower, "Process limits", "dash"),
        ):
            fig.add_scatter(
                x=xs,
                y=[y, y],
                mode="lines",
                line={"color": "#1b1f24" if name == "Mean" else LIMIT, "dash": dash, "width": 1.5},
                name=name,
                legendgroup=name,
                showlegend=first and not (name == "Process limits" and y == part.lower),
                hovertemplate=f"{name}: {y:.1f}<extra></extra>",
            )
    target = measure.get("target_value")
    if target is not None and len(values):
        fig.add_scatter(
            x=[periods[0], periods[-1]],
            y=[target, target],
            mode="lines",
            line={"color": TARGET, "dash": "dot", "width": 2},
            name=f"Target ({_number(target, unit)})",
            hovertemplate=f"Target: {_number(target, unit)}<extra></extra>",
        )
    if measure.get("baseline_from") and measure.get("baseline_to"):
        fig.add_vrect(
            x0=measure["baseline_from"],
            x1=measure["baseline_to"],
            fillcolor="#d9dde3",
            opacity=0.45,
            line_width=0,
            layer="below",
            annotation_text="Baseline",
            annotation_position="top left",
        )
    if measure.get("change_from") and len(chart.parts) > 1:
        fig.add_vline(x=periods[chart.parts[1].start], line={"color": "#1b1f24", "width": 1})
        if not small:
            fig.add_annotation(
                x=periods[chart.parts[1].start],
                y=1,
                yref="paper",
                text="Change: limits recalculated",
                showarrow=False,
                xanchor="left",
                yanchor="bottom",
            )
    heading = title or charts.chart_text(measure.get("name"))
    charts._layout(fig, heading, "Period ending", UNIT_AXIS.get(unit, "Value"))
    fig.update_xaxes(tickformat="%b %Y")
    if unit == "percent":
        fig.update_yaxes(ticksuffix="%")
    if small:
        fig.update_layout(height=260, showlegend=False, margin={"t": 50, "b": 10})
    else:
        fig.update_layout(height=440, legend={"orientation": "h", "y": -0.25})
    return fig


def _number(value: float, unit: str) -> str:
    text = f"{value:,.1f}".removesuffix(".0")
    return {"percent": f"{text}%", "days": f"{text} days"}.get(unit, text)


# --- icons ------------------------------------------------------------------------------------


def _svg(body: str, text: str, fill: str) -> str:
    label = html.escape(text, quote=True)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="44" height="44" viewBox="0 0 44 44" '
        f'role="img" aria-label="{label}" focusable="false">'
        f"<title>{label}</title>"
        f'<circle cx="22" cy="22" r="20" fill="#ffffff" stroke="{fill}" stroke-width="3"/>'
        f"{body}</svg>"
    )


def variation_svg(icon: spc.Icon) -> str:
    """The variation icon as SVG: a circle in the variation's colour, the run of points it shows
    and H or L (significantly higher or lower)."""
    family, _, side = icon.code.partition("_")
    colour = {
        "improving": IMPROVING,
        "concerning": CONCERNING,
        "neutral": NEUTRAL,
    }.get(family, COMMON)
    if icon.code in ("common_cause", "too_few"):
        dots = "".join(
            f'<circle cx="{x}" cy="{y}" r="2.6" fill="{COMMON}"/>'
            for x, y in ((10, 24), (16, 20), (22, 25), (28, 19), (34, 23))
        )
        mark = "" if icon.code == "common_cause" else _letter("?", COMMON, 17)
        return _svg(dots + mark, icon.text, COMMON)
    ys = (27, 27, 27, 15, 15) if side == "high" else (15, 15, 15, 27, 27)
    dots = "".join(
        f'<circle cx="{x}" cy="{y}" r="2.6" fill="{colour if i >= 3 else COMMON}"/>'
        for i, (x, y) in enumerate(zip((9, 15, 21, 27, 33), ys, strict=True))
    )
    letter = _letter("H" if side == "high" else "L", colour, 37 if side == "low" else 12)
    return _svg(dots + letter, icon.text, colour)


def _letter(char: str, colour: str, y: int) -> str:
    return (
        f'<text x="22" y="{y}" text-anchor="middle" dominant-baseline="middle" '
        f'font-family="Arial, Helvetica, sans-serif" font-size="11" font-weight="bold" '
        f'fill="{colour}">{char}</text>'
    )


def assurance_svg(icon: spc.Icon) -> str:
    """The assurance icon as SVG: P (target consistently met, blue), F (consistently not met,
    orange), or a line weaving across the target (hit and miss, grey); an empty grey circle
    with no target."""
    if icon.code == "pass":
        return _svg(
            _letter("P", IMPROVING, 23).replace('font-size="11"', 'font-size="20"'),
            icon.text,
            IMPROVING,
        )
    if icon.code == "fail":
        return _svg(
            _letter("F", CONCERNING, 23).replace('font-size="11"', 'font-size="20"'),
            icon.text,
            CONCERNING,
        )
    if icon.code == "hit_and_miss":
        body = (
            f'<line x1="8" y1="22" x2="36" y2="22" stroke="{TARGET}" stroke-width="2" '
            'stroke-dasharray="3 2"/>'
            f'<polyline points="9,28 15,16 21,28 27,16 33,28" fill="none" stroke="{COMMON}" '
            'stroke-width="2"/>'
        )
        return _svg(body, icon.text, COMMON)
    return _svg("", icon.text, COMMON)


def icon_img(svg: str, text: str) -> str:
    """An ``<img>`` of an icon's SVG, inlined as a ``data:`` URI (nothing is fetched), with the
    icon's words as its ``alt`` text (``st.html`` keeps images but drops inline SVG)."""
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return (
        f'<img src="data:image/svg+xml;base64,{data}" width="44" height="44" '
        f'alt="{html.escape(text, quote=True)}">'
    )


def icons_html(variation: spc.Icon, assurance: spc.Icon) -> str:
    """Both icons side by side with their text alternatives written out beside them (our own
    markup: the words are :mod:`monitoring.spc`'s, never a person's)."""
    return (
        '<div style="display:flex;gap:10px;align-items:center;flex-wrap:wrap">'
        f"{icon_img(variation_svg(variation), variation.text)}"
        f'<span style="min-width:9em">{html.escape(variation.text)}</span>'
        f"{icon_img(assurance_svg(assurance), assurance.text)}"
        f"<span>{html.escape(assurance.text)}</span></div>"
    )
