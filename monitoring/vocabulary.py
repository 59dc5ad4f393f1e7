"""The monitor's words, in one place (issue 19, DESIGN §8 "each label and format lives in one
place"): the word shown for every stored code (action status, RAG, recommendation implementation,
response, assurance, target-date decision), the placeholders for a missing value, the UK date
formats and the percentage format.

Pages, charts, the meeting pack (PDF, slides, Excel), the public register, e-mails and the update
workbook take their words from here; :mod:`monitoring.rules` keeps the rules themselves (open,
overdue, RAG, implemented, escalation, the percentage's rounding). No Streamlit import: the
exports use it too.

RAG words are configurable (``MONITORING_RAG_LABELS``, :func:`rag_labels`); the codes never change.
"""

from __future__ import annotations

import json
import os
from datetime import date, datetime

import pandas as pd

from monitoring import rules

# --- placeholders ------------------------------------------------------------------------------

MISSING = "—"
"""Shown for a missing value (never "None" or "nan")."""

NO_TARGET_DATE = "No target date"
"""Shown wherever an open action has no target date (DESIGN §4: its own group, never overdue)."""

NO_LEAD_AGENCY = "Lead agency not recorded"
"""Shown wherever an action's lead agency is missing (tables, charts, exports, the pack)."""

# --- RAG ------------------------------------------------------------------------------------------

RAG_CODES = rules.RAG_CODES
DEFAULT_RAG_LABELS = {
    "red": "Red",
    "amber": "Amber",
    "green": "Green",
    "blue": "Blue",
    "grey": "Grey",
}
# Colour-blind-safe, each dark enough for white text at WCAG AA (4.5:1); the word is always shown too.
RAG_COLOURS = {
    "red": "#B2182B",
    "amber": "#8A4B00",
    "green": "#1B6B3A",
    "blue": "#1F4E96",
    "grey": "#595959",
}
RAG_MEANINGS = {
    "red": "overdue or off track",
    "amber": "at risk",
    "green": "on track",
    "blue": "complete",
    "grey": "closed without delivery",
}
OVERRIDDEN = " (overridden)"
"""Added to a RAG word rated by hand."""
NO_DATE_SUFFIX = f" ({NO_TARGET_DATE.lower()})"
"""Added to the RAG word of an open action with no target date: " (no target date)"."""


def rag_labels() -> dict[str, str]:
    """RAG labels by code, from ``MONITORING_RAG_LABELS`` (JSON, e.g. ``{"blue": "Complete"}``).

    Boards define BRAG labels locally (DOMAIN.md); codes stay fixed. Unknown codes are ignored.
    """
    labels = dict(DEFAULT_RAG_LABELS)
    raw = os.environ.get("MONITORING_RAG_LABELS", "").strip()
    if raw:
        try:
            custom = json.loads(raw)
        except json.JSONDecodeError:
            custom = {}
        if isinstance(custom, dict):
            labels.update({k: str(v) for k, v in custom.items() if k in labels and str(v).strip()})
    return labels


def rag_word(code: str, overridden: bool = False) -> str:
    """The board's word for a RAG code ("Red", "Red (overridden)" when rated by hand)."""
    word = rag_labels().get(code, code)
    return word + OVERRIDDEN if overridden else word


def rag_words(codes, overridden=None, *, due_on=None, statuses=None) -> list[str]:
    """The board's RAG words for a column of codes ("Red (overridden)" where ``overridden``); an
    empty text where there is no code. Given the actions' ``due_on`` and ``statuses`` columns, an
    open action with no target date reads "Green (no target date)" (:func:`rag_with_date_words`).
    """
    codes = list(codes)
    labels = rag_labels()
    flags = list(overridden) if overridden is not None else [False] * len(codes)
    words = [
        "" if not isinstance(c, str) else labels.get(c, c) + (OVERRIDDEN if f is True else "")
        for c, f in zip(codes, flags, strict=False)
    ]
    if due_on is None or statuses is None:
        return words
    return [
        w + NO_DATE_SUFFIX if w and _no_target_date(s, d) else w
        for w, d, s in zip(words, list(due_on), list(statuses), strict=False)
    ]


