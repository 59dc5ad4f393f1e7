"""Agency names met on import, normalised and matched through ``agency_alias``."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

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
    (two queries). An alias outranks a name, except an active agency's own name: an agency made
    from a spelling whose match through another agency's alias was refused
    (:attr:`~monitoring.importer.plan.ImportPlan.refused_matches`) keeps its spelling."""
    known: dict[str, int] = {}
    own_names: set[str] = set()
    for agency_id, name, short, active in conn.execute(
        select(db.agency.c.id, db.agency.c.name, db.agency.c.short_name, db.agency.c.active)
    ):
        known.setdefault(normalise_alias(name), agency_id)
        if active:
            own_names.add(normalise_alias(name))
        if short:
            known.setdefault(normalise_alias(short), agency_id)
    for alias, agency_id in conn.execute(
        select(db.agency_alias.c.alias, db.agency_alias.c.agency_id)
    ):
        key = normalise_alias(alias)
        if key not in own_names:
            known[key] = agency_id
    return known


def match_agencies(
    names: Iterable[str], known: dict[str, int], refused: Iterable[str] = ()
) -> tuple[dict[str, int], dict[str, str]]:
    """Match raw agency names against ``known`` (from :func:`load_alias_map`).

    :param refused: normalised names whose match an administrator refused (the preview's
        :func:`loose_matches`): they count as not in the register.
    :returns: ``(matched, unmatched)``: ``{normalised: agency id}`` and ``{normalised: first
        spelling seen}``. Redacted names are in neither.
    """
    refused = set(refused)
    matched: dict[str, int] = {}
    unmatched: dict[str, str] = {}
    for raw in names:
        key = normalise_alias(raw)
        if not key or key in REDACTED or key in matched or key in unmatched:
            continue
        if key in known and key not in refused:
            matched[key] = known[key]
        else:
            unmatched[key] = " ".join(raw.split())
    return matched, unmatched


@dataclass(frozen=True)
class AgencyMatch:
    """A name in a file linked to a registered agency other than by that agency's own name.

    :ivar key: the normalised name (what :attr:`ImportPlan.refused_matches` holds).
    :ivar spelling: the name as the file first writes it; ``spellings``: every way it writes
        it (e.g. "Integrated Care Board" and "Chief Executive, Integrated Care Board").
    :ivar agency_id: the agency it is linked to; ``agency``: that agency's name.
    :ivar how: ``"alias"`` or ``"short name"``, and ``", after the job title was removed"`` when a
        leading job title ("Chief Executive, ...") had to go for it to match.
    :ivar rows: how many of the file's rows name it.
    """

    key: str
    spelling: str
    agency_id: int
    agency: str
    how: str
    rows: int
    spellings: tuple[str, ...] = ()

    @property
    def names(self) -> str:
        """Every spelling, quoted, ``"; "``-joined."""
        return "; ".join(f"'{s}'" for s in self.spellings or (self.spelling,))

    def __str__(self) -> str:
        rows = f"{self.rows} row{'' if self.rows == 1 else 's'}"
        return f"{self.names} → {self.agency} (by {self.how}; {rows})"


def loose_matches(
    conn: Connection, names: Iterable[str], refused: Iterable[str] = ()
) -> list[AgencyMatch]:
    """Every name of ``names`` (one per row, repeats counted) that :func:`match_agencies` links to
    an agency other than by that agency's own name (normalised): through an alias or a short name,
    so that the import preview can show it and an administrator can refuse it. In file order.
    Refused names are left out (they are not matched)."""
    known = load_alias_map(conn)
    agencies = {
        i: (name, normalise_alias(name))
        for i, name in conn.execute(select(db.agency.c.id, db.agency.c.name))
    }
    shorts = {
        normalise_alias(short): i
        for i, short in conn.execute(select(db.agency.c.id, db.agency.c.short_name))
        if short
    }
    names = list(names)
    matched, _ = match_agencies(names, known, refused)
    counts: dict[str, int] = {}
    spellings: dict[str, dict[str, None]] = {}
    for raw in names:
        key = normalise_alias(raw)
        if key in matched:
            counts[key] = counts.get(key, 0) + 1
            spellings.setdefault(key, {})[" ".join(raw.split())] = None
    found = []
    for key, agency_id in matched.items():
        name, own = agencies[agency_id]
        if key == own:
            continue
        how = "short name" if shorts.get(key) == agency_id else "alias"
        seen = tuple(spellings[key])
        if any(_TITLE_PREFIX.match(" ".join(s.replace("&", " and ").split())) for s in seen):
            how += ", after a job title was removed"
        found.append(AgencyMatch(key, seen[0], agency_id, name, how, counts[key], seen))
    return found


class AgencyNotFound(LookupError):
    """No active agency has the id, short name or name given; the message lists the choices."""


def find_agency(conn: Connection, value: str) -> int:
    """The id of the active agency whose id, short name or name is ``value`` (case, spacing and
    the spellings :func:`normalise_alias` evens out aside), for the command line's ``--agency``
    (``user add``, ``workbook make``). Read straight from the table, never through pandas, where
    a missing short name would be NaN (an imported agency has none).

    :raises AgencyNotFound: no such agency; the message lists each one as "short name (name)",
        or "id (name)" for an agency without a short name.
    """
    wanted = " ".join(str(value).split()).lower()
    rows = conn.execute(
        select(db.agency.c.id, db.agency.c.name, db.agency.c.short_name)
        .where(db.agency.c.active.is_(True))
        .order_by(db.agency.c.name)
    ).all()
    for by_text in (lambda s: " ".join(s.split()).lower(), normalise_alias):
        key = by_text(str(value))
        for agency_id, name, short in rows:
            if wanted == str(agency_id) or key in (by_text(name), by_text(short or "") or None):
                return int(agency_id)
    choices = ", ".join(f"{short or agency_id} ({name})" for agency_id, name, short in rows)
    raise AgencyNotFound(f"no agency {value!r}; choose one of: {choices or 'none registered'}.")
