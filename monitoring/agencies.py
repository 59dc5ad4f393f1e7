"""Agencies tidied by an administrator: likely duplicates, merge (and undo), rename, aliases, details.

The same organisation often reaches the monitor under several spellings (the PFD data names the
Metropolitan Police three ways). :func:`suggest_duplicates` proposes groups of likely duplicates,
scored with RapidFuzz; nothing is merged until an administrator confirms with
:func:`merge_agencies`, which moves every action, alias and user of the merged agency to the kept
one, keeps the merged agency's name (and short name) as aliases of the kept one, so the next import
matches it, and records what moved in ``agency_merge`` so that :func:`undo_merge` puts it back
exactly. Aliases are the importer's spellings (``agency_alias``, normalised by
:func:`monitoring.importer.agencies.normalise_alias`): an alias added here, such as a role written
as an owner ("Chair / DCS"), is used by the next import.

Every write checks the ``manage_agencies`` permission (administrators), runs in one
:func:`monitoring.db.write_transaction` and writes its ``audit_log`` rows there.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
from rapidfuzz import fuzz, process
from sqlalchemy import Connection, Engine, delete, func, insert, select, update

from monitoring import config, db
from monitoring.importer.agencies import normalise_alias
from monitoring.services import (
    EMAIL_PATTERN,
    Actor,
    NotFound,
    ValidationError,
    record_audit,
    require,
    versioned_update,
)

agency = db.agency
agency_alias = db.agency_alias
agency_merge = db.agency_merge

# --- likely duplicates --------------------------------------------------------------------------

SUGGESTION_THRESHOLD = 80.0
"""Lowest score (0-100) at which two agencies are suggested as one. Tuned on the real PFD data
(``../shared/realdata/pfd``, 609 agencies): the Metropolitan Police's three spellings score 83 and
100, and 80 keeps the list to about thirty pairs, nearly all true."""
TOKEN_MATCH = 85.0
"""Two words count as the same when RapidFuzz's ``ratio`` is at least this (typos, plurals:
"Intergrated"/"Integrated", "Radiology"/"Radiologists")."""
PREFILTER = 50.0
"""Pairs below this ``token_set_ratio`` are not scored further (speed only)."""

IGNORED_WORDS = frozenset(
    {
        # joining words
        *("the", "of", "and", "for", "in", "at", "on", "to", "by"),
        # how an organisation is written, not which one
        *("service", "services", "ltd", "limited", "plc"),
        # people's roles written before the organisation, and redactions
        *("president", "chief", "executive", "officer", "constable", "chair", "chairman"),
        *("chairperson", "director", "ceo", "dcs", "redacted"),
    }
)
"""Words left out when names are compared."""
COMPASS_WORDS = frozenset({"north", "south", "east", "west", "central", "mid"})
"""Two names with different compass words are never suggested ("North East London" is not
"East London")."""
_ABBREVIATION = re.compile(r"\(\s*[a-z0-9&]{2,8}\s*\)")
_NOT_WORD = re.compile(r"[^a-z0-9]+")


def name_words(name: str) -> list[str]:
    """The words of an agency name that tell it apart: :func:`normalise_alias`, then without a
    bracketed abbreviation ("(MPS)"), punctuation and :data:`IGNORED_WORDS`."""
    text = _ABBREVIATION.sub(" ", normalise_alias(name)).replace("'", "")
    return [w for w in _NOT_WORD.sub(" ", text).split() if w not in IGNORED_WORDS]


def _weighted_overlap(a: list[str], b: list[str], weight: dict[str, float]) -> float:
    """Share (0-100) of both names' word weight matched in the other name."""
    total = sum(weight[w] for w in a) + sum(weight[w] for w in b)
    if total == 0:
        return 0.0

    def matched(words: list[str], other: list[str]) -> float:
        score = 0.0
        for word in words:
            if word in other:
                score += weight[word]
                continue
            best = process.extractOne(word, other, scorer=fuzz.ratio, score_cutoff=TOKEN_MATCH)
            if best is not None:
                score += weight[word] * best[1] / 100
        return score

    return 100 * (matched(a, b) + matched(b, a)) / total