def _no_target_date(status, due_on) -> bool:
    return isinstance(status, str) and rules.is_open(status) and is_missing(due_on)


def rag_with_date_words(code: str, due_on, status: str, overridden: bool = False) -> str:
    """The RAG word, with "(no target date)" beside it for an open action with none: the rule
    rates it Green (DESIGN §4: never overdue), the words say why, e.g. "Green (no target
    date)"."""
    word = rag_word(code, overridden)
    return word + NO_DATE_SUFFIX if _no_target_date(status, due_on) else word


# --- stored codes --------------------------------------------------------------------------------

STATUS_LABELS = {
    "not_started": "Not started",
    "in_progress": "In progress",
    "completed": "Completed (agency reports)",
    "assured": "Assured (evidence seen)",
    "not_implemented": "Not implemented",
    "superseded": "Superseded",
}
"""Words for ``action.status``."""

IMPLEMENTATION_LABELS = {
    "no_actions": "No actions yet",
    "implemented": "Implemented",
    "overdue": "Overdue",
    "in_progress": "In progress",
}
"""Words for a recommendation's implementation (:func:`monitoring.rules.recommendation_implementation`)."""

RESPONSE_LABELS = {
    "awaiting": "Awaiting response",
    "accepted": "Accepted",
    "partially_accepted": "Partially accepted",
    "not_accepted": "Not accepted",
}
"""Words for ``recommendation.response_status``."""

ASSURANCE_LABELS = {
    "not_assessed": "Not yet assessed",
    "ready_for_assessment": "Ready for assessment",
    "assured": "Assured (evidence seen)",
    "closed_unacceptable": "Closed: evidence not acceptable",
    "superseded": "Superseded",
    "not_applicable": "Not applicable",
}
"""Words for ``recommendation.assurance_status``."""

DECISION_LABELS = {
    "pending": "Waiting for a decision",
    "approved": "Approved",
    "rejected": "Rejected",
}
"""Words for ``due_date_change.decision``."""


ROLE_LABELS = {
    "viewer": "Viewer (published material only)",
    "agency_lead": "Agency lead",
    "assurer": "Assurer",
    "board": "Board member",
    "admin": "Administrator",
}
"""Words for ``app_user.role``, in the order a new account is offered them: least access first
(DESIGN §5)."""

CHANGE_KIND_LABELS = {
    "baseline": "Brought in (baseline)",
    "newly_completed": "Newly completed",
    "newly_overdue": "Newly overdue",
    "date_moved": "Target date moved",
    "status_change": "Status changed",
    "new_recommendation": "New recommendation",
}
"""Words for the kinds of change since a meeting (:mod:`monitoring.changes`)."""


def code_labels() -> dict[str, dict[str, str]]:
    """The words for each stored code, by field: action ``status``, ``assurance_status``,
    ``response_status``, ``rag`` / ``rag_override`` (the board's RAG words), a target-date
    change's ``decision`` and a recommendation's ``implementation``."""
    rag = rag_labels()
    return {
        "status": STATUS_LABELS,
        "assurance_status": ASSURANCE_LABELS,
        "response_status": RESPONSE_LABELS,
        "rag": rag,
        "rag_override": rag,
        "decision": DECISION_LABELS,
        "implementation": IMPLEMENTATION_LABELS,
        "role": ROLE_LABELS,
        "kind": CHANGE_KIND_LABELS,
    }


def is_missing(value) -> bool:
    """True for None, NaN/NA and blank text."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def text_or_dash(value) -> str:
    """``value`` as text, or :data:`MISSING` when it is missing."""
    return MISSING if is_missing(value) else str(value)


def code_word(field: str, code) -> str:
    """The word shown for a stored ``code`` of ``field`` (e.g. ``status``, ``in_progress`` →
    "In progress"); "—" when missing; an unknown code is shown with spaces for underscores."""
    if is_missing(code):
        return MISSING
    words = code_labels().get(field, {})
    return words.get(str(code), str(code).replace("_", " "))


def status_word(code) -> str:
    """An action status's word ("In progress"); "—" when missing."""
    return code_word("status", code)


