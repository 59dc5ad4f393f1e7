"""Reminders: one digest e-mail per agency lead, and the escalation ladder (issue 7).

``python -m monitoring remind [--dry-run] [--as-of DATE]`` is meant for cron or a systemd timer
(Streamlit has no scheduler). Each run:

1. records the escalation level each overdue action has reached (:func:`new_escalations`, written by
   :func:`monitoring.services.record_escalations`);
2. builds one digest per active agency lead (:func:`build_digests`): their agency's overdue actions
   (with days overdue), actions due in the next :data:`DUE_WITHIN_DAYS` days, and actions with no
   update for more than ``MONITORING_STALE_DAYS`` (90) days, each with a link into the app
   (:func:`action_link`); a lead with nothing listed gets no e-mail;
3. sends each digest over SMTP (standard library ``smtplib``/``email``), copying the agency's board
   member when a listed action has reached the "copied to board member" step, and logs it in
   ``reminder_log`` through :func:`monitoring.services.send_reminder`, so that a second run on the
   same day sends nothing new.

With ``--attach-workbook`` (or ``MONITORING_REMIND_ATTACH_WORKBOOK=true``) each digest also
carries the lead's update workbook (:func:`monitoring.update_workbook.make_workbook`, made as the
lead: their agency's open actions and those awaiting assurance), which they may fill in and send
back to the board office instead of signing in (:func:`attachment`).

Escalation ladder (``MONITORING_ESCALATION_DAYS``, default ``1,30,90`` days overdue): level 1
"reminder", level 2 "copied to board member", level 3 "listed for the board's exception report".

Nothing here logs message bodies or e-mail addresses; the command prints to its own user only.
"""

from __future__ import annotations

import argparse
import os
import smtplib
import ssl
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

import pandas as pd
from sqlalchemy import Connection, Engine, and_, func, or_, select

from monitoring import config, db, queries, rules, services, update_workbook, vocabulary
from monitoring.db import action, agency, app_user, escalation, recommendation, reminder_log, review

DUE_WITHIN_DAYS = 14
"""The digest lists open actions due within this many days from today (today included)."""

DEFAULT_ESCALATION_DAYS = (1, 30, 90)
LEVEL_NAMES = (
    "reminder",
    "copied to board member",
    "listed for the board's exception report",
)
"""Names of escalation levels 1, 2 and 3 (the issue's ladder)."""
COPY_LEVEL = 2
"""From this level on, the agency's board member is copied on the lead's digest."""

ATTACH_SETTING = "MONITORING_REMIND_ATTACH_WORKBOOK"
"""Setting (true/false, default false): attach each lead's update workbook to their digest, as
``remind --attach-workbook`` does."""
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

DEFAULT_APP_URL = "http://localhost:8501"
SMTP_TIMEOUT_SECONDS = 30
DESCRIPTION_CHARS = 200

SECTION_TITLES = {
    "overdue": "Overdue",
    "due_soon": f"Due in the next {DUE_WITHIN_DAYS} days",
    "no_update": "No update for more than {stale_days} days",
}
"""Digest section headings, in the order they appear (``{stale_days}`` is filled in)."""


# --- settings ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One step of the escalation ladder: ``level`` (1, 2, 3) reached at ``days`` overdue."""

    level: int
    name: str
    days: int

    @property
    def label(self) -> str:
        """E.g. ``level 2: copied to board member`` (as written to the audit log)."""
        return f"level {self.level}: {self.name}"


def escalation_ladder(raw: str | None = None) -> tuple[Step, ...]:
    """The escalation ladder from ``MONITORING_ESCALATION_DAYS`` (or ``raw``), e.g. ``"1,30,90"``.

    :returns: three :class:`Step` values, levels 1–3, with strictly increasing ``days`` (≥ 1).
    :raises monitoring.config.SettingError: unless the value is three increasing whole numbers ≥ 1.
    """
    if raw is None:
        raw = os.environ.get("MONITORING_ESCALATION_DAYS", "")
    raw = raw.strip()
    if not raw:
        days = DEFAULT_ESCALATION_DAYS
    else:
        problem = (
            "MONITORING_ESCALATION_DAYS must be three increasing whole numbers of days overdue "
            f"(reminder, copy to board member, exception report), e.g. 1,30,90; got {raw!r}"
        )
        try:
            days = tuple(int(part) for part in raw.split(","))
        except ValueError as exc:
            raise config.SettingError(problem) from exc
        if len(days) != 3 or days[0] < 1 or not days[0] < days[1] < days[2]:
            raise config.SettingError(problem)
    return tuple(
        Step(level, name, d)
        for level, (name, d) in enumerate(zip(LEVEL_NAMES, days, strict=True), 1)
    )