def similarity_scores(names: Sequence[str], *, threshold: float = SUGGESTION_THRESHOLD):
    """Pairs of ``names`` likely to be one organisation, best first.

    Each name becomes :func:`name_words`; a word weighs ``log(n / names containing it)`` (rare
    words, such as places, tell organisations apart; "NHS", "Trust", "Council" hardly do). The
    score is the share of both names' weight matched by the other's words, a word matching a
    near-identical one (:data:`TOKEN_MATCH`) in part. Names whose compass words differ score 0.

    :returns: list of ``(score, i, j)`` with ``i < j`` indexes into ``names`` and ``score >=
        threshold``.
    """
    words = [name_words(n) for n in names]
    counts = Counter(w for ws in words for w in set(ws))
    weight = {w: math.log(len(names) / c) for w, c in counts.items()}
    joined = [" ".join(ws) for ws in words]
    if len(names) < 2:
        return []
    near = process.cdist(
        joined, joined, scorer=fuzz.token_set_ratio, score_cutoff=PREFILTER, workers=1
    )
    pairs = []
    for i, j in zip(*near.nonzero(), strict=True):
        if i >= j or not words[i] or not words[j]:
            continue
        if COMPASS_WORDS.intersection(words[i]) != COMPASS_WORDS.intersection(words[j]):
            continue
        score = _weighted_overlap(words[i], words[j], weight)
        if score >= threshold:
            pairs.append((round(score, 1), int(i), int(j)))
    pairs.sort(key=lambda p: (-p[0], p[1], p[2]))
    return pairs


@dataclass(frozen=True)
class DuplicateGroup:
    """Agencies suggested as one organisation (for an administrator to confirm).

    :ivar agency_ids: the agencies, most actions first; the first is the suggested one to keep.
    :ivar names: their names, in the same order.
    :ivar actions: their action counts, in the same order.
    :ivar score: the best pair score in the group (0-100).
    """

    agency_ids: tuple[int, ...]
    names: tuple[str, ...]
    actions: tuple[int, ...]
    score: float