def status_words(codes) -> list[str]:
    """Action status words for a column of status codes (an empty text where there is none)."""
    return [STATUS_LABELS.get(c, c) if isinstance(c, str) else "" for c in codes]


# --- dates ---------------------------------------------------------------------------------------


def uk_date(value: date | str | None) -> str:
    """A date as ``d MMM yyyy`` (e.g. ``3 Jun 2026``, ``1 Dec 2026``); an empty string for none.
    A stored UTC timestamp is shown as its Europe/London date (:func:`monitoring.rules.london_day`,
    case 09)."""
    if value is None or (not isinstance(value, (str, date)) and pd.isna(value)) or not value:
        return ""
    if isinstance(value, str):
        value = rules.london_day(value)
    return f"{value.day} {value:%b %Y}"


def uk_date_or(value: date | str | None, empty: str = MISSING) -> str:
    """:func:`uk_date`, or ``empty`` (default "—") when there is no date."""
    return uk_date(value) or empty


def target_date_words(value: date | str | None) -> str:
    """A target date as shown: ``3 Jun 2026``, or "No target date" when there is none."""
    return uk_date_or(value, NO_TARGET_DATE)


def uk_date_time(value: str | None) -> str:
    """A stored UTC ISO timestamp as UK time, ``d MMM yyyy HH:MM`` (e.g. ``3 Jun 2026 15:05``
    for ``2026-06-03T14:05:00+00:00``, British Summer Time); "—" for none (case 09)."""
    if is_missing(value):
        return MISSING
    text = str(value)
    if len(text) <= 10:
        return uk_date(text)
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=rules.UTC)
    moment = moment.astimezone(rules.LONDON)
    return f"{uk_date(moment.date())} {moment:%H:%M}"


def effective_words(
    effective_on: date | str | None, recorded: str | None, *, with_time: bool = False
) -> str:
    """When a change counts, as every page dates it: the day it was effective (``effective_on``,
    the date the rest of the app uses, e.g. an import's as-of date) and, where the day it was
    recorded (``recorded``, a stored UTC timestamp, shown as its London day) differs, that day
    too: "1 Feb 2026 (recorded 1 Dec 2026)". With no effective date, or the same day, just the
    day recorded. ``with_time``: the recorded day with its UK time (``d MMM yyyy HH:MM``), for
    the audit trail. "—" when there is neither."""
    stamp = uk_date_time(recorded) if with_time else uk_date(recorded)
    if is_missing(effective_on) or not effective_on:
        return stamp or MISSING
    effective = uk_date(str(effective_on)[:10])
    if not stamp or stamp == MISSING:
        return effective
    if uk_date(recorded) == effective:
        return stamp
    return f"{effective} (recorded {stamp})"


def month_year(value: date) -> str:
    """A month as ``Jun 2026`` (chart periods, measure periods)."""
    return f"{value:%b %Y}"


def originally(due_on: date | str | None, original_due_on: date | str | None) -> str:
    """`` (originally 9 Jul 2026)`` after a target date that has moved from its original; an
    empty string when the dates are the same or there was no original date."""
    then = uk_date(original_due_on)
    return f" (originally {then})" if then and then != uk_date(due_on) else ""


# --- the audit trail ------------------------------------------------------------------------

ENTITY_LABELS = {
    "action": "Action",
    "recommendation": "Recommendation",
    "review": "Review",
    "evidence": "Evidence",
    "due_date_change": "Target-date change",
    "meeting_decision": "Meeting decision",
    "agency": "Agency",
    "app_user": "Account",
    "agency_alias": "Agency name (merged or alias)",
    "meeting": "Meeting",
    "measure": "Measure",
    "measure_observation": "Measure value",
    "feedback": "Feedback from children and families",
    "theme": "Theme",
    "recommendation_theme": "Theme of a recommendation",
    "action_update": "Progress update",
    "escalation": "Escalation",
    "agency_merge": "Agency merge",
}
"""Words for ``audit_log.entity``."""