def step_for(days_overdue: int, ladder: Sequence[Step]) -> Step | None:
    """The highest step of ``ladder`` reached at ``days_overdue`` days overdue, or ``None``."""
    level = rules.escalation_level_for(days_overdue, [step.days for step in ladder])
    return ladder[level - 1] if level else None


def app_url() -> str:
    """The app's address for links in e-mails: ``MONITORING_APP_URL`` (default localhost:8501)."""
    return (os.environ.get("MONITORING_APP_URL", "").strip() or DEFAULT_APP_URL).rstrip("/")


def action_link(action_id: int, base: str | None = None) -> str:
    """The link to one action in the app: ``{MONITORING_APP_URL}/history?action={id}``.

    The only place the link format is defined (the History page reads ``action``).
    """
    return f"{(base or app_url()).rstrip('/')}/history?action={int(action_id)}"


def _flag(name: str, default: bool) -> bool:
    raw = os.environ.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise config.SettingError(f"{name} must be true or false, got {raw!r}")


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how to send: from ``MONITORING_SMTP_*`` and ``MONITORING_MAIL_FROM``."""

    host: str
    port: int
    starttls: bool
    user: str | None
    password: str | None = field(repr=False, default=None)
    mail_from: str = ""

    @classmethod
    def from_env(cls) -> SmtpSettings:
        """Read the settings.

        ``MONITORING_SMTP_HOST`` and ``MONITORING_MAIL_FROM`` are required;
        ``MONITORING_SMTP_STARTTLS`` defaults to true, ``MONITORING_SMTP_PORT`` to 587 with
        STARTTLS and 25 without (465 means TLS from the start); ``MONITORING_SMTP_USER`` and
        ``MONITORING_SMTP_PASSWORD`` are optional (login only when a user is set).

        :raises monitoring.config.SettingError: naming the missing or unusable variable.
        """
        host = os.environ.get("MONITORING_SMTP_HOST", "").strip()
        mail_from = os.environ.get("MONITORING_MAIL_FROM", "").strip()
        missing = [
            name
            for name, value in (("MONITORING_SMTP_HOST", host), ("MONITORING_MAIL_FROM", mail_from))
            if not value
        ]
        if missing:
            raise config.SettingError(
                f"{' and '.join(missing)} must be set to send reminders "
                "(or use --dry-run to see what would be sent)"
            )
        starttls = _flag("MONITORING_SMTP_STARTTLS", True)
        raw_port = os.environ.get("MONITORING_SMTP_PORT", "").strip()
        try:
            port = int(raw_port) if raw_port else (587 if starttls else 25)
        except ValueError as exc:
            raise config.SettingError(
                f"MONITORING_SMTP_PORT must be a port number, got {raw_port!r}"
            ) from exc
        user = os.environ.get("MONITORING_SMTP_USER", "").strip() or None
        password = os.environ.get("MONITORING_SMTP_PASSWORD") or None
        return cls(host, port, starttls, user, password, mail_from)


# --- what to list -----------------------------------------------------------------------------


def n_days(n: int) -> str:
    """``1 day``, ``2 days``."""
    return f"{n} day" if n == 1 else f"{n} days"


def uk_date(value: date) -> str:
    """A date as ``d MMM yyyy`` (:func:`monitoring.vocabulary.uk_date`)."""
    return vocabulary.uk_date(value)


@dataclass(frozen=True)
class ListedAction:
    """One action in a digest.

    ``section`` is ``overdue``, ``due_soon`` or ``no_update`` (each action in one section only, the
    first that applies); ``days_overdue`` is 0 unless overdue; ``last_activity_on`` is the date of
    the latest progress update, or of creation when there is none; ``step`` is the escalation step
    reached (overdue actions only).
    """

    action_id: int
    agency_id: int
    review_ref: str
    recommendation_number: str
    number: str
    description: str
    due_on: date | None
    last_activity_on: date | None
    section: str
    days_overdue: int
    step: Step | None

    def lines(self, today: date) -> list[str]:
        """The digest lines for this action: what it is, where it stands, its link."""
        text = " ".join(self.description.split())
        if len(text) > DESCRIPTION_CHARS:
            text = text[: DESCRIPTION_CHARS - 1].rstrip() + "…"
        head = (
            f"- {self.review_ref}, recommendation {self.recommendation_number}, "
            f"action {self.number}: {text}"
        )
        if self.section == "overdue":
            detail = f"{n_days(self.days_overdue)} overdue (target date {uk_date(self.due_on)})"
            if self.step and self.step.level > 1:
                detail += f"; escalation: {self.step.name}"
        elif self.section == "due_soon":
            days = (self.due_on - today).days
            when = "today" if days == 0 else "tomorrow" if days == 1 else f"in {days} days"
            detail = f"due {when} (target date {uk_date(self.due_on)})"
        else:
            detail = "no target date" if self.due_on is None else f"due {uk_date(self.due_on)}"
        if self.last_activity_on is None:
            detail += "; no progress update on record"
        else:
            ago = (today - self.last_activity_on).days
            detail += f"; last update {uk_date(self.last_activity_on)} ({n_days(ago)} ago)"
        return [head, f"  {detail}", f"  {action_link(self.action_id)}"]


def listed_actions(
    conn: Connection,
    today: date,
    ladder: Sequence[Step],
    *,
    due_within_days: int = DUE_WITHIN_DAYS,
    stale_days: int | None = None,
) -> dict[int, list[ListedAction]]:
    """Open actions a digest lists, by lead agency id.

    An action is listed once, in the first section that applies: ``overdue`` (open, target date
    before today; rules.is_overdue), ``due_soon`` (open, due today to today + ``due_within_days``),
    ``no_update`` (open and no update for more than ``stale_days``, default
    ``MONITORING_STALE_DAYS``; rules.is_stale). Each list is ordered by section, then most urgent
    first (oldest target date; oldest update).
    """
    stale_days = config.thresholds().stale_days if stale_days is None else stale_days
    horizon = today + timedelta(days=due_within_days)
    rows = conn.execute(
        select(
            action.c.id,
            action.c.lead_agency_id,
            review.c.ref,
            recommendation.c.number.label("recommendation_number"),
            action.c.number,
            action.c.description,
            action.c.status,
            action.c.due_on,
            action.c.last_update_on,
            action.c.created_at,
        )
        .select_from(
            action.join(recommendation, recommendation.c.id == action.c.recommendation_id).join(
                review, review.c.id == action.c.review_id
            )
        )
        .where(
            action.c.lead_agency_id.is_not(None),
            queries.is_open_sql(),
            or_(
                action.c.due_on <= queries.iso(horizon),
                queries.is_stale_sql(today, stale_days),
            ),
        )
        .order_by(action.c.id)
    ).all()
    by_agency: dict[int, list[ListedAction]] = {}
    order = {name: i for i, name in enumerate(SECTION_TITLES)}
    for row in rows:
        due_on = rules.parse_iso(row.due_on)
        last = rules.parse_iso(row.last_update_on) or rules.parse_iso(row.created_at)
        if rules.is_overdue(row.status, due_on, today):
            section = "overdue"
        elif rules.is_due_soon(row.status, due_on, today, due_within_days):
            section = "due_soon"
        elif rules.is_stale(row.status, last, today, stale_days):
            section = "no_update"
        else:
            continue
        days = rules.days_overdue(row.status, due_on, today)
        by_agency.setdefault(row.lead_agency_id, []).append(
            ListedAction(
                action_id=row.id,
                agency_id=row.lead_agency_id,
                review_ref=row.ref,
                recommendation_number=row.recommendation_number,
                number=row.number,
                description=row.description or "",
                due_on=due_on,
                last_activity_on=last,
                section=section,
                days_overdue=days,
                step=step_for(days, ladder) if section == "overdue" else None,
            )
        )
    for items in by_agency.values():
        items.sort(
            key=lambda a: (
                order[a.section],
                a.due_on or date.max
                if a.section != "no_update"
                else a.last_activity_on or date.min,
                a.action_id,
            )
        )
    return by_agency


@dataclass(frozen=True)
class Digest:
    """One lead's e-mail: their agency's listed actions; ``cc`` the board member when copied.

    ``already_sent`` is true when ``reminder_log`` already has this recipient for the day.
    """

    recipient: str
    display_name: str
    agency_id: int
    agency_name: str
    actions: tuple[ListedAction, ...]
    cc: tuple[str, ...]
    already_sent: bool
    stale_days: int
    copy_after_days: int

    def section(self, name: str) -> list[ListedAction]:
        """The listed actions of one section (``overdue``, ``due_soon`` or ``no_update``)."""
        return [a for a in self.actions if a.section == name]

    @property
    def action_ids(self) -> list[int]:
        """Ids of every listed action, in the order listed."""
        return [a.action_id for a in self.actions]

    def counts(self) -> str:
        """E.g. ``3 overdue, 1 due in the next 14 days, 2 with no recent update``."""
        return (
            f"{len(self.section('overdue'))} overdue, "
            f"{len(self.section('due_soon'))} due in the next {DUE_WITHIN_DAYS} days, "
            f"{len(self.section('no_update'))} with no recent update"
        )

    def subject(self, today: date) -> str:
        """The e-mail subject line."""
        return f"Safeguarding actions for {self.agency_name}, {uk_date(today)}: {self.counts()}"

    def body(self, today: date, cc: Sequence[str] = (), workbook: str | None = None) -> str:
        """The plain-text e-mail body: one section per heading, each action with its link;
        ``workbook`` the file name of the update workbook attached, if one is."""
        lines = [
            f"Dear {self.display_name},",
            "",
            f"This is the safeguarding learning monitor's digest of actions led by "
            f"{self.agency_name}, as at {uk_date(today)}.",
        ]
        for name, title in SECTION_TITLES.items():
            items = self.section(name)
            if not items:
                continue
            lines += ["", f"{title.format(stale_days=self.stale_days)} ({len(items)})", ""]
            for item in items:
                lines += item.lines(today)
        lines += [
            "",
            "Please add a progress update for each of these in the app, or ask for a revised "
            "target date with a reason.",
        ]
        if workbook:
            lines += [
                "",
                f"Attached is {self.agency_name}'s update workbook ({workbook}): every open action "
                "and those awaiting assurance. Instead of using the app you may fill in its "
                "yellow columns, save it and send it back to the board office.",
            ]
        if cc:
            lines += [
                "",
                "Your agency's board member is copied because an action is at least "
                f"{self.copy_after_days} days overdue.",
            ]
        lines += ["", "Safeguarding learning monitor", app_url()]
        return "\n".join(lines) + "\n"


def _sent(conn: Connection, recipient: str, day: date, agency_id: int | None = None) -> bool:
    query = select(reminder_log.c.id).where(
        reminder_log.c.sent_on == day.isoformat(), reminder_log.c.recipient == recipient
    )
    if agency_id is not None:
        query = query.where(reminder_log.c.agency_id == agency_id)
    return conn.execute(query.limit(1)).first() is not None


def build_digests(
    conn: Connection,
    today: date,
    ladder: Sequence[Step] | None = None,
    *,
    stale_days: int | None = None,
) -> list[Digest]:
    """One digest per active agency lead (``app_user`` role ``agency_lead``, active, with an
    agency, the agency active) who has at least one listed action, ordered by agency then e-mail.

    The agency's ``board_member_email`` is in ``cc`` when a listed action has reached the
    "copied to board member" step and that board member has not had a copy for this agency today.
    """
    ladder = tuple(ladder or escalation_ladder())
    stale_days = config.thresholds().stale_days if stale_days is None else stale_days
    listed = listed_actions(conn, today, ladder, stale_days=stale_days)
    leads = conn.execute(
        select(
            app_user.c.email,
            app_user.c.display_name,
            app_user.c.agency_id,
            agency.c.name,
            agency.c.board_member_email,
        )
        .select_from(app_user.join(agency, agency.c.id == app_user.c.agency_id))
        .where(
            app_user.c.role == "agency_lead",
            app_user.c.active.is_(True),
            agency.c.active.is_(True),
        )
        .order_by(agency.c.name, app_user.c.email)
    ).all()
    digests = []
    copied: set[int] = set()
    for lead in leads:
        items = tuple(listed.get(lead.agency_id, ()))
        if not items:
            continue
        cc: tuple[str, ...] = ()
        board = (lead.board_member_email or "").strip()
        wants_copy = any(a.step and a.step.level >= COPY_LEVEL for a in items)
        if board and wants_copy and lead.agency_id not in copied:
            if not _sent(conn, board, today, lead.agency_id):
                cc = (board,)
            copied.add(lead.agency_id)
        digests.append(
            Digest(
                recipient=lead.email,
                display_name=lead.display_name or lead.email,
                agency_id=lead.agency_id,
                agency_name=lead.name,
                actions=items,
                cc=cc,
                already_sent=_sent(conn, lead.email, today),
                stale_days=stale_days,
                copy_after_days=ladder[COPY_LEVEL - 1].days,
            )
        )
    return digests


def agencies_without_lead(conn: Connection, today: date, ladder: Sequence[Step]) -> pd.DataFrame:
    """Agencies with listed actions but no active agency lead (nobody to remind).

    :returns: DataFrame ``agency_id, agency, listed`` ordered by agency name.
    """
    listed = listed_actions(conn, today, ladder)
    with_lead = {
        row.agency_id
        for row in conn.execute(
            select(app_user.c.agency_id).where(
                app_user.c.role == "agency_lead",
                app_user.c.active.is_(True),
                app_user.c.agency_id.is_not(None),
            )
        )
    }
    missing = sorted(set(listed) - with_lead)
    names = {
        row.id: row.name
        for row in conn.execute(select(agency.c.id, agency.c.name).where(agency.c.id.in_(missing)))
    }
    frame = pd.DataFrame(
        [(a, names.get(a, str(a)), len(listed[a])) for a in missing],
        columns=["agency_id", "agency", "listed"],
    )
    return frame.sort_values("agency").reset_index(drop=True)


# --- escalation ladder ------------------------------------------------------------------------


def new_escalations(conn: Connection, today: date, ladder: Sequence[Step]) -> list[dict]:
    """Escalation levels reached by overdue actions and not yet recorded.

    For each overdue open action (any lead agency, or none) the step reached today is new when no
    ``escalation`` row of that level or higher was recorded after the action's current target date
    (so an approved later target date starts the ladder again). Only the highest step reached is
    recorded, not every step below it.

    :returns: dicts ``action_id, level, level_name, days_overdue, due_on (ISO text),
        previous_level, previous_level_name`` (previous: highest level already recorded since the
        target date, or ``None``), ordered by action id.
    """
    rows = conn.execute(
        select(action.c.id, action.c.status, action.c.due_on)
        .where(queries.is_overdue_sql(today))
        .order_by(action.c.id)
    ).all()
    if not rows:
        return []
    recorded = conn.execute(
        select(escalation.c.action_id, escalation.c.level, escalation.c.level_name)
        .select_from(escalation.join(action, action.c.id == escalation.c.action_id))
        .where(queries.is_overdue_sql(today), escalation.c.reached_on > action.c.due_on)
    ).all()
    highest: dict[int, tuple[int, str | None]] = {}
    for r in recorded:
        if r.action_id not in highest or r.level > highest[r.action_id][0]:
            highest[r.action_id] = (r.level, r.level_name)
    result = []
    for row in rows:
        days = rules.days_overdue(row.status, rules.parse_iso(row.due_on), today)
        step = step_for(days, ladder)
        previous = highest.get(row.id)
        if step is None or (previous and previous[0] >= step.level):
            continue
        result.append(
            {
                "action_id": row.id,
                "level": step.level,
                "level_name": step.name,
                "days_overdue": days,
                "due_on": row.due_on,
                "previous_level": previous[0] if previous else None,
                "previous_level_name": previous[1] if previous else None,
            }
        )
    return result


def current_escalations(conn: Connection, today: date, *, min_level: int = 1) -> pd.DataFrame:
    """The escalation level each overdue action stands at (recorded since its target date).

    For the meeting pack's exception report use ``min_level=3``.

    :returns: DataFrame ``action_id, level, level_name, reached_on (ISO text), days_overdue``
        (days overdue when the level was reached), one row per action, ordered by level
        (highest first) then action id.
    """
    ranked = (
        select(
            escalation.c.action_id,
            func.max(escalation.c.level).label("level"),
        )
        .select_from(escalation.join(action, action.c.id == escalation.c.action_id))
        .where(queries.is_overdue_sql(today), escalation.c.reached_on > action.c.due_on)
        .group_by(escalation.c.action_id)
        .subquery()
    )
    rows = conn.execute(
        select(
            escalation.c.action_id,
            escalation.c.level,
            escalation.c.level_name,
            func.min(escalation.c.reached_on).label("reached_on"),
            func.min(escalation.c.days_overdue).label("days_overdue"),
        )
        .select_from(
            escalation.join(
                ranked,
                and_(
                    ranked.c.action_id == escalation.c.action_id,
                    ranked.c.level == escalation.c.level,
                ),
            ).join(action, action.c.id == escalation.c.action_id)
        )
        .where(escalation.c.level >= min_level, escalation.c.reached_on > action.c.due_on)
        .group_by(escalation.c.action_id, escalation.c.level, escalation.c.level_name)
        .order_by(escalation.c.level.desc(), escalation.c.action_id)
    ).all()
    return pd.DataFrame(
        rows, columns=["action_id", "level", "level_name", "reached_on", "days_overdue"]
    )


# --- sending ----------------------------------------------------------------------------------


def build_message(
    digest: Digest,
    today: date,
    mail_from: str,
    cc: Sequence[str],
    workbook: Attachment | None = None,
) -> EmailMessage:
    """The e-mail for ``digest``: plain text, ``To`` the lead, ``Cc`` the board member if copied,
    with ``workbook`` (the lead's update workbook, :func:`attachment`) attached when given."""
    message = EmailMessage()
    message["Subject"] = digest.subject(today)
    message["From"] = mail_from
    message["To"] = digest.recipient
    if cc:
        message["Cc"] = ", ".join(cc)
    message["Date"] = format_datetime(datetime.now(UTC))
    domain = mail_from.rpartition("@")[2].strip("> ") or None
    message["Message-ID"] = make_msgid("reminder", domain=domain)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(digest.body(today, cc, workbook.filename if workbook else None))
    if workbook:
        maintype, subtype = XLSX.split("/")
        message.add_attachment(
            workbook.content, maintype=maintype, subtype=subtype, filename=workbook.filename
        )
    return message


@dataclass(frozen=True)
class Attachment:
    """A file attached to a digest: its name and bytes."""

    filename: str
    content: bytes = field(repr=False)


def attach_workbook_setting() -> bool:
    """Whether digests carry the lead's update workbook: :data:`ATTACH_SETTING` (default false).

    :raises monitoring.config.SettingError: unless the value is true or false.
    """
    return _flag(ATTACH_SETTING, False)


def attachment(engine: Engine, digest: Digest, today: date) -> Attachment:
    """The lead's update workbook for ``digest``: made as the lead (so only their own agency's
    actions, by :func:`monitoring.update_workbook.make_workbook`'s permission check), listing
    every open action of the agency and those awaiting assurance, named
    ``update-workbook-<agency short name>-<YYYY-MM-DD>.xlsx`` as on the Update workbooks page.

    :raises monitoring.update_workbook.WorkbookError: no signing key, or no such agency.
    :raises monitoring.services.PermissionDenied: the recipient is no longer this agency's lead.
    """
    with db.read_connection(engine) as conn:
        user = (
            conn.execute(select(app_user).where(app_user.c.email == digest.recipient))
            .mappings()
            .first()
        )
        short = conn.execute(
            select(agency.c.short_name).where(agency.c.id == digest.agency_id)
        ).scalar()
    if user is None:
        raise services.PermissionDenied(f"{digest.recipient} is no longer a user")
    lead = services.Actor.from_user(user)
    content = update_workbook.make_workbook(engine, lead, digest.agency_id, today=today)
    name = (short or str(digest.agency_id)).lower().replace(" ", "-")
    return Attachment(f"update-workbook-{name}-{today.isoformat()}.xlsx", content)


@contextmanager
def smtp_connection(settings: SmtpSettings) -> Iterator[smtplib.SMTP]:
    """An open, authenticated SMTP connection (STARTTLS unless switched off; TLS on port 465).

    :raises smtplib.SMTPException, OSError: when the server cannot be reached or refuses us.
    """
    context = ssl.create_default_context()
    if settings.port == 465:
        smtp: smtplib.SMTP = smtplib.SMTP_SSL(
            settings.host, settings.port, timeout=SMTP_TIMEOUT_SECONDS, context=context
        )
    else:
        smtp = smtplib.SMTP(settings.host, settings.port, timeout=SMTP_TIMEOUT_SECONDS)
    try:
        smtp.ehlo()
        if settings.starttls and settings.port != 465:
            smtp.starttls(context=context)
            smtp.ehlo()
        if settings.user:
            smtp.login(settings.user, settings.password or "")
        yield smtp
    finally:
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()


@dataclass(frozen=True)
class Failure:
    """A message not sent: the agency (``None`` when the server itself failed), the recipient,
    and the reason (the SMTP error's type and code; no addresses)."""

    agency: str | None
    recipient: str | None
    reason: str
    board_copy: bool = False

    def describe(self, *, addresses: bool = True) -> str:
        """One line for the command's output, with or without the recipient's address."""
        if self.agency is None:
            return f"SMTP server: {self.reason}"
        role = "the board member" if self.board_copy else "the lead"
        who = f"{self.recipient} ({self.agency})" if addresses else f"{role} of {self.agency}"
        return f"not sent to {who}: {self.reason}"


@dataclass
class RunResult:
    """What a run did: digests sent and skipped, escalations recorded, failures."""

    sent: list[Digest] = field(default_factory=list)
    skipped: list[Digest] = field(default_factory=list)
    escalations: list[dict] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)