def suggest_duplicates(
    conn: Connection, *, threshold: float = SUGGESTION_THRESHOLD
) -> list[DuplicateGroup]:
    """Groups of active agencies whose names look like one organisation, best first.

    Pairs scored by :func:`similarity_scores` at or above ``threshold`` are joined into groups
    (two pairs sharing an agency are one group). Never merges anything.
    """
    frame = _active_with_counts(conn)
    ids = list(frame["id"])
    names = list(frame["name"])
    counts = dict(zip(frame["id"], frame["actions"], strict=True))
    parent = list(range(len(ids)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    best: dict[int, float] = {}
    for score, i, j in similarity_scores(names, threshold=threshold):
        parent[root(j)] = root(i)
        best[i] = max(best.get(i, 0.0), score)
        best[j] = max(best.get(j, 0.0), score)
    members: dict[int, list[int]] = {}
    for i in best:
        members.setdefault(root(i), []).append(i)
    groups = []
    for indexes in members.values():
        indexes.sort(key=lambda i: (-counts[ids[i]], ids[i]))
        groups.append(
            DuplicateGroup(
                agency_ids=tuple(int(ids[i]) for i in indexes),
                names=tuple(names[i] for i in indexes),
                actions=tuple(int(counts[ids[i]]) for i in indexes),
                score=max(best[i] for i in indexes),
            )
        )
    groups.sort(key=lambda g: (-g.score, g.names))
    return groups


# --- reads for the administrator's page ---------------------------------------------------------

REGISTER_COLUMNS = [
    "id",
    "name",
    "short_name",
    "sector",
    "board_member_email",
    "active",
    "actions",
    "users",
    "aliases",
]


def _active_with_counts(conn: Connection) -> pd.DataFrame:
    counts = (
        select(db.action.c.lead_agency_id.label("id"), func.count().label("actions"))
        .where(db.action.c.lead_agency_id.is_not(None))
        .group_by(db.action.c.lead_agency_id)
        .subquery()
    )
    rows = conn.execute(
        select(agency.c.id, agency.c.name, func.coalesce(counts.c.actions, 0))
        .select_from(agency.outerjoin(counts, counts.c.id == agency.c.id))
        .where(agency.c.active.is_(True))
        .order_by(agency.c.id)
    ).all()
    return pd.DataFrame(rows, columns=["id", "name", "actions"])


def agency_register(conn: Connection) -> pd.DataFrame:
    """Every agency, active first, by name: :data:`REGISTER_COLUMNS` (``actions``: actions it
    leads; ``users``: accounts of the agency; ``aliases``: its import spellings, ``; ``-joined)."""
    actions = (
        select(db.action.c.lead_agency_id.label("id"), func.count().label("n"))
        .group_by(db.action.c.lead_agency_id)
        .subquery()
    )
    users = (
        select(db.app_user.c.agency_id.label("id"), func.count().label("n"))
        .group_by(db.app_user.c.agency_id)
        .subquery()
    )
    rows = conn.execute(
        select(
            agency.c.id,
            agency.c.name,
            agency.c.short_name,
            agency.c.sector,
            agency.c.board_member_email,
            agency.c.active,
            func.coalesce(actions.c.n, 0),
            func.coalesce(users.c.n, 0),
        )
        .select_from(
            agency.outerjoin(actions, actions.c.id == agency.c.id).outerjoin(
                users, users.c.id == agency.c.id
            )
        )
        .order_by(agency.c.active.desc(), agency.c.name)
    ).all()
    aliases: dict[int, list[str]] = {}
    for alias, agency_id in conn.execute(
        select(agency_alias.c.alias, agency_alias.c.agency_id).order_by(agency_alias.c.alias)
    ):
        aliases.setdefault(agency_id, []).append(alias)
    frame = pd.DataFrame(rows, columns=REGISTER_COLUMNS[:-1])
    frame["active"] = frame["active"].astype(bool)
    frame["aliases"] = (
        ["; ".join(aliases.get(int(i), [])) for i in frame["id"]] if len(frame) else []
    )
    return frame[REGISTER_COLUMNS]


def aliases_of(conn: Connection, agency_id: int) -> pd.DataFrame:
    """An agency's import spellings: ``id, alias`` (normalised), by alias."""
    rows = conn.execute(
        select(agency_alias.c.id, agency_alias.c.alias)
        .where(agency_alias.c.agency_id == agency_id)
        .order_by(agency_alias.c.alias)
    ).all()
    return pd.DataFrame(rows, columns=["id", "alias"])


MERGE_COLUMNS = [
    "merge_id",
    "kept",
    "merged_name",
    "actions",
    "aliases",
    "users",
    "merged_by",
    "merged_at",
    "undone_by",
    "undone_at",
]


def merge_history(conn: Connection) -> pd.DataFrame:
    """Every merge, newest first: :data:`MERGE_COLUMNS` (``kept``: the kept agency's name now;
    ``actions``, ``aliases``, ``users``: how many moved; ``undone_*`` empty while it stands)."""
    rows = conn.execute(
        select(
            agency_merge.c.id,
            agency.c.name,
            agency_merge.c.merged_name,
            agency_merge.c.moved,
            agency_merge.c.merged_by,
            agency_merge.c.merged_at,
            agency_merge.c.undone_by,
            agency_merge.c.undone_at,
        )
        .join(agency, agency.c.id == agency_merge.c.kept_agency_id)
        .order_by(agency_merge.c.id.desc())
    ).all()
    records = []
    for row in rows:
        moved = json.loads(row.moved)
        records.append(
            [
                row.id,
                row.name,
                row.merged_name,
                len(moved["actions"]),
                len(moved["aliases"]),
                len(moved["users"]),
                row.merged_by,
                row.merged_at,
                row.undone_by,
                row.undone_at,
            ]
        )
    return pd.DataFrame(records, columns=MERGE_COLUMNS)


# --- writes -------------------------------------------------------------------------------------


def _text(value: Any, field: str, *, required: bool = False, max_length: int = 300) -> str | None:
    """Trimmed text or None; :raises ValidationError: when required and empty, or too long."""
    text = " ".join(str(value or "").split())
    if required and not text:
        raise ValidationError(f"{field}: required, please enter some text.")
    if len(text) > max_length:
        raise ValidationError(f"{field}: at most {max_length} characters, got {len(text)}.")
    return text or None


def _fetch(conn: Connection, table, row_id: int, what: str) -> dict:
    """The row ``row_id`` of ``table``, locked for this transaction; :raises NotFound:."""
    row = (
        conn.execute(select(table).where(table.c.id == int(row_id)).with_for_update())
        .mappings()
        .first()
    )
    if row is None:
        raise NotFound(f"No {what} with id {row_id}.")
    return dict(row)


def _agency_row(conn: Connection, agency_id: int) -> dict:
    return _fetch(conn, agency, int(agency_id), "agency")


def _check_name(conn: Connection, name: Any, *, other_than: int | None = None) -> str:
    """A trimmed agency name not used by another agency; :raises ValidationError: otherwise."""
    name = _text(name, "agency name", required=True, max_length=300)
    key = normalise_alias(name)
    if not key:
        raise ValidationError(f"agency name: {name!r} has no words left once normalised.")
    for other_id, other_name in conn.execute(select(agency.c.id, agency.c.name)):
        if other_id != other_than and normalise_alias(other_name) == key:
            raise ValidationError(
                f"agency name: agency {other_id} is already called {other_name!r}; merge the two "
                "instead."
            )
    owner = conn.execute(
        select(agency_alias.c.agency_id).where(agency_alias.c.alias == key)
    ).scalar()
    if owner is not None and owner != other_than:
        raise ValidationError(
            f"agency name: {key!r} is already an alias of agency {owner}; merge the two instead."
        )
    return name


def _add_alias_row(conn: Connection, actor: Actor, agency_id: int, key: str, at: str) -> int:
    alias_id = conn.execute(
        insert(agency_alias).values(alias=key, agency_id=agency_id).returning(agency_alias.c.id)
    ).scalar_one()
    record_audit(
        conn,
        actor,
        "agency_alias",
        alias_id,
        {"alias": (None, key), "agency_id": (None, agency_id)},
        at=at,
    )
    return int(alias_id)


def create_agency(
    engine: Engine,
    actor: Actor,
    name: str,
    *,
    short_name: str | None = None,
    sector: str | None = None,
) -> int:
    """Add an agency (administrators), with its normalised name as its first alias.

    :returns: the new ``agency.id``.
    :raises PermissionDenied: unless the actor may ``manage_agencies``.
    :raises ValidationError: an empty name, or one another agency already has (as name or alias).
    """
    require(actor, "manage_agencies")
    at = config.utc_now_iso()
    with db.write_transaction(engine) as conn:
        name = _check_name(conn, name)
        short = _text(short_name, "short name", max_length=60)
        sector = _text(sector, "sector", max_length=60)
        agency_id = conn.execute(
            insert(agency)
            .values(
                name=name, short_name=short, sector=sector, active=True, is_statutory_partner=False
            )
            .returning(agency.c.id)
        ).scalar_one()
        record_audit(
            conn,
            actor,
            "agency",
            agency_id,
            {"name": (None, name), "short_name": (None, short), "sector": (None, sector)},
            at=at,
        )
        _add_alias_row(conn, actor, agency_id, normalise_alias(name), at)
        return int(agency_id)


def _rename(conn: Connection, actor: Actor, agency_id: int, name: str, at: str) -> dict:
    row = _agency_row(conn, agency_id)
    name = _check_name(conn, name, other_than=row["id"])
    if name == row["name"]:
        return {"old": row["name"], "new": name}
    conn.execute(update(agency).where(agency.c.id == row["id"]).values(name=name))
    record_audit(conn, actor, "agency", row["id"], {"name": (row["name"], name)}, at=at)
    for key in (normalise_alias(row["name"]), normalise_alias(name)):
        taken = conn.execute(select(agency_alias.c.id).where(agency_alias.c.alias == key)).first()
        if taken is None:
            _add_alias_row(conn, actor, row["id"], key, at)
    return {"old": row["name"], "new": name}


def rename_agency(engine: Engine, actor: Actor, agency_id: int, name: str) -> dict:
    """Give an agency a new name (administrators). The old name stays an alias, so trackers that
    spell it the old way still match it.

    :returns: ``{"old": old name, "new": new name}``.
    :raises NotFound: no such agency. :raises ValidationError: see :func:`create_agency`.
    """
    require(actor, "manage_agencies")
    at = config.utc_now_iso()
    with db.write_transaction(engine) as conn:
        return _rename(conn, actor, agency_id, name, at)


def add_alias(engine: Engine, actor: Actor, agency_id: int, alias: str) -> str:
    """Record another spelling of an agency's name, or a role written as an owner ("Chair /
    DCS"), so that the next import gives its rows to this agency (administrators).

    :returns: the alias as stored (:func:`normalise_alias`).
    :raises NotFound: no such agency.
    :raises ValidationError: empty; already an alias (of which agency); another agency's name.
    """
    require(actor, "manage_agencies")
    text = _text(alias, "alias", required=True, max_length=300)
    key = normalise_alias(text)
    if not key:
        raise ValidationError(f"alias: {text!r} has no words left once normalised.")
    at = config.utc_now_iso()
    with db.write_transaction(engine) as conn:
        row = _agency_row(conn, agency_id)
        owner = conn.execute(
            select(agency_alias.c.agency_id, agency.c.name)
            .join(agency, agency.c.id == agency_alias.c.agency_id)
            .where(agency_alias.c.alias == key)
        ).first()
        if owner is not None:
            whose = "this agency" if owner.agency_id == row["id"] else f"{owner.name!r}"
            raise ValidationError(f"alias: {key!r} is already an alias of {whose}.")
        for _other, other_name, short in conn.execute(
            select(agency.c.id, agency.c.name, agency.c.short_name).where(agency.c.id != row["id"])
        ):
            if key in (normalise_alias(other_name), normalise_alias(short or "")):
                raise ValidationError(
                    f"alias: {key!r} is what agency {other_name!r} is called; merge the two "
                    "instead."
                )
        _add_alias_row(conn, actor, row["id"], key, at)
        return key


def remove_alias(engine: Engine, actor: Actor, alias_id: int) -> str:
    """Forget an import spelling (administrators); the next import no longer matches it.

    :returns: the alias removed. :raises NotFound: no such alias.
    """
    require(actor, "manage_agencies")
    with db.write_transaction(engine) as conn:
        row = _fetch(conn, agency_alias, int(alias_id), "alias")
        conn.execute(delete(agency_alias).where(agency_alias.c.id == row["id"]))
        record_audit(
            conn,
            actor,
            "agency_alias",
            row["id"],
            {"alias": (row["alias"], None), "agency_id": (row["agency_id"], None)},
        )
        return str(row["alias"])


def _details_values(
    short_name: str | None, sector: str | None, board_member_email: str | None
) -> dict:
    values = {
        "short_name": _text(short_name, "short name", max_length=60),
        "sector": _text(sector, "sector", max_length=60),
        "board_member_email": _text(board_member_email, "board member e-mail", max_length=320),
    }
    email = values["board_member_email"]
    if email is not None:
        email = values["board_member_email"] = email.lower()
        if not EMAIL_PATTERN.match(email):
            raise ValidationError(
                f"board member e-mail: expected an address like name@example.org, got {email!r}."
            )
    return values


def _set_details(conn: Connection, actor: Actor, agency_id: int, values: dict, at: str) -> dict:
    row = _agency_row(conn, agency_id)
    changes = {k: (row[k], v) for k, v in values.items() if row[k] != v}
    if changes:
        conn.execute(update(agency).where(agency.c.id == row["id"]).values(**values))
        record_audit(conn, actor, "agency", row["id"], changes, at=at)
    return changes


def update_agency_details(
    engine: Engine,
    actor: Actor,
    agency_id: int,
    *,
    short_name: str | None,
    sector: str | None,
    board_member_email: str | None,
) -> dict:
    """Set an agency's short name, sector and board member's e-mail (administrators; empty text
    clears a value).

    :returns: ``{field: (old, new)}`` of what changed.
    :raises NotFound: no such agency. :raises ValidationError: too long, or not an e-mail address.
    """
    require(actor, "manage_agencies")
    values = _details_values(short_name, sector, board_member_email)
    with db.write_transaction(engine) as conn:
        return _set_details(conn, actor, agency_id, values, config.utc_now_iso())


def save_agency(
    engine: Engine,
    actor: Actor,
    agency_id: int,
    *,
    name: str,
    short_name: str | None,
    sector: str | None,
    board_member_email: str | None,
) -> dict:
    """:func:`rename_agency` and :func:`update_agency_details` in one transaction (the page's
    form): both are saved or neither.

    :returns: ``{field: (old, new)}`` of what changed (``name`` included when renamed).
    """
    require(actor, "manage_agencies")
    values = _details_values(short_name, sector, board_member_email)
    at = config.utc_now_iso()
    with db.write_transaction(engine) as conn:
        renamed = _rename(conn, actor, agency_id, name, at)
        changes = _set_details(conn, actor, agency_id, values, at)
        if renamed["old"] != renamed["new"]:
            changes = {"name": (renamed["old"], renamed["new"]), **changes}
        return changes


@dataclass(frozen=True)
class MergeResult:
    """What :func:`merge_agencies` or :func:`undo_merge` moved.

    :ivar merge_ids: the ``agency_merge`` rows written (a merge) or undone.
    :ivar actions, aliases, users: how many moved.
    :ivar left: for an undo, rows that had changed since and were left where they are.
    """

    merge_ids: tuple[int, ...]
    actions: int
    aliases: int
    users: int
    left: int = 0


def _move_actions(
    conn: Connection, actor: Actor, ids: list[int], old: int, new: int, at: str
) -> int:
    """Give the actions ``ids`` still led by ``old`` to ``new``: version bumped, audited."""
    moved = 0
    for chunk_start in range(0, len(ids), 500):
        chunk = ids[chunk_start : chunk_start + 500]
        rows = conn.execute(
            select(db.action.c.id, db.action.c.version)
            .where(db.action.c.id.in_(chunk), db.action.c.lead_agency_id == old)
            .with_for_update()
        ).all()
        for action_id, version in rows:
            versioned_update(  # the write core bumps the version and audits both fields
                conn,
                actor,
                db.action,
                {"id": action_id, "version": version, "lead_agency_id": old},
                {"lead_agency_id": new, "updated_at": at},
                at=at,
                quiet=("updated_at",),
            )
        moved += len(rows)
    return moved


def _move_column(
    conn: Connection,
    actor: Actor,
    table,
    column: str,
    ids: list[int],
    old: int,
    new: int,
    at: str,
) -> int:
    """Set ``table.column`` from ``old`` to ``new`` on the rows ``ids`` still at ``old``; audited."""
    moved = 0
    col = table.c[column]
    for row_id in ids:
        result = conn.execute(
            update(table).where(table.c.id == row_id, col == old).values({column: new})
        )
        if result.rowcount:
            record_audit(conn, actor, table.name, row_id, {column: (old, new)}, at=at)
            moved += 1
    return moved


def merge_agencies(
    engine: Engine, actor: Actor, keep_id: int, merge_ids: Sequence[int]
) -> MergeResult:
    """Merge duplicates into the agency kept (administrators), in one transaction.

    For each merged agency: its actions (lead agency), aliases, users and owned impact measures
    move to the kept agency;
    its name and short name become aliases of the kept agency (when no agency has them yet), so
    the next import matches them; it is made inactive (kept, with its id, so that the merge can be
    undone). One ``agency_merge`` row per merged agency records the ids that moved; every changed
    row is audited. Figures by agency (the scorecard) then show one row whose counts are the sums.

    :returns: a :class:`MergeResult`.
    :raises PermissionDenied: unless the actor may ``manage_agencies``.
    :raises NotFound: an agency that does not exist.
    :raises ValidationError: nothing to merge, the kept agency among them, or an inactive agency.
    """
    require(actor, "manage_agencies")
    merge_ids = list(dict.fromkeys(int(i) for i in merge_ids))
    if not merge_ids:
        raise ValidationError("agencies to merge: choose at least one.")
    if int(keep_id) in merge_ids:
        raise ValidationError("agencies to merge: the agency kept cannot be merged into itself.")
    at = config.utc_now_iso()
    written: list[int] = []
    totals = Counter()
    with db.write_transaction(engine) as conn:
        kept = _agency_row(conn, keep_id)
        if not kept["active"]:
            raise ValidationError(f"agency kept: {kept['name']!r} is inactive (already merged?).")
        for merge_id in merge_ids:
            gone = _agency_row(conn, merge_id)
            if not gone["active"]:
                raise ValidationError(
                    f"agencies to merge: {gone['name']!r} is inactive (already merged?)."
                )
            action_ids = list(
                conn.execute(
                    select(db.action.c.id)
                    .where(db.action.c.lead_agency_id == gone["id"])
                    .order_by(db.action.c.id)
                ).scalars()
            )
            alias_ids = list(
                conn.execute(
                    select(agency_alias.c.id).where(agency_alias.c.agency_id == gone["id"])
                ).scalars()
            )
            user_ids = list(
                conn.execute(
                    select(db.app_user.c.id).where(db.app_user.c.agency_id == gone["id"])
                ).scalars()
            )
            measure_ids = list(
                conn.execute(
                    select(db.measure.c.id).where(db.measure.c.agency_id == gone["id"])
                ).scalars()
            )
            _move_actions(conn, actor, action_ids, gone["id"], kept["id"], at)
            _move_column(
                conn, actor, agency_alias, "agency_id", alias_ids, gone["id"], kept["id"], at
            )
            _move_column(
                conn, actor, db.app_user, "agency_id", user_ids, gone["id"], kept["id"], at
            )
            _move_column(
                conn, actor, db.measure, "agency_id", measure_ids, gone["id"], kept["id"], at
            )
            added: list[int] = []
            for spelling in (gone["name"], gone["short_name"]):
                key = normalise_alias(spelling or "")
                if not key:
                    continue
                taken = conn.execute(
                    select(agency_alias.c.id).where(agency_alias.c.alias == key)
                ).first()
                if taken is None:
                    added.append(_add_alias_row(conn, actor, kept["id"], key, at))
            conn.execute(update(agency).where(agency.c.id == gone["id"]).values(active=False))
            moved = {
                "actions": action_ids,
                "aliases": alias_ids,
                "users": user_ids,
                "measures": measure_ids,
                "added_aliases": added,
                "active_before": bool(gone["active"]),
            }
            row_id = conn.execute(
                insert(agency_merge)
                .values(
                    kept_agency_id=kept["id"],
                    merged_agency_id=gone["id"],
                    merged_name=gone["name"],
                    merged_by=actor.email,
                    merged_at=at,
                    moved=json.dumps(moved),
                )
                .returning(agency_merge.c.id)
            ).scalar_one()
            summary = (
                f"{gone['name']} (agency {gone['id']}) merged in (merge {row_id}): "
                f"{len(action_ids)} actions, {len(alias_ids)} aliases, {len(user_ids)} users moved"
            )
            record_audit(conn, actor, "agency", kept["id"], {"merged": (None, summary)}, at=at)
            record_audit(
                conn,
                actor,
                "agency",
                gone["id"],
                {"merged_into": (None, kept["id"]), "active": (True, False)},
                at=at,
            )
            written.append(int(row_id))
            totals.update(actions=len(action_ids), aliases=len(alias_ids), users=len(user_ids))
    return MergeResult(tuple(written), totals["actions"], totals["aliases"], totals["users"])


def undo_merge(engine: Engine, actor: Actor, merge_id: int) -> MergeResult:
    """Undo a merge exactly (administrators): the actions, aliases and users that moved go back
    to the merged agency, the aliases the merge added are removed, and the merged agency is
    active again as before. A row changed since (an action given to another agency) stays where
    it is and is counted in ``left``. Merges are undone newest first: a later merge that involves
    either agency must be undone before this one.

    :returns: a :class:`MergeResult` of what went back.
    :raises PermissionDenied: unless the actor may ``manage_agencies``.
    :raises NotFound: no such merge. :raises ValidationError: already undone, or a later merge
        stands in the way.
    """
    require(actor, "manage_agencies")
    at = config.utc_now_iso()
    with db.write_transaction(engine) as conn:
        row = (
            conn.execute(
                select(agency_merge).where(agency_merge.c.id == int(merge_id)).with_for_update()
            )
            .mappings()
            .first()
        )
        if row is None:
            raise NotFound(f"No agency merge with id {merge_id}.")
        if row["undone_at"] is not None:
            raise ValidationError(f"merge {merge_id}: already undone on {row['undone_at'][:10]}.")
        pair = (row["kept_agency_id"], row["merged_agency_id"])
        later = (
            conn.execute(
                select(agency_merge.c.id)
                .where(
                    agency_merge.c.id > row["id"],
                    agency_merge.c.undone_at.is_(None),
                    (agency_merge.c.kept_agency_id.in_(pair))
                    | (agency_merge.c.merged_agency_id.in_(pair)),
                )
                .order_by(agency_merge.c.id.desc())
            )
            .scalars()
            .all()
        )
        if later:
            raise ValidationError(
                f"merge {merge_id}: undo the later merge(s) {', '.join(map(str, later))} of these "
                "agencies first."
            )
        kept, gone = pair
        moved = json.loads(row["moved"])
        actions = _move_actions(conn, actor, list(moved["actions"]), kept, gone, at)
        aliases = _move_column(
            conn, actor, agency_alias, "agency_id", moved["aliases"], kept, gone, at
        )
        users = _move_column(conn, actor, db.app_user, "agency_id", moved["users"], kept, gone, at)
        # Merges recorded before measures existed have no "measures" entry.
        measures_back = _move_column(
            conn, actor, db.measure, "agency_id", moved.get("measures", []), kept, gone, at
        )
        for alias_id in moved["added_aliases"]:
            alias = conn.execute(
                select(agency_alias.c.alias).where(
                    agency_alias.c.id == alias_id, agency_alias.c.agency_id == kept
                )
            ).scalar()
            if alias is not None:
                conn.execute(delete(agency_alias).where(agency_alias.c.id == alias_id))
                record_audit(
                    conn,
                    actor,
                    "agency_alias",
                    alias_id,
                    {"alias": (alias, None), "agency_id": (kept, None)},
                    at=at,
                )
        conn.execute(
            update(agency).where(agency.c.id == gone).values(active=moved["active_before"])
        )
        conn.execute(
            update(agency_merge)
            .where(agency_merge.c.id == row["id"])
            .values(undone_by=actor.email, undone_at=at)
        )
        left = (
            len(moved["actions"])
            - actions
            + len(moved["aliases"])
            - aliases
            + len(moved["users"])
            - users
            + len(moved.get("measures", []))
            - measures_back
        )
        summary = (
            f"merge {row['id']} of {row['merged_name']} undone: {actions} actions, {aliases} "
            f"aliases, {users} users back" + (f"; {left} changed since and left" if left else "")
        )
        record_audit(conn, actor, "agency", kept, {"merge_undone": (None, summary)}, at=at)
        record_audit(
            conn,
            actor,
            "agency",
            gone,
            {"merged_into": (kept, None), "active": (False, moved["active_before"])},
            at=at,
        )
        return MergeResult((int(row["id"]),), actions, aliases, users, left)


__all__ = [
    "COMPASS_WORDS",
    "IGNORED_WORDS",
    "SUGGESTION_THRESHOLD",
    "DuplicateGroup",
    "MergeResult",
    "add_alias",
    "agency_register",
    "aliases_of",
    "create_agency",
    "merge_agencies",
    "merge_history",
    "name_words",
    "remove_alias",
    "rename_agency",
    "save_agency",
    "similarity_scores",
    "suggest_duplicates",
    "undo_merge",
    "update_agency_details",
]