FIELD_LABELS = {
    "status": "Status",
    "assurance_status": "Assurance",
    "response_status": "Response",
    "assurance_note": "Assurance note",
    "progress_note": "Progress note",
    "due_on": "Target date",
    "original_due_on": "Original target date",
    "requested_due_on": "Requested target date",
    "old_due_on": "Target date from",
    "new_due_on": "Target date to",
    "due_date_changes": "Target-date changes approved",
    "completed_on": "Completed on",
    "closure_reason": "Reason for closing",
    "decision": "Decision",
    "decided_by": "Decided by",
    "reason": "Reason",
    "evidence": "Evidence",
    "title": "Title",
    "url": "Link",
    "action_id": "Action",
    "version": "Record version",
    "rag_override": "RAG (overridden)",
    "lead_agency_id": "Lead agency",
    "description": "Description",
    "success_measure": "Success measure",
    "via": "Received as",
    "merged": "Agencies merged",
    "merge_undone": "Merge undone",
    "merged_into": "Merged into",
    "assured_on_measure": "Assured on the measure",
    # every other column of the records whose trail the History page shows (an edit or an
    # import may audit any of them), and the fields written by imports, merges and accounts
    "created": "Record created",
    "note": "Note",
    "name": "Name",
    "active": "Active",
    "number": "Number",
    "ref": "Reference",
    "text": "Recommendation text",
    "scope": "Scope",
    "priority": "Priority",
    "addressed_to": "Addressed to",
    "response_due_on": "Response due",
    "responded_on": "Responded on",
    "national_dependency": "Depends on national action",
    "lead_officer": "Lead officer",
    "due_on_approximate": "Target date approximate",
    "rag_override_reason": "Reason for the RAG override",
    "last_update_on": "Latest update",
    "review_type": "Review type",
    "board": "Board",
    "published_on": "Published on",
    "summary": "Summary",
    "source_url": "Source link",
    "review_id": "Review",
    "recommendation_id": "Recommendation",
    "agency_id": "Agency",
    "theme_id": "Theme",
    "meeting_id": "Meeting",
    "measure_id": "Measure",
    "author_id": "Written by",
    "file_path": "File",
    "sha256": "File fingerprint",
    "size_bytes": "File size (bytes)",
    "content_type": "File type",
    "uploaded_by": "Uploaded by",
    "uploaded_at": "Uploaded",
    "verified_by": "Checked by",
    "verified_at": "Checked",
    "requested_by": "Asked by",
    "requested_at": "Asked",
    "decided_at": "Decided",
    "entity": "Record",
    "level": "Escalation level",
    "level_name": "Escalation",
    "days_overdue": "Days overdue",
    "reached_on": "Escalated on",
    "evidence_url": "Evidence link",
    "alias": "Other name",
    "short_name": "Short name",
    "role": "Role",
    "email": "E-mail",
    "display_name": "Name shown",
    "password": "Password",
    "failed_sign_ins": "Failed sign-ins",
    "locked_until": "Locked until",
}
"""Words for ``audit_log.field``; a field not here is shown in sentence case with spaces for
underscores (never snake_case)."""

HIDDEN_AUDIT_FIELDS = frozenset(
    {"version", "due_date_changes", "created_at", "updated_at", "id", "effective_on"}
)
"""Audited fields kept in the log but not shown: internal bookkeeping, not something a board
member or lead changed. ``version`` is the edit-conflict check's counter; ``due_date_changes``
counts approved target-date moves (each move is shown as its own target-date change and its
``due_on`` row); the timestamps and ids are the row's own."""

ID_FIELDS = {
    "lead_agency_id": "agency",
    "agency_id": "agency",
    "kept_agency_id": "agency",
    "merged_agency_id": "agency",
    "merged_into": "agency",
    "review_id": "review",
    "recommendation_id": "recommendation",
    "action_id": "action",
    "theme_id": "theme",
    "meeting_id": "meeting",
    "baseline_meeting_id": "meeting",
    "measure_id": "measure",
    "author_id": "app_user",
}
"""Audited fields that store a record's id, and the table it names: the audit trail's read
(:func:`monitoring.worklists.audit_trail`) shows the record's name, never the number."""


