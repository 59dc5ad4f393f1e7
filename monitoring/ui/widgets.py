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
