"""Agency names met on import, normalised and matched through ``agency_alias``."""

from __future__ import annotations

import re
from collections.abc import Iterable

from sqlalchemy import Connection, select

from monitoring import db

# Leading job titles ("Chief Executive, Northbridge Council"): the agency is what follows.
_TITLE_PREFIX = re.compile(
    r"^(?:the\s+)?(?:chief executive|chief exec|ceo|director(?: of [a-z ]+)?|chair(?:man|person)?|"
    r"head(?: of [a-z ]+)?|secretary of state(?: for [a-z ,]+)?|chief constable|"
    r"medical director|managing director|registered manager|manager)\s*(?:,|of the\s|of\s|at\s)\s*",
    re.IGNORECASE,
)
_SUFFIXES = ((" limited", " ltd"), (" plc.", " plc"), (" ltd.", " ltd"))

REDACTED = frozenset({"redacted", "[redacted]", "name redacted"})


def normalise_alias(name: str) -> str:
    """An agency name as stored in ``agency_alias.alias``: lower case, ``&`` as "and", single spaces,
    curly apostrophes straight, a leading job title ("Chief Executive, ...") and a leading "The"
    removed, "Limited" as "ltd".
    """
    text = name.replace("&", " and ").replace("’", "'").replace("‘", "'")
    text = " ".join(text.split())
    stripped = _TITLE_PREFIX.sub("", text, count=1)
    if stripped and stripped != text:
        text = stripped
    text = text.lower().strip(" ,.;")
    if text.startswith("the "):
        text = text[4:]
    for long, short in _SUFFIXES:
        if text.endswith(long):
            text = text[: -len(long)] + short
    return " ".join(text.split())


def is_redacted(name: str) -> bool:
    """True for a recipient whose name was removed from the public record (``REDACTED``)."""
    return normalise_alias(name) in REDACTED


def load_alias_map(conn: Connection) -> dict[str, int]:
    """``{normalised name: agency id}`` from ``agency_alias`` and every agency's name and short name
    (two queries)."""
    known: dict[str, int] = {}
    for agency_id, name, short in conn.execute(
        select(db.agency.c.id, db.agency.c.name, db.agency.c.short_name)
    ):
        known.setdefault(normalise_alias(name), agency_id)
        if short:
            known.setdefault(normalise_alias(short), agency_id)
    for alias, agency_id in conn.execute(
        select(db.agency_alias.c.alias, db.agency_alias.c.agency_id)
    ):
        known[normalise_alias(alias)] = agency_id
    return known


def match_agencies(
    names: Iterable[str], known: dict[str, int]
) -> tuple[dict[str, int], dict[str, str]]:
    """Match raw agency names against ``known`` (from :func:`load_alias_map`).

    :returns: ``(matched, unmatched)``: ``{normalised: agency id}`` and ``{normalised: first
        spelling seen}``. Redacted names are in neither.
    """
    matched: dict[str, int] = {}
    unmatched: dict[str, str] = {}
    for raw in names:
        key = normalise_alias(raw)
        if not key or key in REDACTED or key in matched or key in unmatched:
            continue
        if key in known:
            matched[key] = known[key]
        else:
            unmatched[key] = " ".join(raw.split())
    return matched, unmatched