def field_word(field: str) -> str:
    """An audited field as a user reads it (:data:`FIELD_LABELS`, else sentence case)."""
    return FIELD_LABELS.get(field) or str(field).replace("_", " ").capitalize()


DATE_FIELDS = frozenset(
    {
        "due_on",
        "original_due_on",
        "requested_due_on",
        "old_due_on",
        "new_due_on",
        "completed_on",
        "response_due_on",
        "responded_on",
        "published_on",
        "last_update_on",
        "reached_on",
    }
)
"""Audited fields holding an ISO date, shown as ``d MMM yyyy``."""

BOOLEAN_FIELDS = frozenset({"active", "due_on_approximate", "national_dependency"})
"""Audited fields holding true or false, shown as "Yes" or "No"."""


def value_word(field: str, value) -> str:
    """An audited value as a user reads it: a code's word, a date as ``d MMM yyyy``, "—" when
    missing (the audit log stores text, None for "no value")."""
    if is_missing(value):
        return MISSING
    if field in code_labels():
        return code_word(field, value)
    if field in BOOLEAN_FIELDS:
        return {"true": "Yes", "1": "Yes", "false": "No", "0": "No"}.get(
            str(value).lower(), str(value)
        )
    if field in DATE_FIELDS:
        try:
            return uk_date(str(value))
        except ValueError:
            return str(value)
    return str(value)


# --- numbers -------------------------------------------------------------------------------------


def percent(value: float | None) -> str:
    """A percentage as shown: ``"42%"`` (a whole number: :func:`monitoring.rules.percentage` has
    already rounded it), or "—" when there is nothing to divide."""
    if is_missing(value):
        return MISSING
    return f"{float(value):.0f}%"


def share(part: int, whole: int) -> str:
    """``part`` of ``whole`` as shown: the one rounding (:func:`monitoring.rules.percentage`) and
    the one format (:func:`percent`), e.g. 1 of 8 is "13%", 0 of 0 is "—"."""
    return percent(rules.percentage(part, whole))


def count_words(count: int, noun: str, plural: str | None = None) -> str:
    """``1 action``, ``2 actions``, ``1,364 actions`` (never "1 actions")."""
    return f"{count:,} {noun if count == 1 else (plural or noun + 's')}"