def run(
    engine: Engine,
    today: date,
    *,
    dry_run: bool = False,
    settings: SmtpSettings | None = None,
    actor: services.Actor | None = None,
    out: Callable[[str], None] = print,
    attach_workbook: bool | None = None,
) -> RunResult:
    """Record escalations and send each lead's digest (see the module docstring).

    With ``dry_run`` nothing is sent or written; each message that would be sent is printed in
    full through ``out``. Otherwise ``settings`` are required, and each message is sent and logged
    in its own transaction (:func:`monitoring.services.send_reminder`); a message that fails to
    send is reported in ``failures`` and the run goes on with the next one.

    :param attach_workbook: attach each lead's update workbook (:func:`attachment`); default
        :func:`attach_workbook_setting`. A workbook that cannot be made is a failure: that
        digest is not sent.
    :raises monitoring.config.SettingError: for an unusable ``MONITORING_ESCALATION_DAYS`` or
        :data:`ATTACH_SETTING`.
    :raises monitoring.update_workbook.SecretMissing: when workbooks are to be attached (and
        something is to be sent) but no signing key is configured.
    :raises monitoring.services.PermissionDenied: when ``actor`` may not send reminders.
    """
    actor = actor or services.Actor.system("remind")
    ladder = escalation_ladder()
    if attach_workbook is None:
        attach_workbook = attach_workbook_setting()
    stale_days = config.thresholds().stale_days
    result = RunResult()
    with db.read_connection(engine) as conn:
        escalations = new_escalations(conn, today, ladder)
        digests = build_digests(conn, today, ladder, stale_days=stale_days)
        unled = agencies_without_lead(conn, today, ladder)
    if dry_run:
        result.escalations = escalations
        for item in escalations:
            out(
                f"Would record escalation: action {item['action_id']}, level {item['level']} "
                f"({item['level_name']}), {n_days(item['days_overdue'])} overdue."
            )
    else:
        result.escalations = services.record_escalations(engine, actor, escalations, today=today)
        for item in result.escalations:
            out(
                f"Escalation recorded: action {item['action_id']}, level {item['level']} "
                f"({item['level_name']}), {n_days(item['days_overdue'])} overdue."
            )
    for row in unled.itertuples():
        out(f"No active agency lead for {row.agency}: {row.listed} listed action(s) not sent.")
    to_send = [d for d in digests if not d.already_sent]
    for digest in digests:
        if digest.already_sent:
            result.skipped.append(digest)
            out(f"Already sent today, skipped: {digest.recipient} ({digest.agency_name}).")
    if dry_run:
        mail_from = os.environ.get("MONITORING_MAIL_FROM", "").strip()
        if not mail_from:
            out("MONITORING_MAIL_FROM is not set: the From address below is a placeholder.")
            mail_from = "not-set@invalid"
        for digest in to_send:
            message = build_message(digest, today, mail_from, digest.cc)
            out(f"--- would send to {digest.recipient} ---")
            out(_printable(message))
            if attach_workbook:
                out(f"(with {digest.agency_name}'s update workbook attached, made when sent)")
        out(f"Dry run: {len(to_send)} messages would be sent; nothing sent or written.")
        return result
    if not to_send:
        out("No reminders to send.")
        return result
    if settings is None:
        settings = SmtpSettings.from_env()
    if attach_workbook:
        update_workbook.secret_key()  # no key: refuse before anything is sent
    try:
        with smtp_connection(settings) as smtp:
            for digest in to_send:
                _send_one(
                    engine, actor, smtp, settings, digest, today, result, out, attach_workbook
                )
    except (smtplib.SMTPException, OSError) as exc:
        failure = Failure(None, None, f"{settings.host}:{settings.port}: {_reason(exc)}")
        result.failures.append(failure)
        out(f"error: {failure.describe()}")
    out(f"{len(result.sent)} sent, {len(result.skipped)} already sent today.")
    return result


