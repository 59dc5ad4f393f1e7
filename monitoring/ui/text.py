"""Untrusted text is text (case 14): the one place that turns a value that came from a person or a
file (titles, descriptions, success measures, notes, reasons, file names, links, agency names,
search words, error messages quoting them) into something Streamlit shows as written.

Streamlit reads every ``st.markdown``, ``st.caption``, ``st.info``/``warning``/``error``/
``success``, heading, expander, tab and button label as Markdown with extras: images and links
(``![x](http://…)`` makes every reader's browser fetch the address), LaTeX between ``$`` (typeset
by KaTeX), ``:color[…]`` and ``:material/…:`` directives, emoji shortcodes and bare web addresses
turned into links. :func:`md` escapes a value so that none of that happens (CommonMark: "any
ASCII punctuation character may be backslash-escaped", and is then shown as itself), and keeps
line breaks as line breaks.
Pages write ``st.markdown(f"**Success measure:** {md(value)}")``: the app's own formatting stays,
the value stays text. :func:`show` writes a value on its own.

Tables (``st.dataframe``) draw cells as text already; their downloads are in
:mod:`monitoring.tabular`.
"""

from __future__ import annotations

import re

import pandas as pd
import streamlit as st

_INLINE = re.compile(r"([\\`*_{}\[\]<>#|~$:&!@^])")
"""Characters that open inline Markdown or Streamlit's extras anywhere in a line: escapes,
code, emphasis, links and images, HTML and autolinks, headings, tables, strikethrough, LaTeX,
directives, emoji and material icons, entities, e-mail autolinks, footnotes."""
_LINE_START = re.compile(r"^([ \t]*)(\d*)([-+=>.)])", re.MULTILINE)
"""Block markers that only count at the start of a line: list items, setext underlines,
quotes, numbered lists (``1.`` or ``1)``)."""
_AUTOLINK = re.compile(r"(?i)(?<=:)(?=//)|(?<=\bwww)(?=\\?\.)|(?<!\\)(?=\\?@)")
"""Where GitHub-flavoured Markdown's bare-address links start: ``scheme://``, ``www.`` and an
e-mail's ``@``. Streamlit finds them in the text after escapes are resolved, so a backslash does
not stop them: an invisible word joiner (U+2060) there does."""
WORD_JOINER = "\u2060"

_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")
"""Unicode's bidirectional embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069):
one of them makes "evil\u202eexe.txt" read as "eviltxt.exe" (a fresh user's RTL override turned a
title round). Shown by name, not obeyed."""


def bidi_visible(value: str) -> str:
    """``value`` with each bidirectional control character replaced by its name in brackets,
    e.g. ``[U+202E]``, so that text reads in the order it was typed."""
    return _BIDI_CONTROLS.sub(lambda m: f"[U+{ord(m.group()):04X}]", value)


def cell_text(value) -> str:
    """A table cell read through pandas as a string for a widget's value: ``""`` for a missing
    one (None, or the NaN pandas 3 reads a NULL text column as; ``NaN or ""`` is NaN, and
    Streamlit would show and save it as "nan")."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return str(value)


_LINE_BREAKS = re.compile(r"\r\n?|\n")


def md(value) -> str:
    """``value`` as Markdown that Streamlit shows exactly as written: every character that could
    open Markdown or one of Streamlit's extras is backslash-escaped (CommonMark lets any ASCII
    punctuation be escaped, and then shows it as itself), so no image, link, HTML, LaTeX,
    directive, emphasis, heading, list or table; a bare web or e-mail address gets an invisible
    word joiner (:data:`WORD_JOINER`) so that it is not made a link; each line break is a
    Markdown hard break; leading spaces are kept as no-break spaces (four would start a code
    block); a bidirectional control character is shown by name (:func:`bidi_visible`). None shows
    as an empty string."""
    if value is None:
        return ""
    text = _INLINE.sub(r"\\\1", bidi_visible(str(value)))
    text = _LINE_START.sub(_escape_marker, text)
    text = _AUTOLINK.sub(WORD_JOINER, text)
    return "  \n".join(_keep_indent(line) for line in _LINE_BREAKS.split(text))


def _escape_marker(match: re.Match) -> str:
    indent, digits, marker = match.groups()
    if digits and marker not in ".)" or not digits and marker in ".)":
        return match.group(0)
    return f"{indent}{digits}\\{marker}"


def _keep_indent(line: str) -> str:
    stripped = line.lstrip(" \t")
    return "\u00a0" * (len(line) - len(stripped)) + stripped


def show(value, *, container=None, caption: bool = False) -> None:
    """Write ``value`` (from a person or a file) as a paragraph of plain text, or as a caption;
    ``container`` is a column, expander, sidebar… (default: the page)."""
    target = container if container is not None else st
    (target.caption if caption else target.markdown)(md(value))


__all__ = ["bidi_visible", "md", "show"]