def overview_summary(
    figures,
    escalated: int,
    by_agency: pd.DataFrame,
    *,
    as_at: date | None = None,
    board_days: int | None = None,
) -> str:
    """The Overview's plain-English summary under its date line: what the board should look at
    first, built only from figures the page already shows, so that it cannot disagree with them.

    :param figures: the Overview's tiles (:class:`monitoring.queries.OverviewFigures` from
        :func:`monitoring.reads.overview`); ``open_actions``, ``overdue`` and ``no_due_date`` are
        read.
    :param escalated: the "Escalated to the board" tile (``"escalated"`` of
        :func:`monitoring.reads.tile_counts`).
    :param by_agency: the overdue-by-agency chart's frame
        (:func:`monitoring.reads.overdue_by_agency`: ``agency, overdue``, most first, ties by
        name), for the same reader, filters and date.
    :param as_at: the past date the records are read as at (None: now); the sentences then speak
        in the past tense and the first starts "On 15 Feb 2026, ".
    :param board_days: the days overdue at which an action is escalated to the board (the
        escalation ladder's board level, :func:`monitoring.rollups.board_days_of`); None leaves
        the days out.
    :returns: one to three sentences, e.g. "523 of 539 open actions are overdue; 523 of them by 90
        days or more (escalated to the board). Most overdue: Department of Health and Social Care
        (36 actions). 16 open actions have no target date."

    Wording rules: counts with thousands separators and the noun and verb agreeing with them
    (:func:`count_words`); a clause whose count is 0 is left out, and with nothing overdue the
    first sentence is "No open action is overdue." ("No action is open." when none is); "All N"
    when every open action is overdue; agencies tied for the most are named (two) or counted
    (more); the agency names are data, returned as they are (the page shows them as text,
    :func:`monitoring.ui.text.show`).
    """
    past = as_at is not None
    is_, are, has, have = ("was", "were", "had", "had") if past else ("is", "are", "has", "have")
    open_n, overdue = int(figures.open_actions), int(figures.overdue)
    if open_n == 0:
        first = f"No action {is_} open."
    elif overdue == 0:
        first = f"No open action {is_} overdue."
    else:
        if overdue == open_n:
            first = (
                f"The one open action {is_} overdue"
                if open_n == 1
                else f"All {count_words(open_n, 'open action')} {are} overdue"
            )
        else:
            verb = is_ if overdue == 1 else are
            first = f"{overdue:,} of {count_words(open_n, 'open action')} {verb} overdue"
        if escalated:
            by = f"by {board_days:,} days or more (escalated to the board)" if board_days else ""
            if overdue == 1:
                first += f", {by}" if by else ", escalated to the board"
            else:
                first += f"; {escalated:,} of them {by or 'escalated to the board'}"
        first += "."
    if past:
        first = f"On {uk_date(as_at)}, {first[0].lower()}{first[1:]}"
    sentences = [first]
    if overdue and not by_agency.empty:
        most = int(by_agency["overdue"].iloc[0])
        tied = [str(name) for name in by_agency.loc[by_agency["overdue"] == most, "agency"]]
        each = count_words(most, "action") + (" each" if len(tied) > 1 else "")
        if len(tied) == 1:
            names = tied[0]
        elif len(tied) == 2:
            names = f"{tied[0]} and {tied[1]}"
        else:
            others = count_words(len(tied) - 2, "other agency", "other agencies")
            names = f"{tied[0]}, {tied[1]} and {others}"
        sentences.append(f"Most overdue: {names} ({each}).")
    no_date = int(figures.no_due_date)
    if no_date:
        sentences.append(
            f"{count_words(no_date, 'open action')} {has if no_date == 1 else have} no target date."
        )
    return " ".join(sentences)


__all__ = [
    "ASSURANCE_LABELS",
    "CHANGE_KIND_LABELS",
    "DECISION_LABELS",
    "DEFAULT_RAG_LABELS",
    "IMPLEMENTATION_LABELS",
    "MISSING",
    "NO_LEAD_AGENCY",
    "NO_TARGET_DATE",
    "RAG_CODES",
    "RAG_COLOURS",
    "RAG_MEANINGS",
    "RESPONSE_LABELS",
    "ROLE_LABELS",
    "STATUS_LABELS",
    "BOOLEAN_FIELDS",
    "DATE_FIELDS",
    "ENTITY_LABELS",
    "FIELD_LABELS",
    "HIDDEN_AUDIT_FIELDS",
    "ID_FIELDS",
    "field_word",
    "code_labels",
    "code_word",
    "count_words",
    "effective_words",
    "is_missing",
    "month_year",
    "originally",
    "percent",
    "rag_labels",
    "rag_with_date_words",
    "rag_word",
    "rag_words",
    "share",
    "status_word",
    "status_words",
    "target_date_words",
    "text_or_dash",
    "uk_date",
    "uk_date_or",
    "uk_date_time",
    "value_word",
]


def action_ref(recommendation_number, number) -> str:
    """An action's number as a board reads it: its recommendation's number and its own, "2.1",
    so that two actions numbered 1 under different recommendations of one review read apart
    (a fresh user saw "action 1" twice in the ten most overdue). A number already written with
    its recommendation's ("2.1", "2.1a") is kept; with no recommendation number, the action's
    own; "—" when the action has none.

    >>> action_ref("2", "1"), action_ref("2", "2.1"), action_ref(None, "3"), action_ref("4", None)
    ('2.1', '2.1', '3', '—')
    """
    if is_missing(number):
        return MISSING
    own = str(number).strip().rstrip(".")
    if is_missing(recommendation_number):
        return own
    # a tracker's "3." or "3)" is recommendation 3
    parent = str(recommendation_number).strip().rstrip(".)-: ")
    if not parent:
        return own
    if own.startswith(f"{parent}.") or own.startswith(f"{parent}-"):
        return own
    return f"{parent}.{own}"
