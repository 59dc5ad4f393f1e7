"""Formula neutralisation for spreadsheet exports (CSV and Excel).

A cell whose text starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return can be run
as a formula by a spreadsheet program ("CSV injection", OWASP). Text that users typed (progress
notes, descriptions) is therefore neutralised before it is written:

- CSV: a leading apostrophe is added (the OWASP recommendation; spreadsheet programs show the text).
- Excel: the cell is stored as explicit text (``t="s"``) with the "quote prefix" style, so the
  original characters are kept and never evaluated (see :func:`monitoring.exports.workbook`).
"""

from __future__ import annotations

from typing import Any

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make a spreadsheet treat a cell as a formula."""


def is_risky(value: Any) -> bool:
    """True when ``value`` is text a spreadsheet could run as a formula."""
    return isinstance(value, str) and value.startswith(FORMULA_TRIGGERS)


def neutralise(value: Any) -> Any:
    """``value`` with a leading apostrophe when it is risky text; anything else unchanged.

    Numbers (including negative numbers), dates and ``None`` pass through: only text can smuggle
    a formula.
    """
    return "'" + value if is_risky(value) else value
