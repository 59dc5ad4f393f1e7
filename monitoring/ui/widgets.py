"""Shared display pieces: RAG badges (word plus colour), tiles, date formats."""

from __future__ import annotations

from datetime import date

import streamlit as st

from monitoring import rules


def rag_badge(code: str, overridden: bool = False) -> str:
    """Markdown for a RAG badge: the board's word on its colour (never colour alone)."""
    label = rules.rag_labels().get(code, code)
    if overridden:
        label += " (overridden)"
    colour = {"red": "red", "amber": "orange", "green": "green", "blue": "blue", "grey": "gray"}[
        code
    ]
    return f":{colour}-background[{label}]"


def rag_word(code: str) -> str:
    """The board's word for a RAG code, for tables."""
    return rules.rag_labels().get(code, code)


def uk_date(value: date | str | None) -> str:
    """A date as ``d MMM yyyy`` (e.g. ``3 Jun 2026``); an empty string for none."""
    if not value:
        return ""
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    return f"{value.day} {value:%b %Y}"


def percent(value: float | None) -> str:
    """A percentage for a tile: ``"42.5%"``, or an em dash when there is nothing to divide."""
    return "—" if value is None else f"{value:.0f}%"


def tile(column, label: str, value, help: str | None = None) -> None:
    """One bordered metric tile in ``column``."""
    column.metric(label, value, help=help, border=True)


def today_caption(today: date) -> None:
    """A caption saying which date the figures are calculated for."""
    st.caption(f"Figures as at {uk_date(today)}.")


def rag_words(codes, overridden=None) -> list[str]:
    """The board's RAG words for a column of codes ("Red (overridden)" where ``overridden``)."""
    labels = rules.rag_labels()
    flags = list(overridden) if overridden is not None else [False] * len(list(codes))
    return [
        "" if not isinstance(c, str) else labels.get(c, c) + (" (overridden)" if f is True else "")
        for c, f in zip(codes, flags, strict=False)
    ]


def status_words(codes) -> list[str]:
    """Action status labels for a column of status codes."""
    return [rules.STATUS_LABELS.get(c, c) if isinstance(c, str) else "" for c in codes]


def rag_styled(frame, column: str = "RAG"):
    """A pandas Styler giving the RAG word column its colour (white text on the RAG colour):
    the word carries the meaning, the colour repeats it (WCAG 1.4.1)."""
    by_word = {}
    for code, word in rules.rag_labels().items():
        by_word[word] = rules.RAG_COLOURS[code]
        by_word[f"{word} (overridden)"] = rules.RAG_COLOURS[code]

    def colour(value):
        hex_colour = by_word.get(value)
        return f"background-color: {hex_colour}; color: #ffffff" if hex_colour else ""

    return frame.style.map(colour, subset=[column])


def downloads(frame, name: str, key: str) -> None:
    """CSV and XLSX download buttons for exactly the rows and columns of ``frame`` (text cells
    that a spreadsheet could run as formulas are neutralised, :mod:`monitoring.tabular`)."""
    from monitoring import tabular

    left, right = st.columns(2)
    left.download_button(
        "Download CSV",
        tabular.to_csv_bytes(frame),
        file_name=f"{name}.csv",
        mime="text/csv",
        key=f"{key}_csv",
    )
    right.download_button(
        "Download Excel (XLSX)",
        tabular.to_xlsx_bytes(frame),
        file_name=f"{name}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key=f"{key}_xlsx",
    )


def as_at_caption(as_at: date) -> None:
    """A warning-style caption for a view reconstructed as at a past date."""
    st.info(
        f"Showing the records as they stood on {uk_date(as_at)}, reconstructed from dated "
        "history (status updates and approved target-date changes). Clear the sidebar's "
        "'As at' date to see the records now."
    )