def _send_one(engine, actor, smtp, settings, digest, today, result, out, attach=False) -> None:
    refusals: dict = {}
    workbook = None
    if attach:  # made before the reminder log's transaction opens, so it stays short
        try:
            workbook = attachment(engine, digest, today)
        except (update_workbook.WorkbookError, services.ServiceError) as exc:
            failure = Failure(
                digest.agency_name, digest.recipient, f"update workbook not made: {exc}"
            )
            result.failures.append(failure)
            out(f"error: {failure.describe()}")
            return

    def send(cc: Sequence[str]) -> list[str]:
        message = build_message(digest, today, settings.mail_from, cc, workbook)
        refusals.update(smtp.send_message(message))
        return list(refusals)

    try:
        sent = services.send_reminder(
            engine,
            actor,
            recipient=digest.recipient,
            agency_id=digest.agency_id,
            sent_on=today,
            subject=digest.subject(today),
            action_ids=digest.action_ids,
            cc=digest.cc,
            send=send,
        )
    except smtplib.SMTPServerDisconnected:
        raise
    except smtplib.SMTPException as exc:
        failure = Failure(digest.agency_name, digest.recipient, _reason(exc))
        result.failures.append(failure)
        out(f"error: {failure.describe()}")
        return
    if sent is None:
        result.skipped.append(digest)
        out(f"Already sent today, skipped: {digest.recipient} ({digest.agency_name}).")
        return
    cc, refused = sent
    copied = [address for address in cc if address not in refused]
    copy_note = f"; copied to {', '.join(copied)}" if copied else ""
    if digest.recipient in refused:  # the server took the copy but not the lead's own message
        failure = Failure(
            digest.agency_name, digest.recipient, _reason(smtplib.SMTPRecipientsRefused(refusals))
        )
        result.failures.append(failure)
        out(f"error: {failure.describe()}{copy_note}")
        return
    result.sent.append(digest)
    for address in refused:
        failure = Failure(digest.agency_name, address, "copy refused", board_copy=True)
        result.failures.append(failure)
        out(f"error: {failure.describe()}; the lead's digest was sent.")
    attached = f"; update workbook attached ({workbook.filename})" if workbook else ""
    out(
        f"Sent to {digest.recipient} ({digest.agency_name}): {digest.counts()}{copy_note}"
        f"{attached}."
    )


def _reason(exc: BaseException) -> str:
    """An SMTP error as its type and reply code only (its text may quote addresses)."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = sorted({str(code) for code, _text in exc.recipients.values()})
        return f"recipient refused ({', '.join(codes)})"
    code = getattr(exc, "smtp_code", None)
    return f"{type(exc).__name__}{f' ({code})' if code else ''}"


def _printable(message: EmailMessage) -> str:
    headers = "\n".join(f"{k}: {v}" for k, v in message.items())
    return f"{headers}\n\n{message.get_content()}"


# --- command ----------------------------------------------------------------------------------


def cmd_remind(args: argparse.Namespace) -> int:
    """Send each agency lead one digest of overdue, due-soon and not-updated actions, and record
    the escalation ladder. Run daily or weekly from cron or a systemd timer."""
    from monitoring import cli

    today = args.as_of or config.today()
    escalation_ladder()  # a bad MONITORING_ESCALATION_DAYS is a usage error before anything else
    attach = args.attach_workbook or attach_workbook_setting()
    if attach and not args.dry_run:
        try:
            update_workbook.secret_key()
        except update_workbook.SecretMissing as exc:
            raise cli.UsageError(f"--attach-workbook: {exc}") from exc
    settings = None if args.dry_run else SmtpSettings.from_env()
    engine = db.get_engine()
    out = (lambda line: None) if args.quiet else print
    try:
        result = run(
            engine,
            today,
            dry_run=args.dry_run,
            settings=settings,
            out=out,
            attach_workbook=attach,
        )
    except services.ServiceError as exc:
        raise cli.UsageError(str(exc)) from exc
    if args.quiet:
        print(
            f"Reminders as at {today.isoformat()}: {len(result.sent)} sent, "
            f"{len(result.skipped)} already sent today, "
            f"{len(result.escalations)} escalations recorded, {len(result.failures)} failed."
        )
    for failure in result.failures:
        print(f"error: {failure.describe(addresses=not args.quiet)}", file=sys.stderr)
    return 1 if result.failures else 0


def register(subparsers) -> None:
    """Add the ``remind`` command to the command line."""
    from monitoring.cli import iso_date

    parser = subparsers.add_parser(
        "remind",
        help="e-mail each agency lead a digest of their actions; record escalations",
        description=cmd_remind.__doc__,
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="print the messages that would be sent; send nothing, write nothing",
    )
    parser.add_argument(
        "--as-of",
        type=iso_date,
        metavar="DATE",
        help="treat DATE (YYYY-MM-DD) as today (default MONITORING_TODAY or today)",
    )
    parser.add_argument(
        "--attach-workbook",
        action="store_true",
        help="attach each lead's update workbook (their agency's open actions and those awaiting "
        f"assurance) to their digest; needs MONITORING_WORKBOOK_SECRET (or set {ATTACH_SETTING}"
        "=true)",
    )
    parser.add_argument(
        "--quiet",
        action="store_true",
        help="print only a summary with no e-mail addresses (for cron and systemd logs)",
    )
    parser.set_defaults(func=cmd_remind)
